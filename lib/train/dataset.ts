// In-memory datasets for fit(): examples of token ids (or feature rows) with a target (a class id,
// or multi-hot labels for multi-label classification), shuffled with a seed each epoch and batched
// with padding to the longest sequence in the batch.

import { checkBoolean, checkInteger, checkOptions } from '../args.js';
import { describe } from '../dtype.js';
import { ArgumentError } from '../errors.js';
import { tensor } from '../ops/creation.js';
import { createRandom, nextSeed } from '../random.js';
import type { Tensor } from '../tensor.js';
import { checkShard, shardBatches, shardCount, type ShardOptions } from '../distributed/shard.js';

/** A batch's target dtype: int32 class ids, or float32 multi-hot (or soft) labels. */
export type TargetDType = 'int32' | 'float32';

/** One batch as fit() feeds it to a model and a loss. */
export interface Batch<T extends TargetDType = 'int32'> {
  /** int32 token ids [batch, time] (padded with padValue). */
  inputs: Tensor<'int32'>;
  /**
   * int32 class ids [batch], or next-token ids [batch, time] for language models; float32
   * multi-hot labels [batch, classes] for multi-label classification (bceWithLogits).
   */
  targets: Tensor<T>;
  /** Each sequence's length (1..time). */
  lengths: Int32Array;
  /** Real tokens in the batch (the sum of lengths), for tokens/s. */
  tokens: number;
}

/** What fit() iterates: a fresh sequence of batches per epoch (streamed sources are async). */
export interface DataSource<T extends TargetDType = 'int32'> {
  batches(epoch: number): Iterable<Batch<T>> | AsyncIterable<Batch<T>>;
  /** Batches per epoch, when known (for the progress bar). */
  readonly numBatches?: number;
}

export interface Example<T extends TargetDType = 'int32'> {
  /** Token ids, at least one. */
  input: ArrayLike<number>;
  /** A class id; for float32 targets, one value per class in [0, 1] (multi-hot: 1 for each label). */
  target: T extends 'float32' ? ArrayLike<number> : number;
}

/** The targets' dtype of an example type: int32 for class ids, float32 for label vectors (lets calls infer it). */
export type TargetDTypeOf<E extends Example<TargetDType>> = E extends { target: number } ? 'int32' : 'float32';

/** With rank and worldSize, each rank gets its share of every epoch's batches (see distributed.shardBatches). */
export interface SequenceDatasetOptions extends ShardOptions {
  /** Rows per batch (per rank, when sharded). */
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

/** The targets of a batch's rows: int32 [batch] of class ids, or float32 [batch, classes] of labels. */
function batchTargets(rows: readonly (Example | Example<'float32'>)[]): Tensor<'int32'> | Tensor<'float32'> {
  const first = rows[0]?.target;
  if (first === undefined || typeof first === 'number') return tensor(Int32Array.from(rows, (ex) => ex.target as number));
  const classes = first.length;
  const values = new Float32Array(rows.length * classes);
  rows.forEach((ex, r) => values.set(ex.target as ArrayLike<number>, r * classes));
  return tensor(values, { shape: [rows.length, classes] });
}

/** A batch of examples, padded with padValue to the longest, with their lengths (the targets' dtype follows the examples'). */
export function padBatch<E extends Example<TargetDType>>(rows: readonly E[], padValue = 0): Batch<TargetDTypeOf<E>> {
  return padExamples(rows as readonly Example<TargetDTypeOf<E>>[], padValue);
}

/** padBatch for code that knows the dtype as a type parameter (the data sources). */
export function padExamples<T extends TargetDType>(rows: readonly Example<T>[], padValue: number): Batch<T> {
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
    targets: batchTargets(rows as readonly (Example | Example<'float32'>)[]) as Tensor<T>,
    lengths,
    tokens: lengths.reduce((a, b) => a + b, 0),
  };
}

/** Checks example i's label vector: as long as the first example's, finite values in [0, 1]. */
function checkLabelVector(op: string, i: number, target: unknown, classes: number): void {
  const arg = `examples[${i}].target`;
  if (typeof target !== 'object' || target === null || typeof (target as ArrayLike<number>).length !== 'number' || typeof target === 'string') {
    throw new ArgumentError(`${op}: ${arg} must be a label vector like examples[0].target (one value per class), got ${describe(target)}`);
  }
  const values = target as ArrayLike<unknown>;
  if (values.length !== classes) {
    throw new ArgumentError(`${op}: ${arg} has ${values.length} values, expected ${classes} (one per class, as examples[0].target)`);
  }
  for (let c = 0; c < classes; c++) {
    const v = values[c];
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new ArgumentError(`${op}: ${arg}[${c}] must be a number in [0, 1], got ${describe(v)}`);
  }
}

/**
 * Checks a list of examples: non-empty, each with non-empty token ids, and either every target an
 * integer (class ids) or every target a label vector of one length (multi-hot / soft labels).
 */
export function checkExamples<T extends TargetDType = 'int32'>(op: string, examples: unknown): readonly Example<T>[] {
  if (!Array.isArray(examples) || examples.length === 0) {
    throw new ArgumentError(`${op}: examples must be a non-empty array, got ${describe(examples)}`);
  }
  const first = (examples[0] as Example | null)?.target;
  const classes = typeof first === 'number' || first == null ? -1 : (first as ArrayLike<number>).length;
  if (classes === 0) throw new ArgumentError(`${op}: examples[0].target is an empty label vector (one value per class expected)`);
  examples.forEach((ex: unknown, i) => {
    const input = (ex as Example | null)?.input;
    if (input == null || typeof input.length !== 'number' || input.length < 1) {
      throw new ArgumentError(`${op}: examples[${i}].input must be a non-empty array of token ids`);
    }
    const target = (ex as Example).target as unknown;
    if (classes < 0) checkInteger(op, `examples[${i}].target`, target);
    else checkLabelVector(op, i, target, classes);
  });
  return examples as readonly Example<T>[];
}

export class SequenceDataset<T extends TargetDType = 'int32'> implements DataSource<T> {
  readonly #examples: readonly Example<T>[];
  readonly #batchSize: number;
  readonly #shuffle: boolean;
  readonly #seed: number;
  readonly #padValue: number;
  readonly #keepLast: boolean;
  readonly #shard: { rank: number; worldSize: number };

  constructor(examples: readonly Example<T>[], options: SequenceDatasetOptions) {
    const op = 'SequenceDataset';
    const opts = checkOptions(op, options, ['batchSize', 'shuffle', 'seed', 'padValue', 'keepLast', 'rank', 'worldSize'] as const);
    this.#examples = checkExamples<T>(op, examples);
    this.#batchSize = checkInteger(op, 'options.batchSize', opts.batchSize);
    if (this.#batchSize < 1) throw new ArgumentError(`${op}: options.batchSize must be >= 1, got ${this.#batchSize}`);
    this.#shuffle = checkBoolean(op, 'options.shuffle', opts.shuffle ?? true);
    this.#seed = opts.seed === undefined ? nextSeed() : checkInteger(op, 'options.seed', opts.seed);
    this.#padValue = checkInteger(op, 'options.padValue', opts.padValue ?? 0);
    this.#keepLast = checkBoolean(op, 'options.keepLast', opts.keepLast ?? true);
    this.#shard = checkShard(op, opts);
    if (opts.seed === undefined && this.#shuffle && this.#shard.worldSize > 1) {
      throw new ArgumentError(`${op}: options.seed is required with options.worldSize ${this.#shard.worldSize}: every rank must shuffle alike`);
    }
  }

  /** Batches per epoch of this rank (all ranks have the same count). */
  get numBatches(): number {
    const n = this.#examples.length / this.#batchSize;
    return shardCount(this.#keepLast ? Math.ceil(n) : Math.floor(n), this.#shard.worldSize);
  }

  *batches(epoch: number): Iterable<Batch<T>> {
    const n = this.#examples.length;
    const order = this.#shuffle ? permutation(n, this.#seed + epoch) : Int32Array.from({ length: n }, (_, i) => i);
    const plan: Int32Array[] = [];
    for (let start = 0; start < n; start += this.#batchSize) {
      const idx = order.subarray(start, Math.min(n, start + this.#batchSize));
      if (idx.length < this.#batchSize && !this.#keepLast) break;
      plan.push(idx);
    }
    for (const idx of shardBatches(plan, this.#shard.rank, this.#shard.worldSize)) {
      yield padExamples(Array.from(idx, (i) => this.#examples[i]!), this.#padValue);
    }
  }
}
