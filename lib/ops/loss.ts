// Losses: cross-entropy from logits with class-index targets (fused log-softmax + NLL), and mse.

import { checkInteger, checkOneOf, checkOptions } from '../args.js';
import { record } from '../autograd.js';
import type { Reduction } from '../binding.js';
import { DTypeError, ShapeError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { handle, callNative, nativeOp } from './call.js';
import { mul, sub } from './elementwise.js';
import { mean, sum } from './reduce.js';

const REDUCTIONS: readonly Reduction[] = ['mean', 'sum', 'none'];

export interface CrossEntropyOptions {
  /** Targets equal to this count for nothing (default -100, as in PyTorch). */
  ignoreIndex?: number;
  /** 'mean' over non-ignored targets (default), 'sum', or 'none' (one loss per target). */
  reduction?: Reduction;
}

/**
 * Cross-entropy of logits [..., C] (classes on the LAST axis, which suits [batch, time, classes]
 * outputs) against int32 class indices with shape logits.shape[:-1].
 */
export function crossEntropy(
  logits: Tensor<'float32'>,
  targets: Tensor<'int32'>,
  options?: CrossEntropyOptions,
): Tensor<'float32'> {
  const opts = checkOptions('crossEntropy', options, ['ignoreIndex', 'reduction'] as const);
  const hl = handle('crossEntropy', 'logits', logits);
  const ht = handle('crossEntropy', 'targets', targets);
  if (targets.dtype !== 'int32') throw new DTypeError(`crossEntropy: targets must be int32 class indices, got ${targets.dtype}`);
  const ignoreIndex = checkInteger('crossEntropy', 'options.ignoreIndex', opts.ignoreIndex ?? -100);
  const reduction = checkOneOf('crossEntropy', 'options.reduction', opts.reduction ?? 'mean', REDUCTIONS);
  const { loss, logProbs } = callNative((n) => n.crossEntropy(hl, ht, ignoreIndex, reduction));
  const out = new Tensor<'float32'>(loss);
  const lp = new Tensor<'float32'>(logProbs);
  record('crossEntropy', out, [logits, targets], [lp, targets], (g, saved) => {
    const hg = handle('crossEntropy.backward', 'grad', g);
    const hp = handle('crossEntropy.backward', 'logProbs', saved[0]);
    const hs = handle('crossEntropy.backward', 'targets', saved[1]);
    return [nativeOp((n) => n.crossEntropyBackward(hg, hp, hs, ignoreIndex, reduction)), null];
  });
  lp.dispose();
  return out;
}

export interface MseOptions {
  reduction?: Reduction;
}

/** Mean squared error between prediction and target of the same shape. */
export function mse(prediction: Tensor<'float32'>, target: Tensor<'float32'>, options?: MseOptions): Tensor<'float32'> {
  const opts = checkOptions('mse', options, ['reduction'] as const);
  const reduction = checkOneOf('mse', 'options.reduction', opts.reduction ?? 'mean', REDUCTIONS);
  handle('mse', 'prediction', prediction);
  handle('mse', 'target', target);
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
