// nn.LanguageModel: embedding → stacked LSTM → linear over the vocabulary, with optional weight
// tying (the output layer reuses the embedding table, as in Press & Wolf 2017).

import { checkBoolean, checkInteger, checkOptions } from '../args.js';
import { ArgumentError } from '../errors.js';
import { add } from '../ops/elementwise.js';
import { matmul } from '../ops/matmul.js';
import { uniformArray } from '../random.js';
import { tidy } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { Embedding } from './embedding.js';
import { Linear } from './linear.js';
import { inference, Module, type Parameter } from './module.js';
import { LSTM, type RecurrentState } from './rnn.js';
import type { RnnPrecision } from '../binding.js';

export interface LanguageModelOptions {
  vocabSize: number;
  embeddingDim?: number;
  hiddenSize?: number;
  numLayers?: number;
  dropout?: number;
  /** Share the embedding table with the output layer (needs embeddingDim == hiddenSize). */
  tieWeights?: boolean;
  /** The LSTM's precision (default 'fp32'; see nn.LSTM). */
  precision?: RnnPrecision;
}

export interface LanguageModelOutput {
  /** [batch, time, vocabSize]. */
  logits: Tensor<'float32'>;
  /** The LSTM's final state, to continue from (generation). */
  state: RecurrentState;
}

export class LanguageModel extends Module {
  readonly embedding: Embedding;
  readonly rnn: LSTM;
  /** The output layer; null when tied (then the embedding table and `headBias` serve). */
  readonly head: Linear | null;
  readonly headBias: Parameter | null;

  constructor(options: LanguageModelOptions) {
    super();
    const op = 'nn.LanguageModel';
    if (options === undefined) throw new ArgumentError(`${op}: options with vocabSize are required`);
    const o = checkOptions(op, options, ['vocabSize', 'embeddingDim', 'hiddenSize', 'numLayers', 'dropout', 'tieWeights', 'precision'] as const);
    const vocabSize = checkInteger(op, 'options.vocabSize', o.vocabSize);
    const embeddingDim = checkInteger(op, 'options.embeddingDim', o.embeddingDim ?? 128);
    const hiddenSize = checkInteger(op, 'options.hiddenSize', o.hiddenSize ?? 256);
    const tie = checkBoolean(op, 'options.tieWeights', o.tieWeights ?? false);
    if (tie && embeddingDim !== hiddenSize) {
      throw new ArgumentError(`${op}: tieWeights needs embeddingDim (${embeddingDim}) equal to hiddenSize (${hiddenSize})`);
    }
    this.embedding = this.registerModule('embedding', new Embedding(vocabSize, embeddingDim));
    this.rnn = this.registerModule(
      'rnn',
      new LSTM({
        inputSize: embeddingDim,
        hiddenSize,
        numLayers: (o.numLayers ?? 1) as number, // checked by the LSTM
        dropout: (o.dropout ?? 0) as number,
        precision: (o.precision ?? 'fp32') as RnnPrecision, // checked by the LSTM
      }),
    );
    if (tie) {
      const k = 1 / Math.sqrt(hiddenSize);
      this.head = null;
      this.headBias = this.newParameter('head_bias', [vocabSize], uniformArray(vocabSize, -k, k));
    } else {
      this.head = this.registerModule('head', new Linear(hiddenSize, vocabSize));
      this.headBias = null;
    }
  }

  /**
   * Inference: next-token logits [batch, time, vocabSize] for ids int32 [batch, time], in evaluation mode (no dropout)
   * without the autograd tape; the model's mode is kept. train.predict() does this over data.
   */
  predict(ids: Tensor<'int32'>, options: { lengths?: Int32Array } = {}): Tensor<'float32'> {
    return inference(this, () => this.forward(ids, options));
  }

  /** ids int32 [batch, time] → next-token logits [batch, time, vocabSize] (what fit() trains). */
  forward(ids: Tensor<'int32'>, options: { lengths?: Int32Array } = {}): Tensor<'float32'> {
    const { logits, state } = this.run(ids, options);
    state.h.dispose();
    state.c?.dispose();
    return logits;
  }

  /** Logits and the final state; pass `state` back in to continue a sequence step by step. */
  run(ids: Tensor<'int32'>, options: { lengths?: Int32Array; state?: RecurrentState } = {}): LanguageModelOutput {
    return tidy(() => {
      const { output, state } = this.rnn.forward(this.embedding.forward(ids), options);
      let logits: Tensor<'float32'>;
      if (this.head !== null) {
        logits = this.head.forward(output);
      } else {
        const table = this.embedding.weight.transpose();
        logits = add(matmul(output, table), this.headBias!);
      }
      return { logits, state };
    });
  }
}
