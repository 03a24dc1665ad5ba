// nn.LanguageModel: embedding → dropout → stacked LSTM or GRU → dropout → linear over the
// vocabulary (PyTorch word_language_model's RNNModel), with optional weight tying (the output layer
// reuses the embedding table, as in Press & Wolf 2017).

import { checkBoolean, checkInteger, checkOneOf, checkOptions } from '../args.js';
import { ArgumentError } from '../errors.js';
import { checkDropoutP, dropout } from '../ops/dropout.js';
import { add } from '../ops/elementwise.js';
import { matmul } from '../ops/matmul.js';
import { uniformArray } from '../random.js';
import { tidy } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { Embedding } from './embedding.js';
import { Linear } from './linear.js';
import { inference, Module, type Parameter } from './module.js';
import { GRU, LSTM, type RecurrentState } from './rnn.js';
import type { RnnPrecision } from '../binding.js';

export interface LanguageModelOptions {
  vocabSize: number;
  embeddingDim?: number;
  hiddenSize?: number;
  numLayers?: number;
  /** The recurrent cell (default 'lstm'); a GRU's state has no c. */
  cell?: 'lstm' | 'gru';
  /** Dropout between stacked recurrent layers, in training mode (default 0). */
  dropout?: number;
  /** Dropout on the embedded inputs, in training mode (word_language_model's drop(encoder(input)); default 0). */
  embeddingDropout?: number;
  /** Dropout on the top layer's outputs before the output layer, in training mode (default 0). */
  outputDropout?: number;
  /** Share the embedding table with the output layer (needs embeddingDim == hiddenSize). */
  tieWeights?: boolean;
  /** The recurrent layer's precision (default 'fp32'; see nn.LSTM). */
  precision?: RnnPrecision;
}

export interface LanguageModelOutput {
  /** [batch, time, vocabSize]. */
  logits: Tensor<'float32'>;
  /** The recurrent layer's final state, to continue from (generation, stateful training). */
  state: RecurrentState;
}

export class LanguageModel extends Module {
  readonly embedding: Embedding;
  readonly rnn: LSTM | GRU;
  /** The dropout probabilities on the embedded inputs and on the recurrent outputs. */
  readonly embeddingDropout: number;
  readonly outputDropout: number;
  /** The output layer; null when tied (then the embedding table and `headBias` serve). */
  readonly head: Linear | null;
  readonly headBias: Parameter | null;

  constructor(options: LanguageModelOptions) {
    super();
    const op = 'nn.LanguageModel';
    if (options === undefined) throw new ArgumentError(`${op}: options with vocabSize are required`);
    const o = checkOptions(op, options, [
      'vocabSize', 'embeddingDim', 'hiddenSize', 'numLayers', 'cell', 'dropout', 'embeddingDropout', 'outputDropout', 'tieWeights', 'precision',
    ] as const);
    const vocabSize = checkInteger(op, 'options.vocabSize', o.vocabSize);
    const embeddingDim = checkInteger(op, 'options.embeddingDim', o.embeddingDim ?? 128);
    const hiddenSize = checkInteger(op, 'options.hiddenSize', o.hiddenSize ?? 256);
    const tie = checkBoolean(op, 'options.tieWeights', o.tieWeights ?? false);
    if (tie && embeddingDim !== hiddenSize) {
      throw new ArgumentError(`${op}: tieWeights needs embeddingDim (${embeddingDim}) equal to hiddenSize (${hiddenSize})`);
    }
    const cell = checkOneOf(op, 'options.cell', o.cell ?? 'lstm', ['lstm', 'gru'] as const);
    this.embeddingDropout = checkDropoutP(op, 'options.embeddingDropout', o.embeddingDropout ?? 0);
    this.outputDropout = checkDropoutP(op, 'options.outputDropout', o.outputDropout ?? 0);
    this.embedding = this.registerModule('embedding', new Embedding(vocabSize, embeddingDim));
    const rnnOptions = {
      inputSize: embeddingDim,
      hiddenSize,
      numLayers: (o.numLayers ?? 1) as number, // checked by the recurrent layer
      dropout: (o.dropout ?? 0) as number,
      precision: (o.precision ?? 'fp32') as RnnPrecision, // checked by the recurrent layer
    };
    this.rnn = this.registerModule('rnn', cell === 'lstm' ? new LSTM(rnnOptions) : new GRU(rnnOptions));
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
      const embedded = dropout(this.embedding.forward(ids), this.embeddingDropout, { training: this.training });
      const { output: hidden, state } = this.rnn.forward(embedded, options);
      const output = dropout(hidden, this.outputDropout, { training: this.training });
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
