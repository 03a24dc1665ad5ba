// nn.Embedding: a table of vectors looked up by int32 ids (PyTorch's layout and N(0, 1) init).

import { checkInteger, checkOptions } from '../args.js';
import { ArgumentError } from '../errors.js';
import { gather } from '../ops/gather.js';
import { normalArray } from '../random.js';
import type { Tensor } from '../tensor.js';
import { Module, type Parameter } from './module.js';

export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly weight: Parameter;

  constructor(numEmbeddings: number, embeddingDim: number, options?: Record<string, never>) {
    super();
    checkOptions('nn.Embedding', options, [] as const);
    this.numEmbeddings = checkInteger('nn.Embedding', 'numEmbeddings', numEmbeddings);
    this.embeddingDim = checkInteger('nn.Embedding', 'embeddingDim', embeddingDim);
    if (this.numEmbeddings < 1 || this.embeddingDim < 1) {
      throw new ArgumentError(`nn.Embedding: numEmbeddings and embeddingDim must be positive, got ${numEmbeddings} and ${embeddingDim}`);
    }
    this.weight = this.newParameter('weight', [this.numEmbeddings, this.embeddingDim], normalArray(this.numEmbeddings * this.embeddingDim));
  }

  /** ids int32 of any shape → [...ids.shape, embeddingDim]; each id in [0, numEmbeddings). */
  forward(ids: Tensor<'int32'>): Tensor<'float32'> {
    return gather(this.weight, ids);
  }
}
