// Binary cross-entropy from logits (multi-label classification: one independent sigmoid per
// class), PyTorch's binary_cross_entropy_with_logits composed of differentiable ops in its
// numerically stable form, so logits of any size (±100 included) give finite losses and gradients.

import { checkOneOf, checkOptions } from '../args.js';
import type { Reduction } from '../binding.js';
import { DTypeError, ShapeError } from '../errors.js';
import { tidy } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { checkSameDevice, handle } from './call.js';
import { REDUCTIONS } from './cross-entropy.js';
import { add, exp, log, mul, neg, relu, sub } from './elementwise.js';
import { mean, sum } from './reduce.js';

export interface BceWithLogitsOptions {
  /** float32 weights broadcastable to the logits' shape, multiplying each element's loss. */
  weight?: Tensor<'float32'>;
  /**
   * float32 [C], the weight of the positive term per class (the last axis): the loss is
   * −[posWeight·y·log σ(x) + (1 − y)·log(1 − σ(x))]. posWeight > 1 favours recall.
   */
  posWeight?: Tensor<'float32'>;
  /** 'mean' over all elements (default), 'sum', or 'none' (the logits' shape). */
  reduction?: Reduction;
}

const fmt = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

function checkFloat(op: string, arg: string, t: Tensor, what: string): void {
  if (t.dtype !== 'float32') throw new DTypeError(`${op}: ${arg} must be float32 ${what}, got ${t.dtype}`);
}

/** Whether `shape` broadcasts to `target` without changing it (right-aligned sizes equal or 1). */
function broadcastsTo(shape: readonly number[], target: readonly number[]): boolean {
  const lead = target.length - shape.length;
  return lead >= 0 && shape.every((d, i) => d === 1 || d === target[lead + i]);
}

/**
 * Binary cross-entropy of logits [..., C] against float32 targets of the same shape (multi-hot
 * 0/1 labels, or soft labels in [0, 1]). Per element, with y the target and
 * w = 1 + (posWeight − 1)·y: loss = (1 − y)·x + w·softplus(−x), times options.weight.
 */
export function bceWithLogits(
  logits: Tensor<'float32'>,
  targets: Tensor<'float32'>,
  options?: BceWithLogitsOptions,
): Tensor<'float32'> {
  const op = 'bceWithLogits';
  const opts = checkOptions(op, options, ['weight', 'posWeight', 'reduction'] as const);
  handle(op, 'logits', logits);
  handle(op, 'targets', targets);
  checkFloat(op, 'logits', logits, 'scores');
  checkFloat(op, 'targets', targets, 'labels (multi-hot 0/1 or soft labels in [0, 1]; class indices go to crossEntropy)');
  if (targets.shape.join() !== logits.shape.join()) {
    throw new ShapeError(`${op}: targets ${fmt(targets.shape)} must have the shape of logits ${fmt(logits.shape)}`);
  }
  const weight = opts.weight === undefined ? null : (opts.weight as Tensor<'float32'>);
  if (weight !== null) {
    handle(op, 'options.weight', weight);
    checkFloat(op, 'options.weight', weight, 'weights');
    if (!broadcastsTo(weight.shape, logits.shape)) {
      throw new ShapeError(`${op}: options.weight ${fmt(weight.shape)} must broadcast to the logits' shape ${fmt(logits.shape)}`);
    }
  }
  const posWeight = opts.posWeight === undefined ? null : (opts.posWeight as Tensor<'float32'>);
  if (posWeight !== null) {
    handle(op, 'options.posWeight', posWeight);
    checkFloat(op, 'options.posWeight', posWeight, 'weights');
    const classes = logits.shape[logits.rank - 1];
    if (logits.rank < 1 || posWeight.rank !== 1 || posWeight.shape[0] !== classes) {
      throw new ShapeError(
        `${op}: options.posWeight must have shape [${classes ?? 'C'}] (one weight per class, the last axis of logits ${fmt(logits.shape)}), got ${fmt(posWeight.shape)}`,
      );
    }
  }
  checkSameDevice(op, [['logits', logits], ['targets', targets], ['options.weight', weight], ['options.posWeight', posWeight]]);
  const reduction = checkOneOf(op, 'options.reduction', opts.reduction ?? 'mean', REDUCTIONS);

  return tidy(() => {
    const abs = add(relu(logits), relu(neg(logits)));
    // softplus(−x) = max(−x, 0) + log(1 + exp(−|x|)), with max(−x, 0) written (|x| − x)/2: relu's
    // subgradient at 0 then cancels in |x|, so d/dx at x = 0 is exactly −1/2, as it should be.
    const softplusNeg = add(mul(sub(abs, logits), 0.5), log(add(exp(neg(abs)), 1)));
    const positive = posWeight === null ? softplusNeg : mul(add(mul(sub(posWeight, 1), targets), 1), softplusNeg);
    const elementwise = add(mul(sub(1, targets), logits), positive);
    const loss = weight === null ? elementwise : mul(elementwise, weight);
    if (reduction === 'none') return loss;
    return reduction === 'sum' ? sum(loss) : mean(loss);
  });
}
