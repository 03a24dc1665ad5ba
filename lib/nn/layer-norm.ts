// nn.LayerNorm: PyTorch's layer normalization over the trailing `normalizedShape` axes, with its
// names (weight, bias), init (ones, zeros) and options (eps, elementwiseAffine, bias).

import { checkBoolean, checkFinite, checkOptions, checkShape } from '../args.js';
import { describe } from '../dtype.js';
import { ArgumentError, ShapeError } from '../errors.js';
import { checkFloatTensor } from '../ops/check.js';
import { layerNorm } from '../ops/norm.js';
import { parameterFloats } from '../random.js';
import type { Tensor } from '../tensor.js';
import { Module, type Parameter } from './module.js';

export interface LayerNormOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Learn a per-element weight (and bias) (default true). */
  elementwiseAffine?: boolean;
  /** With elementwiseAffine: learn a bias too (default true). */
  bias?: boolean;
}

export class LayerNorm extends Module {
  readonly normalizedShape: readonly number[];
  readonly eps: number;
  /** ones(normalizedShape), or null without elementwiseAffine. */
  readonly weight: Parameter | null;
  /** zeros(normalizedShape), or null without elementwiseAffine or bias. */
  readonly bias: Parameter | null;

  constructor(normalizedShape: number | readonly number[], options?: LayerNormOptions) {
    super();
    const op = 'nn.LayerNorm';
    const o = checkOptions(op, options, ['eps', 'elementwiseAffine', 'bias'] as const);
    const shape = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape;
    if (!Array.isArray(shape) || shape.length === 0) {
      throw new ArgumentError(`${op}: normalizedShape must be a positive integer or a non-empty array of them, got ${describe(normalizedShape)}`);
    }
    const dims = checkShape(op, 'normalizedShape', shape);
    if (dims.some((d) => d < 1)) throw new ArgumentError(`${op}: normalizedShape must hold positive sizes, got [${dims.join(', ')}]`);
    this.normalizedShape = Object.freeze(dims);
    this.eps = checkFinite(op, 'options.eps', o.eps ?? 1e-5);
    if (this.eps <= 0) throw new ArgumentError(`${op}: options.eps must be > 0, got ${this.eps}`);
    const affine = checkBoolean(op, 'options.elementwiseAffine', o.elementwiseAffine ?? true);
    const withBias = checkBoolean(op, 'options.bias', o.bias ?? true);
    const size = dims.reduce((a, b) => a * b, 1);
    this.weight = affine ? this.newParameter('weight', dims, parameterFloats(size).fill(1)) : null;
    this.bias = affine && withBias ? this.newParameter('bias', dims, parameterFloats(size)) : null;
  }

  /** x [..., *normalizedShape] → the same shape, each trailing block normalized. */
  forward(x: Tensor<'float32'>): Tensor<'float32'> {
    const op = 'nn.LayerNorm.forward';
    const k = this.normalizedShape.length;
    checkFloatTensor(op, 'x', x);
    if (x.rank < k || x.shape.slice(x.rank - k).join() !== this.normalizedShape.join()) {
      throw new ShapeError(`${op}: x has shape [${x.shape.join(', ')}], expected [..., ${this.normalizedShape.join(', ')}]`);
    }
    return layerNorm(x, k, this.weight, this.bias, this.eps);
  }
}
