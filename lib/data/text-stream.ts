// Language-model data for stateful training: the corpus cut into `batchSize` contiguous streams
// (PyTorch's word_language_model batchify), read `time` tokens at a time (its get_batch), so row r
// of each batch continues row r of the batch before and fit({ stateful: true }) can carry the
// recurrent state across batches.

import { checkInteger, checkOptions, isDetached } from '../args.js';
import { describe } from '../dtype.js';
import { ArgumentError } from '../errors.js';
import { tensor } from '../ops/creation.js';
import type { Batch, DataSource } from '../train/dataset.js';
import { checkShard, type ShardOptions } from '../distributed/shard.js';
import { checkFile, checkPath, textChunks, type PathLike } from './files.js';
import type { Tokenizer } from './tokenizers.js';
import { streamTokens } from './windows.js';

/**
 * With rank and worldSize, the corpus is cut into batchSize · worldSize streams and rank r reads
 * streams r·batchSize .. (r+1)·batchSize: every rank has the same batches count, and together the
 * ranks' batch i is the batch i of one process with batchSize · worldSize streams.
 */
export interface TextStreamOptions extends ShardOptions {
  /** Streams: the rows of every batch (of each rank, when sharded). */
  batchSize: number;
  /** Tokens per batch and row (the truncated-BPTT length); the last batch may be shorter. */
  time: number;
}

function checkStreamOptions(op: string, options: unknown, extra: readonly string[] = []): TextStreamOptions {
  if (options === undefined) throw new ArgumentError(`${op}: options { batchSize, time } are required`);
  const o = checkOptions(op, options, ['batchSize', 'time', 'rank', 'worldSize', ...extra]) as Partial<Record<string, unknown>>;
  const batchSize = checkInteger(op, 'options.batchSize', o.batchSize);
  if (batchSize < 1) throw new ArgumentError(`${op}: options.batchSize must be >= 1, got ${batchSize}`);
  const time = checkInteger(op, 'options.time', o.time);
  if (time < 1) throw new ArgumentError(`${op}: options.time must be >= 1, got ${time}`);
  return { batchSize, time, ...checkShard(op, o) };
}

/** The ids as an Int32Array of integers >= 0 (an ArgumentError naming the first bad one). */
function checkIds(op: string, ids: unknown): Int32Array {
  if (ids instanceof Int32Array) {
    if (isDetached(ids)) throw new ArgumentError(`${op}: ids is an Int32Array whose ArrayBuffer was transferred away (detached)`);
    const bad = ids.findIndex((v) => v < 0);
    if (bad >= 0) throw new ArgumentError(`${op}: ids[${bad}] must be a token id >= 0, got ${ids[bad]}`);
    return ids;
  }
  if (!Array.isArray(ids)) throw new ArgumentError(`${op}: ids must be an Int32Array or an array of token ids, got ${describe(ids)}`);
  const bad = ids.findIndex((v: unknown) => typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > 0x7fffffff);
  if (bad >= 0) throw new ArgumentError(`${op}: ids[${bad}] must be an integer token id >= 0, got ${describe(ids[bad])}`);
  return Int32Array.from(ids as number[]);
}

/**
 * `batchSize` contiguous streams over token ids: stream r is ids[r·L .. (r+1)·L) with L =
 * floor(n / batchSize) (the last n mod batchSize tokens are dropped, as batchify drops them).
 * Batch i holds inputs [batchSize, t] = each stream's tokens at i·time .. i·time + t and targets
 * the tokens one step ahead, where t = min(time, L - 1 - i·time): every batch has all batchSize
 * rows, and only the last may be shorter in time (get_batch's seq_len). Batches come in order,
 * never shuffled; every epoch gives the same batches. See TextStreamOptions for sharding over ranks.
 */
export class TextStream implements DataSource {
  readonly batchSize: number;
  readonly time: number;
  /** Tokens per stream (L). */
  readonly streamLength: number;
  /** ceil((L - 1) / time). */
  readonly numBatches: number;
  /** The streams, row-major [batchSize, L]. */
  readonly #streams: Int32Array;

  constructor(ids: Int32Array | readonly number[], options: TextStreamOptions) {
    const op = 'textStream';
    const { batchSize, time, rank = 0, worldSize = 1 } = checkStreamOptions(op, options);
    const all = checkIds(op, ids);
    const streams = batchSize * worldSize;
    const length = Math.floor(all.length / streams);
    if (length < 2) {
      throw new ArgumentError(
        `${op}: ${all.length} tokens are too few for ${streams} streams (each needs 2 tokens, an input and its target: at least ${2 * streams} tokens)`,
      );
    }
    this.batchSize = batchSize;
    this.time = time;
    this.streamLength = length;
    this.numBatches = Math.ceil((length - 1) / time);
    this.#streams = all.subarray(rank * batchSize * length, (rank + 1) * batchSize * length);
  }

  /** The i-th batch (0 ≤ i < numBatches). */
  batch(i: number): Batch {
    const op = 'TextStream.batch';
    checkInteger(op, 'i', i);
    if (i < 0 || i >= this.numBatches) throw new ArgumentError(`${op}: i ${i} is out of range (0..${this.numBatches - 1})`);
    const { batchSize, streamLength } = this;
    const start = i * this.time;
    const t = Math.min(this.time, streamLength - 1 - start);
    const inputs = new Int32Array(batchSize * t);
    const targets = new Int32Array(batchSize * t);
    for (let r = 0; r < batchSize; r++) {
      const at = r * streamLength + start;
      inputs.set(this.#streams.subarray(at, at + t), r * t);
      targets.set(this.#streams.subarray(at + 1, at + 1 + t), r * t);
    }
    return {
      inputs: tensor(inputs, { shape: [batchSize, t] }),
      targets: tensor(targets, { shape: [batchSize, t] }),
      lengths: new Int32Array(batchSize).fill(t),
      tokens: batchSize * t,
    };
  }

  *batches(_epoch: number): Iterable<Batch> {
    for (let i = 0; i < this.numBatches; i++) yield this.batch(i);
  }
}

/** textStream(ids, { batchSize, time }): see TextStream. */
export function textStream(ids: Int32Array | readonly number[], options: TextStreamOptions): TextStream {
  return new TextStream(ids, options);
}

export interface ReadTextStreamOptions extends TextStreamOptions {
  tokenizer: Tokenizer;
}

/**
 * A TextStream of a text file, encoded by the tokenizer. Every stream is read at once, so the ids
 * are held in memory (4 bytes a token, not the text): a first streamed pass counts the tokens, a
 * second fills an array of exactly that size. For a corpus too big for that, train on streamed
 * windows (data.StreamingTextWindows) instead.
 */
export async function readTextStream(path: PathLike, options: ReadTextStreamOptions): Promise<TextStream> {
  const op = 'readTextStream';
  const file = checkPath(op, path);
  const stream = checkStreamOptions(op, options, ['tokenizer']);
  const tokenizer = (options as Partial<ReadTextStreamOptions>).tokenizer;
  if (tokenizer == null || typeof tokenizer.encode !== 'function') {
    throw new ArgumentError(`${op}: options.tokenizer must be a data.CharTokenizer or data.WordTokenizer, got ${describe(tokenizer)}`);
  }
  await checkFile(op, file);
  const chunks = () => streamTokens(tokenizer, textChunks(op, file));
  let count = 0;
  for await (const ids of chunks()) count += ids.length;
  const all = new Int32Array(count);
  const changed = () => new ArgumentError(`${op}: ${file} changed while it was read (it had ${count} tokens at first)`);
  let at = 0;
  for await (const ids of chunks()) {
    if (at + ids.length > count) throw changed();
    all.set(ids, at);
    at += ids.length;
  }
  if (at !== count) throw changed();
  return new TextStream(all, stream);
}
