// In-memory datasets for fit(): examples of token ids (or feature rows) with a class target,
// shuffled with a seed each epoch and batched with padding to the longest sequence in the batch.

import { checkBoolean, checkInteger, checkOptions } from '../args.js';
import { describe } from '../dtype.js';
import { ArgumentError } from '../errors.js';
import { tensor } from '../ops/creation.js';
import { createRandom, nextSeed } from '../random.js';
import type { Tensor } from '../tensor.js';

/** One batch as fit() feeds it to a model and a loss. */
export interface Batch {
  /** int32 token ids [batch, time] (padded with padValue). */
  inputs: Tensor<'int32'>;
  /** int32 targets: class ids [batch], or next-token ids [batch, time] for language models. */
  targets: Tensor<'int32'>;
  /** Each sequence's length (1..time). */
  lengths: Int32Array;
  /** Real tokens in the batch (the sum of lengths), for tokens/s. */
  tokens: number;
}

/** What fit() iterates: a fresh sequence of batches per epoch (streamed sources are async). */
export interface DataSource {
  batches(epoch: number): Iterable<Batch> | AsyncIterable<Batch>;
  /** Batches per epoch, when known (for the progress bar). */
  readonly numBatches?: number;
}

export interface Example {
  /** Token ids, at least one. */
  input: ArrayLike<number>;
  target: number;
}

export interface SequenceDatasetOptions {
  batchSize: number;
  /** Shuffle each epoch (default true). */
  shuffle?: boolean;
  /** Seed of the shuffle; epoch e uses seed + e, so runs repeat. Default: drawn from seed(n)'s generator. */
  seed?: number;
  /** Id written past a sequence's end (default 0). */
  padValue?: number;
  /** Keep a last batch smaller than batchSize (default true). */
  keepLast?: boolean;
}

/** A seeded permutation of 0..n-1 (Fisher-Yates). */
export function permutation(n: number, seed: number): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const random = createRandom(seed);
  for (let i = n - 1; i > 0; i--) {
    const k = Math.floor(random() * (i + 1));
    [order[i], order[k]] = [order[k]!, order[i]!];
  }
  return order;
}

/** A batch of examples, padded with padValue to the longest, with their lengths. */
export function padBatch(rows: readonly Example[], padValue = 0): Batch {
  const lengths = Int32Array.from(rows, (ex) => ex.input.length);
  let time = 0;
  for (const len of lengths) if (len > time) time = len;
  const ids = new Int32Array(rows.length * time).fill(padValue);
  rows.forEach((ex, r) => {
    const input = ex.input;
    if (ArrayBuffer.isView(input) && input instanceof Int32Array) ids.set(input, r * time);
    else for (let t = 0; t < input.length; t++) ids[r * time + t] = input[t]!;
  });
  return {
    inputs: tensor(ids, { shape: [rows.length, time] }),
    targets: tensor(Int32Array.from(rows, (ex) => ex.target)),
    lengths,
    tokens: lengths.reduce((a, b) => a + b, 0),
  };
}

/** Checks a list of examples: non-empty, each with non-empty token ids and an integer target. */
export function checkExamples(op: string, examples: unknown): readonly Example[] {
  if (!Array.isArray(examples) || examples.length === 0) {
    throw new ArgumentError(`${op}: examples must be a non-empty array, got ${describe(examples)}`);
  }
  examples.forEach((ex: unknown, i) => {
    const input = (ex as Example | null)?.input;
    if (input == null || typeof input.length !== 'number' || input.length < 1) {
      throw new ArgumentError(`${op}: examples[${i}].input must be a non-empty array of token ids`);
    }
    checkInteger(op, `examples[${i}].target`, (ex as Example).target);
  });
  return examples as readonly Example[];
}

export class SequenceDataset implements DataSource {
  readonly #examples: readonly Example[];
  readonly #batchSize: number;
  readonly #shuffle: boolean;
  readonly #seed: number;
  readonly #padValue: number;
  readonly #keepLast: boolean;

  constructor(examples: readonly Example[], options: SequenceDatasetOptions) {
    const op = 'SequenceDataset';
    const opts = checkOptions(op, options, ['batchSize', 'shuffle', 'seed', 'padValue', 'keepLast'] as const);
    this.#examples = checkExamples(op, examples);
    this.#batchSize = checkInteger(op, 'options.batchSize', opts.batchSize);
    if (this.#batchSize < 1) throw new ArgumentError(`${op}: options.batchSize must be >= 1, got ${this.#batchSize}`);
    this.#shuffle = checkBoolean(op, 'options.shuffle', opts.shuffle ?? true);
    this.#seed = opts.seed === undefined ? nextSeed() : checkInteger(op, 'options.seed', opts.seed);
    this.#padValue = checkInteger(op, 'options.padValue', opts.padValue ?? 0);
    this.#keepLast = checkBoolean(op, 'options.keepLast', opts.keepLast ?? true);
  }

  get numBatches(): number {
    const n = this.#examples.length / this.#batchSize;
    return this.#keepLast ? Math.ceil(n) : Math.floor(n);
  }

  *batches(epoch: number): Iterable<Batch> {
    const n = this.#examples.length;
    const order = this.#shuffle ? permutation(n, this.#seed + epoch) : Int32Array.from({ length: n }, (_, i) => i);
    for (let start = 0; start < n; start += this.#batchSize) {
      const idx = order.subarray(start, Math.min(n, start + this.#batchSize));
      if (idx.length < this.#batchSize && !this.#keepLast) return;
      yield padBatch(Array.from(idx, (i) => this.#examples[i]!), this.#padValue);
    }
  }

}
