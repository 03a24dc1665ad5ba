// Losses: cross-entropy from class indices (cross-entropy.ts), binary cross-entropy from logits
// for multi-label targets (bce.ts), and mse.

import { checkOneOf, checkOptions } from '../args.js';
import type { Reduction } from '../binding.js';
import { DTypeError, ShapeError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { checkSameDevice, handle } from './call.js';
import { REDUCTIONS } from './cross-entropy.js';
import { mul, sub } from './elementwise.js';
import { mean, sum } from './reduce.js';

export { crossEntropy, type CrossEntropyOptions } from './cross-entropy.js';
export { bceWithLogits, type BceWithLogitsOptions } from './bce.js';

export interface MseOptions {
  reduction?: Reduction;
}

/** Mean squared error between prediction and target of the same shape. */
export function mse(prediction: Tensor<'float32'>, target: Tensor<'float32'>, options?: MseOptions): Tensor<'float32'> {
  const opts = checkOptions('mse', options, ['reduction'] as const);
  const reduction = checkOneOf('mse', 'options.reduction', opts.reduction ?? 'mean', REDUCTIONS);
  handle('mse', 'prediction', prediction);
  handle('mse', 'target', target);
  for (const [arg, t] of [['prediction', prediction], ['target', target]] as const) {
    if (t.dtype !== 'float32') throw new DTypeError(`mse: ${arg} must be float32, got ${t.dtype}`);
  }
  checkSameDevice('mse', [['prediction', prediction], ['target', target]]);
  if (prediction.shape.join() !== target.shape.join()) {
    throw new ShapeError(
      `mse: prediction [${prediction.shape.join(', ')}] and target [${target.shape.join(', ')}] must have the same shape`,
    );
  }
  const diff = sub(prediction, target);
  const sq = mul(diff, diff);
  diff.dispose();
  if (reduction === 'none') return sq;
  const out = reduction === 'mean' ? mean(sq) : sum(sq);
  sq.dispose();
  return out;
}
