// Cross-entropy from logits with class-index targets. Without class weights one fused native
// kernel does it all (log-softmax + NLL, ignored targets, per-sequence lengths, label smoothing);
// with weights the loss is composed of differentiable ops (logSoftmax times a per-row class mask
// built on the host, summed), in PyTorch's exact formula.

import { checkInteger, checkOneOf, checkOptions, isDetached } from '../args.js';
import { describe } from '../dtype.js';
import { record } from '../autograd.js';
import type { Reduction } from '../binding.js';
import { ArgumentError, DTypeError, IndexError, ShapeError } from '../errors.js';
import { tidy } from '../scope.js';
import { Tensor } from '../tensor.js';
import { checkSameDevice, handle, callNative, nativeOp } from './call.js';
import { tensor } from './creation.js';
import { div, mul, neg } from './elementwise.js';
import { sum } from './reduce.js';
import { logSoftmax } from './softmax.js';

export const REDUCTIONS: readonly Reduction[] = ['mean', 'sum', 'none'];

export interface CrossEntropyOptions {
  /** Targets equal to this count for nothing (default -100, as in PyTorch). */
  ignoreIndex?: number;
  /**
   * 'mean' over non-ignored targets (default; with `weight`, divided by the sum of their
   * targets' weights, as PyTorch), 'sum', or 'none' (one loss per target).
   */
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
  /**
   * float32 class weights [C] (PyTorch's weight): a row's loss is
   * (1 - eps)·w[target]·(−logp[target]) + (eps/C)·Σ_c w[c]·(−logp[c]). The weights get no
   * gradient (PyTorch does not differentiate them either).
   */
  weight?: Tensor<'float32'>;
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

/** options.weight checked: a float32 [C] tensor on the logits' device that does not require grad. */
function checkWeight(value: unknown, logits: Tensor<'float32'>): Tensor<'float32'> {
  const op = 'crossEntropy';
  handle(op, 'options.weight', value);
  const weight = value as Tensor;
  if (weight.dtype !== 'float32') throw new DTypeError(`${op}: options.weight must be float32 class weights, got ${weight.dtype}`);
  if (logits.dtype !== 'float32') throw new DTypeError(`${op}: logits must be float32, got ${logits.dtype}`);
  if (logits.rank < 1) throw new ShapeError(`${op}: logits must have a class axis (rank >= 1), got a rank-0 tensor`);
  const classes = logits.shape[logits.rank - 1];
  if (weight.rank !== 1 || weight.shape[0] !== classes) {
    throw new ShapeError(`${op}: options.weight must have shape [${classes}] (one weight per class of logits [${logits.shape.join(', ')}]), got [${weight.shape.join(', ')}]`);
  }
  if (weight.requiresGrad) {
    throw new ArgumentError(`${op}: options.weight requires grad, but class weights get no gradient (as in PyTorch); pass weight.detach() or a constant tensor`);
  }
  return weight as Tensor<'float32'>;
}

/** The multi-index of flat position r in a tensor of this shape, as '1, 0'. */
function indexOf(r: number, shape: readonly number[]): string {
  const idx: number[] = [];
  for (let i = shape.length - 1; i >= 0; i--) {
    idx.unshift(r % shape[i]!);
    r = Math.floor(r / shape[i]!);
  }
  return idx.join(', ');
}

/**
 * The per-row class coefficients of the weighted loss, so that loss_r = −Σ_c mask[r, c]·logp[r, c]
 * (zero rows for ignored targets), and the sum of the counted targets' weights ('mean' divides by it).
 */
function weightedMask(
  labels: Int32Array,
  targetShape: readonly number[],
  weights: Float32Array,
  ignoreIndex: number,
  eps: number,
  lengths: Int32Array | null,
): { mask: Float32Array; denominator: number } {
  const classes = weights.length;
  const time = targetShape[1] ?? 1;
  const mask = new Float32Array(labels.length * classes);
  let denominator = 0;
  labels.forEach((label, r) => {
    if (lengths !== null && r % time >= lengths[Math.floor(r / time)]!) return;
    if (label === ignoreIndex) return;
    if (label < 0 || label >= classes) {
      throw new IndexError(`crossEntropy: targets[${indexOf(r, targetShape)}] = ${label} is out of range [0, ${classes})`);
    }
    denominator += weights[label]!;
    for (let c = 0; c < classes; c++) mask[r * classes + c] = (eps / classes) * weights[c]! + (c === label ? (1 - eps) * weights[label]! : 0);
  });
  return { mask, denominator };
}

/**
 * The weighted loss as differentiable ops. It reads the targets and weights to the host (a sync
 * point), which the fused kernel avoids; class weights are the rarer case.
 */
function weightedCrossEntropy(
  logits: Tensor<'float32'>,
  targets: Tensor<'int32'>,
  weight: Tensor<'float32'>,
  ignoreIndex: number,
  reduction: Reduction,
  eps: number,
  lengths: Int32Array | null,
): Tensor<'float32'> {
  if (targets.shape.join() !== logits.shape.slice(0, -1).join()) {
    throw new ShapeError(
      `crossEntropy: targets [${targets.shape.join(', ')}] must have the shape of logits [${logits.shape.join(', ')}] without its class axis`,
    );
  }
  const { mask, denominator } = weightedMask(targets.dataSync(), targets.shape, weight.dataSync(), ignoreIndex, eps, lengths);
  return tidy(() => {
    const coefficients = tensor(mask, { shape: logits.shape, device: logits.device });
    const perRow = neg(sum(mul(logSoftmax(logits), coefficients), -1));
    if (reduction === 'none') return perRow;
    const total = sum(perRow);
    // 0 / 0 when every target is ignored: NaN, as PyTorch.
    return reduction === 'sum' ? total : div(total, denominator);
  });
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
  const opts = checkOptions('crossEntropy', options, ['ignoreIndex', 'reduction', 'labelSmoothing', 'lengths', 'weight'] as const);
  const hl = handle('crossEntropy', 'logits', logits);
  const ht = handle('crossEntropy', 'targets', targets);
  if (targets.dtype !== 'int32') throw new DTypeError(`crossEntropy: targets must be int32 class indices, got ${targets.dtype}`);
  const weight = opts.weight === undefined ? null : checkWeight(opts.weight, logits);
  checkSameDevice('crossEntropy', [['logits', logits], ['targets', targets], ['options.weight', weight]]);
  const ignoreIndex = checkInteger('crossEntropy', 'options.ignoreIndex', opts.ignoreIndex ?? -100);
  const reduction = checkOneOf('crossEntropy', 'options.reduction', opts.reduction ?? 'mean', REDUCTIONS);
  const eps = opts.labelSmoothing ?? 0;
  if (typeof eps !== 'number' || !(eps >= 0 && eps <= 1)) {
    throw new ArgumentError(`crossEntropy: options.labelSmoothing must be a number in [0, 1], got ${describe(eps)}`);
  }
  const lengths = opts.lengths === undefined ? null : checkLengths(opts.lengths, logits.shape);
  if (weight !== null) return weightedCrossEntropy(logits, targets, weight, ignoreIndex, reduction, eps, lengths);
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
