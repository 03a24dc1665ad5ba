// nn.AttentionPooling: a learned weighted mean over time, the attention head of text classifiers
// (additive attention as in Bahdanau et al. 2015 and Yang et al. 2016): each step t of a sequence
// gets a score v · tanh(W h_t + b), the weights are the softmax of the scores over the sequence's
// own steps (t < lengths[b]; the steps past it get exactly zero weight, so their values, if
// finite, change nothing), and the result is Σ_t weight_t h_t.

import { checkBoolean, checkInteger, checkOptions } from '../args.js';
import { ArgumentError, ShapeError } from '../errors.js';
import { checkFloatTensor } from '../ops/check.js';
import { add, tanh } from '../ops/elementwise.js';
import { checkLengths, lengthsBias } from '../ops/mask.js';
import { matmul } from '../ops/matmul.js';
import { softmax } from '../ops/softmax.js';
import { tidy } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { Linear } from './linear.js';
import { Module } from './module.js';

export interface AttentionPoolingOptions {
  /** Size of the score layer's hidden units (W's rows; default inputSize). */
  hiddenSize?: number;
  /** x is [batch, time, inputSize] (default true, as nn.LSTM), else [time, batch, inputSize]. */
  batchFirst?: boolean;
}

export interface AttentionPoolingOutput {
  /** [batch, inputSize]: each sequence's weighted mean over its steps. */
  output: Tensor<'float32'>;
  /** [batch, time]: the weights, summing to 1 over t < lengths[b] and 0 after. */
  weights: Tensor<'float32'>;
}

export class AttentionPooling extends Module {
  /** nn.Sequential passes each sequence's length to this layer. */
  readonly takesLengths = true;
  readonly inputSize: number;
  readonly batchFirst: boolean;
  /** W and b: h_t → tanh(W h_t + b) (parameters proj.weight [hiddenSize, inputSize], proj.bias). */
  readonly proj: Linear;
  /** v: the score of each step (score.weight [1, hiddenSize]; no bias: the softmax ignores one). */
  readonly score: Linear;

  constructor(inputSize: number, options?: AttentionPoolingOptions) {
    super();
    const op = 'nn.AttentionPooling';
    const o = checkOptions(op, options, ['hiddenSize', 'batchFirst'] as const);
    this.inputSize = checkInteger(op, 'inputSize', inputSize);
    if (this.inputSize < 1) throw new ArgumentError(`${op}: inputSize must be a positive integer, got ${this.inputSize}`);
    const hidden = checkInteger(op, 'options.hiddenSize', o.hiddenSize ?? this.inputSize);
    if (hidden < 1) throw new ArgumentError(`${op}: options.hiddenSize must be a positive integer, got ${hidden}`);
    this.batchFirst = checkBoolean(op, 'options.batchFirst', o.batchFirst ?? true);
    this.proj = this.registerModule('proj', new Linear(this.inputSize, hidden));
    this.score = this.registerModule('score', new Linear(hidden, 1, { bias: false }));
  }

  /** x [batch, time, inputSize] (or [time, batch, ...] without batchFirst) → [batch, inputSize]. */
  forward(x: Tensor<'float32'>, options?: { lengths?: Int32Array | readonly number[] }): Tensor<'float32'> {
    const { output, weights } = this.attend(x, options);
    weights.dispose();
    return output;
  }

  /** forward() and the attention weights [batch, time] it used. */
  attend(x: Tensor<'float32'>, options?: { lengths?: Int32Array | readonly number[] }): AttentionPoolingOutput {
    const op = 'nn.AttentionPooling.forward';
    const o = checkOptions(op, options, ['lengths'] as const);
    const layout = this.batchFirst ? 'batch, time' : 'time, batch';
    checkFloatTensor(op, 'x', x, { ranks: [3], expected: `[${layout}, inputSize = ${this.inputSize}]` });
    if (x.shape[2] !== this.inputSize) {
      throw new ShapeError(`${op}: x has shape [${x.shape.join(', ')}], expected [${layout}, ${this.inputSize}]`);
    }
    const [batch, time] = this.batchFirst ? [x.shape[0]!, x.shape[1]!] : [x.shape[1]!, x.shape[0]!];
    const lengths = o.lengths === undefined ? null : checkLengths(op, 'options.lengths', o.lengths, batch, time);
    return tidy(() => {
      const h = this.batchFirst ? x : x.transpose(0, 1);
      let scores = this.score.forward(tanh(this.proj.forward(h))).reshape([batch, time]);
      if (lengths !== null) scores = add(scores, lengthsBias(lengths, time, x.device));
      const weights = softmax(scores, 1);
      const output = matmul(weights.reshape([batch, 1, time]), h).reshape([batch, this.inputSize]);
      return { output, weights };
    });
  }
}
