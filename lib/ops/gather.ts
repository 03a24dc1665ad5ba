// gather: rows of a table picked by int32 indices (the embedding lookup). Backward scatter-adds
// the gradient rows back into a zero table, so repeated indices accumulate.

import { record } from '../autograd.js';
import { DTypeError } from '../errors.js';
import type { DType } from '../dtype.js';
import type { Tensor } from '../tensor.js';
import { checkSameDevice, handle, nativeOp } from './call.js';

/** table [R, ...rest], indices int32 of any shape → [...indices.shape, ...rest]. */
export function gather<D extends DType>(table: Tensor<D>, indices: Tensor<'int32'>): Tensor<D> {
  return gatherRows(table, indices, null);
}

/**
 * gather whose backward leaves out the positions whose index is paddingIdx (in [0, R), or null
 * for none), so that table row gets no gradient: nn.Embedding's paddingIdx. Internal.
 */
export function gatherRows<D extends DType>(table: Tensor<D>, indices: Tensor<'int32'>, paddingIdx: number | null): Tensor<D> {
  const ht = handle('gather', 'table', table);
  const hi = handle('gather', 'indices', indices);
  if (indices.dtype !== 'int32') throw new DTypeError(`gather: indices must be int32, got ${indices.dtype}`);
  checkSameDevice('gather', [['table', table], ['indices', indices]]);
  const out = nativeOp<D>((n) => n.gather(ht, hi));
  const rows = table.shape[0] ?? 0;
  return record('gather', out, [table, indices], [indices], (g, saved) => {
    const hg = handle('gather.backward', 'grad', g);
    const hs = handle('gather.backward', 'indices', saved[0]);
    return [nativeOp((n) => n.gatherBackward(hg, hs, rows, paddingIdx)), null];
  });
}
