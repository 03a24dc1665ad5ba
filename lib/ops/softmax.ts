// softmax and logSoftmax along an axis (default the last), numerically stable, with backward.

import { checkAxis } from '../args.js';
import { record } from '../autograd.js';
import type { Tensor } from '../tensor.js';
import { handle, nativeOp } from './call.js';

function softmaxOp(op: string, x: Tensor<'float32'>, axis: number, log: boolean): Tensor<'float32'> {
  const h = handle(op, 'x', x);
  const a = checkAxis(op, 'axis', axis, x.rank);
  const out = nativeOp((n) => n.softmax(h, a, log));
  return record(op, out, [x], [out], (g, saved) => {
    const hg = handle(`${op}.backward`, 'grad', g);
    const hy = handle(`${op}.backward`, 'y', saved[0]);
    return [nativeOp((n) => n.softmaxBackward(hg, hy, a, log))];
  });
}

export function softmax(x: Tensor<'float32'>, axis = -1): Tensor<'float32'> {
  return softmaxOp('softmax', x, axis, false);
}

export function logSoftmax(x: Tensor<'float32'>, axis = -1): Tensor<'float32'> {
  return softmaxOp('logSoftmax', x, axis, true);
}
