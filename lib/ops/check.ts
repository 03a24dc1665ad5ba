// Checks of tensor arguments the composed layers share: a live float32 tensor of a given rank.

import { DTypeError, ShapeError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { handle } from './call.js';

/**
 * x as a float32 tensor: ArgumentError for a non-tensor, DTypeError for int32, ShapeError unless
 * its rank is one of `ranks` (any rank for null), with `expected` in the message.
 */
export function checkFloatTensor(op: string, arg: string, x: unknown, ranks: readonly number[] | null, expected: string): Tensor<'float32'> {
  const h = handle(op, arg, x);
  if (h.dtype !== 'float32') throw new DTypeError(`${op}: ${arg} must be float32, got ${h.dtype}`);
  if (ranks !== null && !ranks.includes(h.shape.length)) throw new ShapeError(`${op}: ${arg} must be ${expected}, got [${h.shape.join(', ')}]`);
  return x as Tensor<'float32'>;
}
