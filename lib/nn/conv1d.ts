// nn.Conv1d: PyTorch's 1-D convolution over [N, Cin, L] (or unbatched [Cin, L]) with its names
// (weight [Cout, Cin / groups, K], bias [Cout]), init (kaiming-uniform a = sqrt(5): both
// U(-1/sqrt(fanIn), 1/sqrt(fanIn)), fanIn = Cin / groups * K) and zero padding: a number,
// 'valid' (none) or 'same' (output as long as the input; stride 1, extra zero on the right as PyTorch).

import { checkBoolean, checkInteger, checkOptions } from '../args.js';
import { describe } from '../dtype.js';
import { ArgumentError, ShapeError } from '../errors.js';
import { checkFloatTensor } from '../ops/check.js';
import { conv1d, conv1dOutputLength, type Conv1dGeometry } from '../ops/conv.js';
import { uniformArray } from '../random.js';
import { tidy } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { Module, type Parameter } from './module.js';

export interface Conv1dOptions {
  /** Step between output positions (default 1). */
  stride?: number;
  /** Zeros on both sides (default 0), 'valid' (0) or 'same' (stride 1 only). */
  padding?: number | 'same' | 'valid';
  /** Spacing between kernel taps (default 1). */
  dilation?: number;
  /** Channel groups: inChannels and outChannels must be multiples (default 1). */
  groups?: number;
  /** Learn a bias (default true). */
  bias?: boolean;
}

function positive(op: string, arg: string, value: unknown): number {
  const n = checkInteger(op, arg, value);
  if (n < 1) throw new ArgumentError(`${op}: ${arg} must be a positive integer, got ${n}`);
  return n;
}

export class Conv1d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number;
  readonly stride: number;
  /** As given: a number of zeros per side, 'same' or 'valid'. */
  readonly padding: number | 'same' | 'valid';
  readonly dilation: number;
  readonly groups: number;
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  readonly #geometry: Conv1dGeometry;

  constructor(inChannels: number, outChannels: number, kernelSize: number, options?: Conv1dOptions) {
    super();
    const op = 'nn.Conv1d';
    const o = checkOptions(op, options, ['stride', 'padding', 'dilation', 'groups', 'bias'] as const);
    this.inChannels = positive(op, 'inChannels', inChannels);
    this.outChannels = positive(op, 'outChannels', outChannels);
    this.kernelSize = positive(op, 'kernelSize', kernelSize);
    this.stride = positive(op, 'options.stride', o.stride ?? 1);
    this.dilation = positive(op, 'options.dilation', o.dilation ?? 1);
    this.groups = positive(op, 'options.groups', o.groups ?? 1);
    if (this.inChannels % this.groups !== 0 || this.outChannels % this.groups !== 0) {
      throw new ArgumentError(
        `${op}: options.groups (${this.groups}) must divide inChannels (${this.inChannels}) and outChannels (${this.outChannels})`,
      );
    }
    const padding = o.padding ?? 0;
    let sides: [number, number];
    if (padding === 'same') {
      if (this.stride !== 1) throw new ArgumentError(`${op}: options.padding 'same' needs options.stride 1, got ${this.stride}`);
      const total = this.dilation * (this.kernelSize - 1);
      sides = [Math.floor(total / 2), total - Math.floor(total / 2)];
    } else if (padding === 'valid') {
      sides = [0, 0];
    } else if (typeof padding === 'number') {
      const p = checkInteger(op, 'options.padding', padding);
      if (p < 0) throw new ArgumentError(`${op}: options.padding must be >= 0, 'same' or 'valid', got ${p}`);
      sides = [p, p];
    } else {
      throw new ArgumentError(`${op}: options.padding must be a number >= 0, 'same' or 'valid', got ${describe(padding)}`);
    }
    this.padding = padding;
    this.#geometry = { stride: this.stride, padding: sides, dilation: this.dilation, groups: this.groups };
    const fanIn = (this.inChannels / this.groups) * this.kernelSize;
    const bound = 1 / Math.sqrt(fanIn);
    const shape = [this.outChannels, this.inChannels / this.groups, this.kernelSize];
    this.weight = this.newParameter('weight', shape, uniformArray(this.outChannels * fanIn, -bound, bound));
    this.bias = checkBoolean(op, 'options.bias', o.bias ?? true)
      ? this.newParameter('bias', [this.outChannels], uniformArray(this.outChannels, -bound, bound))
      : null;
  }

  /** The output length for an input of `length` steps. */
  outputLength(length: number): number {
    return conv1dOutputLength(length, this.kernelSize, this.#geometry);
  }

  /** x [N, inChannels, L] → [N, outChannels, Lout]; unbatched [inChannels, L] → [outChannels, Lout]. */
  forward(x: Tensor<'float32'>): Tensor<'float32'> {
    const op = 'nn.Conv1d.forward';
    checkFloatTensor(op, 'x', x, { ranks: [2, 3], expected: `[batch, inChannels = ${this.inChannels}, length] or [inChannels, length]` });
    const channels = x.shape[x.rank - 2]!;
    const length = x.shape[x.rank - 1]!;
    if (channels !== this.inChannels) {
      throw new ShapeError(`${op}: x has shape [${x.shape.join(', ')}], expected ${this.inChannels} channels on axis ${x.rank - 2}`);
    }
    const lout = this.outputLength(length);
    if (lout < 1) {
      throw new ShapeError(
        `${op}: x of length ${length} is too short for kernelSize ${this.kernelSize}, dilation ${this.dilation} and padding ${this.#geometry.padding.join('+')}`,
      );
    }
    if (x.rank === 3) return conv1d(x, this.weight, this.bias, this.#geometry);
    return tidy(() => conv1d(x.reshape([1, channels, length]), this.weight, this.bias, this.#geometry).reshape([this.outChannels, lout]));
  }
}
