// Losses: cross-entropy from logits with class-index targets (fused log-softmax + NLL; ignored
// targets, per-sequence lengths and label smoothing in the same native kernel), and mse.

import { checkInteger, checkOneOf, checkOptions, isDetached } from '../args.js';
import { describe } from '../dtype.js';
import { record } from '../autograd.js';
import type { Reduction } from '../binding.js';
import { ArgumentError, DTypeError, ShapeError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { checkSameDevice, handle, callNative, nativeOp } from './call.js';
import { mul, sub } from './elementwise.js';
import { mean, sum } from './reduce.js';

const REDUCTIONS: readonly Reduction[] = ['mean', 'sum', 'none'];

export interface CrossEntropyOptions {
  /** Targets equal to this count for nothing (default -100, as in PyTorch). */
  ignoreIndex?: number;
  /** 'mean' over non-ignored targets (default), 'sum', or 'none' (one loss per target). */
  reduction?: Reduction;
  /**
   * eps in [0, 1] (default 0), PyTorch's label_smoothing: the target distribution becomes
   * (1 - eps)·onehot + eps/C, so a row's loss is (1 - eps)·(−logp[target]) + eps·mean_c(−logp[c]).
   */
  labelSmoothing?: number;
  /**
   * Per-sequence lengths for logits [batch, time, classes] and targets [batch, time]: positions
   * t >= lengths[b] are ignored like ignoreIndex (their targets may hold anything). One length
   * per sequence, each in 1..time.
   */
  lengths?: Int32Array | readonly number[];
}

/** The lengths option as an Int32Array, checked against logits [B, T, C]. */
function checkLengths(value: unknown, logitsShape: readonly number[]): Int32Array {
  const op = 'crossEntropy';
  if (!(value instanceof Int32Array) && !Array.isArray(value)) {
    throw new ArgumentError(`${op}: options.lengths must be an Int32Array or an array of integers, got ${describe(value)}`);
  }
  if (value instanceof Int32Array && isDetached(value)) {
    throw new ArgumentError(`${op}: options.lengths is an Int32Array whose ArrayBuffer was transferred away (detached)`);
  }
  if (logitsShape.length !== 3) {
    throw new ShapeError(`${op}: options.lengths needs logits of shape [batch, time, classes], got [${logitsShape.join(', ')}]`);
  }
  const [batch, time] = logitsShape as [number, number, number];
  const values = Array.from(value as ArrayLike<unknown>);
  if (values.length !== batch) {
    throw new ShapeError(`${op}: options.lengths has ${values.length} entries, expected one per sequence (batch ${batch})`);
  }
  values.forEach((len, b) => {
    const n = checkInteger(op, `options.lengths[${b}]`, len);
    if (n < 1 || n > time) throw new ArgumentError(`${op}: options.lengths[${b}] = ${n} is out of range 1..${time}`);
  });
  return Int32Array.from(values as number[]);
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
  const opts = checkOptions('crossEntropy', options, ['ignoreIndex', 'reduction', 'labelSmoothing', 'lengths'] as const);
  const hl = handle('crossEntropy', 'logits', logits);
  const ht = handle('crossEntropy', 'targets', targets);
  if (targets.dtype !== 'int32') throw new DTypeError(`crossEntropy: targets must be int32 class indices, got ${targets.dtype}`);
  checkSameDevice('crossEntropy', [['logits', logits], ['targets', targets]]);
  const ignoreIndex = checkInteger('crossEntropy', 'options.ignoreIndex', opts.ignoreIndex ?? -100);
  const reduction = checkOneOf('crossEntropy', 'options.reduction', opts.reduction ?? 'mean', REDUCTIONS);
  const eps = opts.labelSmoothing ?? 0;
  if (typeof eps !== 'number' || !(eps >= 0 && eps <= 1)) {
    throw new ArgumentError(`crossEntropy: options.labelSmoothing must be a number in [0, 1], got ${describe(eps)}`);
  }
  const lengths = opts.lengths === undefined ? null : checkLengths(opts.lengths, logits.shape);
  const { loss, logProbs } = callNative((n) => n.crossEntropy(hl, ht, ignoreIndex, reduction, eps, lengths));
  const out = new Tensor<'float32'>(loss);
  const lp = new Tensor<'float32'>(logProbs);
  record('crossEntropy', out, [logits, targets], [lp, targets], (g, saved) => {
    const hg = handle('crossEntropy.backward', 'grad', g);
    const hp = handle('crossEntropy.backward', 'logProbs', saved[0]);
    const hs = handle('crossEntropy.backward', 'targets', saved[1]);
    return [nativeOp((n) => n.crossEntropyBackward(hg, hp, hs, ignoreIndex, reduction, eps, lengths)), null];
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
