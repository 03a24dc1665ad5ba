// nn.Embedding: a table of vectors looked up by int32 ids (PyTorch's layout and N(0, 1) init),
// with PyTorch's paddingIdx: that row starts at zero and never gets a gradient.
// Embedding.fromPretrained() takes the table as given (pretrained word vectors), frozen by default.

import { checkBoolean, checkInteger, checkOptions, checkShape, isDetached } from '../args.js';
import { describe } from '../dtype.js';
import { ArgumentError, DTypeError, ShapeError } from '../errors.js';
import { tensor } from '../ops/creation.js';
import { copyTo } from '../ops/device.js';
import { gatherRows } from '../ops/gather.js';
import { normalArray } from '../random.js';
import { untracked } from '../scope.js';
import { Tensor } from '../tensor.js';
import { Module, type Parameter } from './module.js';

export interface EmbeddingOptions {
  /**
   * The id of padding: its row is initialised to zeros and gets no gradient, so the optimizer
   * leaves it as it is (e.g. zero). Negative counts from the end, as in PyTorch
   * (-1 = numEmbeddings - 1). Default: none.
   */
  paddingIdx?: number;
}

export interface FromPretrainedOptions extends EmbeddingOptions {
  /** Whether the weight stays as given: requiresGrad = false (default true, as in PyTorch). */
  freeze?: boolean;
  /** The shape [numEmbeddings, embeddingDim] of a Float32Array of weights (not given with a Tensor). */
  shape?: readonly number[];
}

/** paddingIdx in [-n, n), normalised to [0, n); null when not given. */
function checkPaddingIdx(op: string, value: unknown, n: number): number | null {
  if (value === undefined) return null;
  const idx = checkInteger(op, 'options.paddingIdx', value);
  if (idx < -n || idx >= n) {
    throw new ArgumentError(`${op}: options.paddingIdx must be in [${-n}, ${n}) (numEmbeddings = ${n}), got ${idx}`);
  }
  return idx < 0 ? idx + n : idx;
}

export class Embedding extends Module {
  /** The weight fromPretrained() hands to the one constructor call it makes (instead of drawing one). */
  static #pretrained: Parameter | null = null;

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
    this.paddingIdx = checkPaddingIdx(op, opts.paddingIdx, this.numEmbeddings);
    const pretrained = Embedding.#pretrained;
    if (pretrained !== null) {
      Embedding.#pretrained = null;
      this.weight = this.registerParameter('weight', pretrained);
      return;
    }
    const values = normalArray(this.numEmbeddings * this.embeddingDim);
    if (this.paddingIdx !== null) values.fill(0, this.paddingIdx * this.embeddingDim, (this.paddingIdx + 1) * this.embeddingDim);
    this.weight = this.newParameter('weight', [this.numEmbeddings, this.embeddingDim], values);
  }

  /**
   * An embedding whose weight is a copy of `embeddings` ([numEmbeddings, embeddingDim]: a float32
   * Tensor, on its device, or a Float32Array with options.shape, on the default device), as
   * PyTorch's Embedding.from_pretrained: frozen unless freeze is false (set weight.requiresGrad =
   * true later to fine-tune), and the paddingIdx row is kept as given (not zeroed) but gets no
   * gradient. No random values are drawn, so rnnkit's seeded generator is left as it was.
   */
  static fromPretrained(embeddings: Tensor<'float32'> | Float32Array, options?: FromPretrainedOptions): Embedding {
    const op = 'nn.Embedding.fromPretrained';
    const opts = checkOptions(op, options, ['freeze', 'paddingIdx', 'shape'] as const);
    const freeze = checkBoolean(op, 'options.freeze', opts.freeze ?? true);
    let shape: number[];
    if (embeddings instanceof Tensor) {
      if (opts.shape !== undefined) throw new ArgumentError(`${op}: options.shape is for a Float32Array; a Tensor brings its own shape [${embeddings.shape.join(', ')}]`);
      if (embeddings.dtype !== 'float32') throw new DTypeError(`${op}: embeddings must be float32, got ${embeddings.dtype}`);
      shape = [...embeddings.shape];
    } else if (embeddings instanceof Float32Array) {
      if (isDetached(embeddings)) throw new ArgumentError(`${op}: embeddings is a Float32Array whose ArrayBuffer was transferred away (detached)`);
      if (opts.shape === undefined) throw new ArgumentError(`${op}: options.shape [numEmbeddings, embeddingDim] is required with a Float32Array`);
      shape = checkShape(op, 'options.shape', opts.shape);
      if (shape.length === 2 && shape[0]! * shape[1]! !== embeddings.length) {
        throw new ShapeError(`${op}: options.shape [${shape.join(', ')}] holds ${shape[0]! * shape[1]!} values, the Float32Array has ${embeddings.length}`);
      }
    } else {
      throw new ArgumentError(`${op}: embeddings must be a float32 Tensor or a Float32Array, got ${describe(embeddings)}`);
    }
    if (shape.length !== 2 || shape[0]! < 1 || shape[1]! < 1) {
      throw new ShapeError(`${op}: embeddings must have shape [numEmbeddings, embeddingDim], both >= 1, got [${shape.join(', ')}]`);
    }
    const [n, dim] = shape as [number, number];
    const paddingIdx = checkPaddingIdx(op, opts.paddingIdx, n);
    const weight = untracked(() => (embeddings instanceof Tensor ? copyTo(op, embeddings, embeddings.device) : tensor(embeddings, { shape })));
    weight.requiresGrad = !freeze;
    Embedding.#pretrained = weight;
    return new Embedding(n, dim, paddingIdx === null ? {} : { paddingIdx });
  }

  /** ids int32 of any shape → [...ids.shape, embeddingDim]; each id in [0, numEmbeddings). */
  forward(ids: Tensor<'int32'>): Tensor<'float32'> {
    return gatherRows(this.weight, ids, this.paddingIdx);
  }
}
