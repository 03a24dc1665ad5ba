// Checks of tensor arguments the composed layers share: a live float32 tensor of a given rank.

import { DTypeError, ShapeError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { handle } from './call.js';

export interface RankCheck {
  ranks: readonly number[];
  /** The accepted shapes in words, for the message ('[batch, channels, length]'). */
  expected: string;
}

/**
 * x as a float32 tensor: ArgumentError for a non-tensor, DTypeError for int32, and with `rank`,
 * ShapeError unless its rank is one of rank.ranks.
 */
export function checkFloatTensor(op: string, arg: string, x: unknown, rank?: RankCheck): Tensor<'float32'> {
  const h = handle(op, arg, x);
  if (h.dtype !== 'float32') throw new DTypeError(`${op}: ${arg} must be float32, got ${h.dtype}`);
  if (rank !== undefined && !rank.ranks.includes(h.shape.length)) {
    throw new ShapeError(`${op}: ${arg} must be ${rank.expected}, got [${h.shape.join(', ')}]`);
  }
  return x as Tensor<'float32'>;
}
