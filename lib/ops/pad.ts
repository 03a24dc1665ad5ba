// padZeros: zeros before and after x along one axis, by concat (backward: the middle slice).

import { checkAxis, checkNonNegativeInteger } from '../args.js';
import type { Tensor } from '../tensor.js';
import { concat } from './concat.js';
import { zeros } from './creation.js';
import { reshape } from './views.js';

/** x with `before` zeros in front and `after` zeros behind along `axis`; differentiable in x. */
export function padZeros(x: Tensor<'float32'>, axis: number, before: number, after: number): Tensor<'float32'> {
  const a = checkAxis('padZeros', 'axis', axis, x.rank);
  checkNonNegativeInteger('padZeros', 'before', before);
  checkNonNegativeInteger('padZeros', 'after', after);
  if (before === 0 && after === 0) return reshape(x, x.shape);
  const block = (n: number) => zeros(x.shape.map((d, i) => (i === a ? n : d)), { device: x.device });
  const parts = [...(before > 0 ? [block(before)] : []), x, ...(after > 0 ? [block(after)] : [])];
  const out = concat(parts, a);
  for (const p of parts) if (p !== x) p.dispose();
  return out;
}
