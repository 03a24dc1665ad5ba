// nn.Embedding: a table of vectors looked up by int32 ids (PyTorch's layout and N(0, 1) init),
// with PyTorch's paddingIdx: that row starts at zero and never gets a gradient.

import { checkInteger, checkOptions } from '../args.js';
import { ArgumentError } from '../errors.js';
import { gatherRows } from '../ops/gather.js';
import { normalArray } from '../random.js';
import type { Tensor } from '../tensor.js';
import { Module, type Parameter } from './module.js';

export interface EmbeddingOptions {
  /**
   * The id of padding: its row is initialised to zeros and gets no gradient, so the optimizer
   * leaves it as it is (e.g. zero). Negative counts from the end, as in PyTorch
   * (-1 = numEmbeddings - 1). Default: none.
   */
  paddingIdx?: number;
}

export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  /** The padding row in [0, numEmbeddings) (a negative option normalised), or null. */
  readonly paddingIdx: number | null;
  readonly weight: Parameter;

  constructor(numEmbeddings: number, embeddingDim: number, options?: EmbeddingOptions) {
    super();
    const op = 'nn.Embedding';
    const opts = checkOptions(op, options, ['paddingIdx'] as const);
    this.numEmbeddings = checkInteger(op, 'numEmbeddings', numEmbeddings);
    this.embeddingDim = checkInteger(op, 'embeddingDim', embeddingDim);
    if (this.numEmbeddings < 1 || this.embeddingDim < 1) {
      throw new ArgumentError(`${op}: numEmbeddings and embeddingDim must be positive, got ${numEmbeddings} and ${embeddingDim}`);
    }
    if (opts.paddingIdx === undefined) {
      this.paddingIdx = null;
    } else {
      const idx = checkInteger(op, 'options.paddingIdx', opts.paddingIdx);
      const n = this.numEmbeddings;
      if (idx < -n || idx >= n) {
        throw new ArgumentError(`${op}: options.paddingIdx must be in [${-n}, ${n}) (numEmbeddings = ${n}), got ${idx}`);
      }
      this.paddingIdx = idx < 0 ? idx + n : idx;
    }
    const values = normalArray(this.numEmbeddings * this.embeddingDim);
    if (this.paddingIdx !== null) values.fill(0, this.paddingIdx * this.embeddingDim, (this.paddingIdx + 1) * this.embeddingDim);
    this.weight = this.newParameter('weight', [this.numEmbeddings, this.embeddingDim], values);
  }

  /** ids int32 of any shape → [...ids.shape, embeddingDim]; each id in [0, numEmbeddings). */
  forward(ids: Tensor<'int32'>): Tensor<'float32'> {
    return gatherRows(this.weight, ids, this.paddingIdx);
  }
}
