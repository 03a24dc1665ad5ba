// Batching helpers: padding a batch, a seeded train/validation split, and bucketByLength, which
// groups examples of similar length so batches carry little padding.

import { checkBoolean, checkInteger, checkOptions } from '../args.js';
import { describe } from '../dtype.js';
import { ArgumentError } from '../errors.js';
import { createRandom } from '../random.js';
import { checkShard, shardBatches, shardCount, type ShardOptions } from '../distributed/shard.js';
import { checkExamples, padExamples, permutation, type Batch, type DataSource, type Example, type TargetDType, type TargetDTypeOf } from '../train/dataset.js';

export interface SplitOptions {
  /** Share of the examples for validation, in (0, 1); rounded to a whole count, at least 1 each side. */
  validationFraction: number;
  /** Seed of the shuffle that picks the validation examples (default 0). */
  seed?: number;
}

/**
 * A seeded random split: round(n · validationFraction) examples for validation, the rest for
 * training. Each part keeps the examples' original order.
 */
export function trainValidationSplit<T>(examples: readonly T[], options: SplitOptions): { train: T[]; validation: T[] } {
  const op = 'trainValidationSplit';
  if (!Array.isArray(examples)) throw new ArgumentError(`${op}: examples must be an array, got ${describe(examples)}`);
  if (options === undefined) throw new ArgumentError(`${op}: options { validationFraction } are required`);
  const opts = checkOptions(op, options, ['validationFraction', 'seed'] as const);
  const f = opts.validationFraction;
  if (typeof f !== 'number' || !(f > 0 && f < 1)) {
    throw new ArgumentError(`${op}: options.validationFraction must be a number in (0, 1), got ${describe(f)}`);
  }
  const seed = checkInteger(op, 'options.seed', opts.seed ?? 0);
  const n = examples.length;
  const nVal = Math.round(n * f);
  if (nVal < 1 || nVal > n - 1) {
    throw new ArgumentError(`${op}: ${n} examples with validationFraction ${f} leave ${nVal < 1 ? 'no validation' : 'no training'} examples`);
  }
  const order = permutation(n, seed);
  const isVal = new Uint8Array(n);
  for (let i = 0; i < nVal; i++) isVal[order[i]!] = 1;
  const train: T[] = [];
  const validation: T[] = [];
  examples.forEach((ex, i) => (isVal[i] ? validation : train).push(ex));
  return { train, validation };
}

/** With rank and worldSize, each rank gets its share of every epoch's batches (see distributed.shardBatches). */
export interface BucketByLengthOptions extends ShardOptions {
  /** Rows per batch (per rank, when sharded). */
  batchSize: number;
  /**
   * Ascending length boundaries: bucket 0 holds lengths < buckets[0], bucket k lengths in
   * [buckets[k-1], buckets[k]), the last bucket lengths >= the last boundary (tf.data's
   * bucket_by_sequence_length). Give this or bucketWidth; with neither, the boundaries grow
   * geometrically: 2, 3, ..., 10, 11, 12, 13, 14, 15, 17, 19, ... (each 1.1× the last, at least +1).
   */
  buckets?: readonly number[];
  /** Buckets of this many lengths each: 1..w, w+1..2w, ... */
  bucketWidth?: number;
  /** Seed of the shuffles; epoch e uses seed + e (default 0). */
  seed?: number;
  /** Shuffle within buckets and the batches across buckets each epoch (default true). */
  shuffle?: boolean;
  /** Id written past a sequence's end (default 0). */
  padValue?: number;
  /** Keep each bucket's last batch when it is smaller than batchSize (default true). */
  keepLast?: boolean;
}

/**
 * Geometric boundaries (tensor2tensor's habit): 2, then each boundary 1.1 times the last (at least
 * one more), up to the longest length. Padding within a bucket stays under about 10%.
 */
function geometricBoundaries(lengths: Int32Array): number[] {
  let max = 0;
  for (const len of lengths) if (len > max) max = len;
  const out: number[] = [];
  for (let b = 2; b <= max; b = Math.max(b + 1, Math.round(b * 1.1))) out.push(b);
  return out;
}

/**
 * A DataSource whose batches each come from one bucket of similar lengths: every epoch the examples
 * are shuffled within their bucket, cut into batches, and the batches shuffled across buckets.
 */
export class BucketedDataset<T extends TargetDType = 'int32'> implements DataSource<T> {
  readonly #examples: readonly Example<T>[];
  readonly #lengths: Int32Array;
  /** Example indices of each bucket, in input order. */
  readonly #buckets: Int32Array[];
  readonly #boundaries: readonly number[];
  readonly #batchSize: number;
  readonly #seed: number;
  readonly #shuffle: boolean;
  readonly #padValue: number;
  readonly #keepLast: boolean;
  readonly #shard: { rank: number; worldSize: number };

  constructor(examples: readonly Example<T>[], options: BucketByLengthOptions) {
    const op = 'bucketByLength';
    this.#examples = checkExamples<T>(op, examples);
    if (options === undefined) throw new ArgumentError(`${op}: options { batchSize } are required`);
    const opts = checkOptions(op, options, ['batchSize', 'buckets', 'bucketWidth', 'seed', 'shuffle', 'padValue', 'keepLast', 'rank', 'worldSize'] as const);
    this.#shard = checkShard(op, opts);
    this.#batchSize = checkInteger(op, 'options.batchSize', opts.batchSize);
    if (this.#batchSize < 1) throw new ArgumentError(`${op}: options.batchSize must be >= 1, got ${this.#batchSize}`);
    this.#seed = checkInteger(op, 'options.seed', opts.seed ?? 0);
    this.#shuffle = checkBoolean(op, 'options.shuffle', opts.shuffle ?? true);
    this.#padValue = checkInteger(op, 'options.padValue', opts.padValue ?? 0);
    this.#keepLast = checkBoolean(op, 'options.keepLast', opts.keepLast ?? true);
    this.#lengths = Int32Array.from(this.#examples, (ex) => ex.input.length);
    if (opts.buckets !== undefined && opts.bucketWidth !== undefined) {
      throw new ArgumentError(`${op}: give options.buckets or options.bucketWidth, not both`);
    }
    let bucketOf: (len: number) => number;
    if (opts.bucketWidth !== undefined) {
      const w = checkInteger(op, 'options.bucketWidth', opts.bucketWidth);
      if (w < 1) throw new ArgumentError(`${op}: options.bucketWidth must be >= 1, got ${w}`);
      let max = 0;
      for (const len of this.#lengths) max = Math.max(max, len);
      this.#boundaries = Array.from({ length: Math.ceil(max / w) - 1 }, (_, k) => (k + 1) * w + 1);
      bucketOf = (len) => Math.floor((len - 1) / w);
    } else {
      let bounds: number[];
      if (opts.buckets !== undefined) {
        if (!Array.isArray(opts.buckets)) throw new ArgumentError(`${op}: options.buckets must be an array of lengths, got ${describe(opts.buckets)}`);
        bounds = opts.buckets.map((b, i) => checkInteger(op, `options.buckets[${i}]`, b));
        bounds.forEach((b, i) => {
          if (b < 1 || (i > 0 && b <= bounds[i - 1]!)) {
            throw new ArgumentError(`${op}: options.buckets must be ascending lengths >= 1, got [${bounds.join(', ')}]`);
          }
        });
      } else {
        bounds = geometricBoundaries(this.#lengths);
      }
      this.#boundaries = bounds;
      bucketOf = (len) => {
        let k = 0;
        while (k < bounds.length && len >= bounds[k]!) k++;
        return k;
      };
    }
    const members: number[][] = [];
    this.#lengths.forEach((len, i) => (members[bucketOf(len)] ??= []).push(i));
    this.#buckets = members.filter((m) => m !== undefined && m.length > 0).map((m) => Int32Array.from(m));
  }

  /** The bucket boundaries in use (see options.buckets). */
  get boundaries(): readonly number[] {
    return this.#boundaries;
  }

  /** Examples per non-empty bucket, shortest bucket first. */
  get bucketSizes(): number[] {
    return this.#buckets.map((b) => b.length);
  }

  get numBatches(): number {
    const per = (n: number): number => (this.#keepLast ? Math.ceil(n / this.#batchSize) : Math.floor(n / this.#batchSize));
    return shardCount(this.#buckets.reduce((sum, b) => sum + per(b.length), 0), this.#shard.worldSize);
  }

  /** The example indices of each batch of an epoch, in order (this rank's share, when sharded). */
  plan(epoch: number): Int32Array[] {
    checkInteger('BucketedDataset.plan', 'epoch', epoch);
    const random = createRandom(this.#seed + epoch);
    const batches: Int32Array[] = [];
    for (const bucket of this.#buckets) {
      const order = Int32Array.from(bucket);
      if (this.#shuffle) {
        for (let i = order.length - 1; i > 0; i--) {
          const k = Math.floor(random() * (i + 1));
          [order[i], order[k]] = [order[k]!, order[i]!];
        }
      }
      for (let start = 0; start < order.length; start += this.#batchSize) {
        const end = Math.min(order.length, start + this.#batchSize);
        if (end - start < this.#batchSize && !this.#keepLast) break;
        batches.push(order.subarray(start, end));
      }
    }
    if (this.#shuffle) {
      for (let i = batches.length - 1; i > 0; i--) {
        const k = Math.floor(random() * (i + 1));
        [batches[i], batches[k]] = [batches[k]!, batches[i]!];
      }
    }
    return shardBatches(batches, this.#shard.rank, this.#shard.worldSize);
  }

  /** Padded positions / all positions (batch × longest) over an epoch's batches. */
  paddingFraction(epoch: number): number {
    let padded = 0;
    let total = 0;
    for (const idx of this.plan(epoch)) {
      let max = 0;
      let sum = 0;
      for (const i of idx) {
        const len = this.#lengths[i]!;
        sum += len;
        if (len > max) max = len;
      }
      total += max * idx.length;
      padded += max * idx.length - sum;
    }
    return total === 0 ? 0 : padded / total;
  }

  *batches(epoch: number): Iterable<Batch<T>> {
    for (const idx of this.plan(epoch)) yield padExamples(Array.from(idx, (i) => this.#examples[i]!), this.#padValue);
  }
}

/** bucketByLength(examples, { batchSize, buckets | bucketWidth, seed }): see BucketedDataset. */
export function bucketByLength<E extends Example<TargetDType>>(examples: readonly E[], options: BucketByLengthOptions): BucketedDataset<TargetDTypeOf<E>> {
  return new BucketedDataset<TargetDTypeOf<E>>(examples as readonly Example<TargetDTypeOf<E>>[], options);
}

/**
 * Padded positions / all positions over one epoch of any data source (it builds, measures and
 * disposes every batch): how much of the work is padding.
 */
export function paddingFractionOf(source: { batches(epoch: number): Iterable<Batch<TargetDType>> }, epoch = 0): number {
  if (source == null || typeof source.batches !== 'function') {
    throw new ArgumentError(`paddingFractionOf: source must be a data source with batches(epoch), got ${describe(source)}`);
  }
  let total = 0;
  let real = 0;
  for (const batch of source.batches(epoch)) {
    total += batch.inputs.size;
    real += batch.tokens;
    batch.inputs.dispose();
    batch.targets.dispose();
  }
  return total === 0 ? 0 : 1 - real / total;
}
