// nn.SequenceClassifier: embedding → stacked (bidirectional) LSTM or GRU → pooling over each
// sequence's valid steps → linear to class logits. The ready model for text classification.

import { checkBoolean, checkInteger, checkOneOf, checkOptions } from '../args.js';
import { ArgumentError } from '../errors.js';
import { concat } from '../ops/concat.js';
import { add, div } from '../ops/elementwise.js';
import { tensor } from '../ops/creation.js';
import { max, sum } from '../ops/reduce.js';
import { tidy } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { AttentionPooling } from './attention-pooling.js';
import { Embedding } from './embedding.js';
import { Linear } from './linear.js';
import { inference, Module } from './module.js';
import { GRU, LSTM } from './rnn.js';
import type { RnnPrecision } from '../binding.js';

export type Pooling = 'last' | 'mean' | 'max' | 'attention';

export interface SequenceClassifierOptions {
  vocabSize: number;
  numClasses: number;
  embeddingDim?: number;
  hiddenSize?: number;
  numLayers?: number;
  bidirectional?: boolean;
  /** 'lstm' (default) or 'gru'. */
  cell?: 'lstm' | 'gru';
  /**
   * 'last': final states of the top layer (both directions); 'mean': mean output over valid
   * steps; 'max': per-feature maximum of the outputs over valid steps (padded steps never win);
   * 'attention': a learned weighted mean over valid steps (nn.AttentionPooling, parameters
   * attention.proj.weight, attention.proj.bias, attention.score.weight).
   */
  pooling?: Pooling;
  dropout?: number;
  /** The recurrent layer's precision (default 'fp32'; see nn.LSTM). */
  precision?: RnnPrecision;
}

const OPTIONS = [
  'vocabSize', 'numClasses', 'embeddingDim', 'hiddenSize', 'numLayers', 'bidirectional', 'cell', 'pooling', 'dropout', 'precision',
] as const;

export class SequenceClassifier extends Module {
  readonly embedding: Embedding;
  readonly rnn: LSTM | GRU;
  readonly head: Linear;
  readonly pooling: Pooling;
  /** The attention head of pooling 'attention', else null. */
  readonly attention: AttentionPooling | null;

  constructor(options: SequenceClassifierOptions) {
    super();
    const op = 'nn.SequenceClassifier';
    if (options === undefined) throw new ArgumentError(`${op}: options with vocabSize and numClasses are required`);
    const o = checkOptions(op, options, OPTIONS);
    const embeddingDim = checkInteger(op, 'options.embeddingDim', o.embeddingDim ?? 128);
    const hiddenSize = checkInteger(op, 'options.hiddenSize', o.hiddenSize ?? 128);
    const bidirectional = checkBoolean(op, 'options.bidirectional', o.bidirectional ?? true);
    const cell = checkOneOf(op, 'options.cell', o.cell ?? 'lstm', ['lstm', 'gru'] as const);
    this.pooling = checkOneOf(op, 'options.pooling', o.pooling ?? 'last', ['last', 'mean', 'max', 'attention'] as const);
    this.embedding = this.registerModule('embedding', new Embedding(checkInteger(op, 'options.vocabSize', o.vocabSize), embeddingDim));
    const rnnOptions = {
      inputSize: embeddingDim,
      hiddenSize,
      numLayers: (o.numLayers ?? 1) as number, // checked by the recurrent layer
      bidirectional,
      dropout: (o.dropout ?? 0) as number,
      precision: (o.precision ?? 'fp32') as RnnPrecision, // checked by the recurrent layer
    } as const;
    this.rnn = this.registerModule('rnn', cell === 'lstm' ? new LSTM(rnnOptions) : new GRU(rnnOptions));
    const pooledSize = (bidirectional ? 2 : 1) * hiddenSize;
    this.attention = this.pooling === 'attention' ? this.registerModule('attention', new AttentionPooling(pooledSize)) : null;
    this.head = this.registerModule('head', new Linear(pooledSize, checkInteger(op, 'options.numClasses', o.numClasses)));
  }

  /**
   * Inference: logits [batch, numClasses] for ids int32 [batch, time], in evaluation mode (no dropout)
   * without the autograd tape; the model's mode is kept. train.predict() does this over data.
   */
  predict(ids: Tensor<'int32'>, options: { lengths?: Int32Array } = {}): Tensor<'float32'> {
    return inference(this, () => this.forward(ids, options));
  }

  /** ids int32 [batch, time] (padded) → logits [batch, numClasses]. */
  forward(ids: Tensor<'int32'>, options: { lengths?: Int32Array } = {}): Tensor<'float32'> {
    return tidy(() => {
      const x = this.embedding.forward(ids);
      const { output, state } = this.rnn.forward(x, options.lengths ? { lengths: options.lengths } : {});
      const { numLayers, bidirectional } = this.rnn.config;
      let pooled: Tensor<'float32'>;
      if (this.pooling === 'last') {
        // The top layer's final states: h[numLayers*D - D .. numLayers*D) → [batch, D*H].
        const dirs = bidirectional ? 2 : 1;
        const top = state.h.narrow(0, (numLayers - 1) * dirs, dirs);
        pooled = concat(Array.from({ length: dirs }, (_, d) => top.narrow(0, d, 1).reshape([top.shape[1]!, top.shape[2]!])), 1);
      } else if (this.attention !== null) {
        pooled = this.attention.forward(output, options.lengths ? { lengths: options.lengths } : {});
      } else if (this.pooling === 'max') {
        // Padded steps hold zeros, which could beat a valid step's negative values: a -Infinity
        // bias [batch, time, 1] (built on the host from lengths) keeps them out of the max.
        const lengths = options.lengths;
        if (lengths === undefined) {
          pooled = max(output, 1);
        } else {
          const batch = ids.shape[0]!;
          const time = ids.shape[1]!;
          const bias = new Float32Array(batch * time);
          for (let b = 0; b < batch; b++) bias.fill(-Infinity, b * time + lengths[b]!, (b + 1) * time);
          pooled = max(add(output, tensor(bias, { shape: [batch, time, 1], device: output.device })), 1);
        }
      } else {
        const batch = ids.shape[0]!;
        const time = ids.shape[1]!;
        const lengths = options.lengths ?? new Int32Array(batch).fill(time);
        pooled = div(sum(output, 1), tensor(Float32Array.from(lengths), { shape: [batch, 1], device: output.device }));
      }
      return this.head.forward(pooled);
    });
  }
}
