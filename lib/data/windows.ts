// Language-model data: windows of T tokens over a token stream, the input ids[t..t+T) and the
// target ids[t+1..t+T+1) (the next token at every step). Batches have inputs [B, T] and targets
// [B, T]; every length is T.
//
// textWindows() works on ids in memory. For a corpus too big for memory, StreamingTextWindows reads
// the file in 64 KiB chunks, encodes as it goes and keeps only a few chunks of tokens plus a shuffle
// buffer of windows; its batches() is an async iterable.

import { checkInteger, checkOptions, checkBoolean } from '../args.js';
import { describe } from '../dtype.js';
import { ArgumentError } from '../errors.js';
import { tensor } from '../ops/creation.js';
import { createRandom } from '../random.js';
import { permutation, type Batch, type DataSource } from '../train/dataset.js';
import { checkFile, checkPath, textChunks, type PathLike } from './files.js';
import type { Tokenizer } from './tokenizers.js';

/** One language-model window: input ids and the ids one step ahead, both of length T. */
export interface TextWindow {
  input: Int32Array;
  target: Int32Array;
}

/** A language-model batch: inputs [B, T], targets [B, T], lengths all T. */
export function windowBatch(windows: readonly TextWindow[]): Batch {
  const b = windows.length;
  const time = windows[0]?.input.length ?? 0;
  const inputs = new Int32Array(b * time);
  const targets = new Int32Array(b * time);
  windows.forEach((w, r) => {
    inputs.set(w.input, r * time);
    targets.set(w.target, r * time);
  });
  return {
    inputs: tensor(inputs, { shape: [b, time] }),
    targets: tensor(targets, { shape: [b, time] }),
    lengths: new Int32Array(b).fill(time),
    tokens: b * time,
  };
}

export interface TextWindowsOptions {
  /** Tokens per window (T). */
  time: number;
  /** Tokens between window starts (default T: inputs do not overlap). */
  stride?: number;
  batchSize: number;
  /** Shuffle the windows each epoch (default true). */
  shuffle?: boolean;
  /** Seed of the shuffle; epoch e uses seed + e (default 0). */
  seed?: number;
  /** Keep a last batch smaller than batchSize (default true). */
  keepLast?: boolean;
}

function checkWindowShape(op: string, opts: Partial<Record<'time' | 'stride', unknown>>): { time: number; stride: number } {
  const time = checkInteger(op, 'options.time', opts.time);
  if (time < 1) throw new ArgumentError(`${op}: options.time must be >= 1, got ${time}`);
  const stride = checkInteger(op, 'options.stride', opts.stride ?? time);
  if (stride < 1) throw new ArgumentError(`${op}: options.stride must be >= 1, got ${stride}`);
  return { time, stride };
}

function checkBatchSize(op: string, value: unknown): number {
  const b = checkInteger(op, 'options.batchSize', value);
  if (b < 1) throw new ArgumentError(`${op}: options.batchSize must be >= 1, got ${b}`);
  return b;
}

/**
 * Windows over token ids in memory: window i starts at i·stride; tokens after the last whole window
 * (input and target) are not used.
 */
export class TextWindows {
  readonly #ids: Int32Array;
  readonly time: number;
  readonly stride: number;
  readonly #batchSize: number;
  readonly #shuffle: boolean;
  readonly #seed: number;
  readonly #keepLast: boolean;
  /** How many windows fit: floor((n - T - 1) / stride) + 1. */
  readonly numWindows: number;

  constructor(ids: ArrayLike<number>, options: TextWindowsOptions) {
    const op = 'textWindows';
    if (ids == null || typeof (ids as ArrayLike<number>).length !== 'number' || typeof ids === 'string') {
      throw new ArgumentError(`${op}: ids must be an Int32Array of token ids, got ${describe(ids)}`);
    }
    if (options === undefined) throw new ArgumentError(`${op}: options { time, batchSize } are required`);
    const opts = checkOptions(op, options, ['time', 'stride', 'batchSize', 'shuffle', 'seed', 'keepLast'] as const);
    ({ time: this.time, stride: this.stride } = checkWindowShape(op, opts));
    this.#batchSize = checkBatchSize(op, opts.batchSize);
    this.#shuffle = checkBoolean(op, 'options.shuffle', opts.shuffle ?? true);
    this.#seed = checkInteger(op, 'options.seed', opts.seed ?? 0);
    this.#keepLast = checkBoolean(op, 'options.keepLast', opts.keepLast ?? true);
    this.#ids = ids instanceof Int32Array ? ids : Int32Array.from(ids);
    if (this.#ids.length < this.time + 1) {
      throw new ArgumentError(`${op}: ${this.#ids.length} tokens are too few for one window of time ${this.time} (needs time + 1 = ${this.time + 1})`);
    }
    this.numWindows = Math.floor((this.#ids.length - this.time - 1) / this.stride) + 1;
  }

  get numBatches(): number {
    const n = this.numWindows / this.#batchSize;
    return this.#keepLast ? Math.ceil(n) : Math.floor(n);
  }

  /** Window i (copies). */
  window(i: number): TextWindow {
    checkInteger('TextWindows.window', 'i', i);
    if (i < 0 || i >= this.numWindows) throw new ArgumentError(`TextWindows.window: i ${i} is out of range (0..${this.numWindows - 1})`);
    const t = i * this.stride;
    return { input: this.#ids.slice(t, t + this.time), target: this.#ids.slice(t + 1, t + this.time + 1) };
  }

  *batches(epoch: number): Iterable<Batch> {
    const n = this.numWindows;
    const order = this.#shuffle ? permutation(n, this.#seed + epoch) : Int32Array.from({ length: n }, (_, i) => i);
    for (let start = 0; start < n; start += this.#batchSize) {
      const idx = order.subarray(start, Math.min(n, start + this.#batchSize));
      if (idx.length < this.#batchSize && !this.#keepLast) return;
      yield windowBatch(Array.from(idx, (i) => this.window(i)));
    }
  }
}

/** textWindows(ids, { time, stride, batchSize }): see TextWindows. */
export function textWindows(ids: ArrayLike<number>, options: TextWindowsOptions): TextWindows {
  return new TextWindows(ids, options);
}

/**
 * Encodes a stream of text chunks chunk by chunk. A word tokenizer's chunk is cut after its last
 * whitespace and the rest carried into the next chunk, so no word is split (and ids equal
 * tokenizer.encode() of the whole text); a character tokenizer encodes each chunk as it is.
 */
export async function* streamTokens(tokenizer: Tokenizer, chunks: AsyncIterable<string> | Iterable<string>): AsyncGenerator<Int32Array> {
  if (tokenizer == null || typeof tokenizer.encode !== 'function') {
    throw new ArgumentError(`streamTokens: tokenizer must be a data.CharTokenizer or data.WordTokenizer, got ${describe(tokenizer)}`);
  }
  const wordwise = tokenizer.kind === 'word';
  let carry = '';
  for await (const chunk of chunks) {
    if (typeof chunk !== 'string') throw new ArgumentError(`streamTokens: chunks must be strings, got ${describe(chunk)}`);
    let text = carry + chunk;
    carry = '';
    if (wordwise) {
      let cut = text.length;
      while (cut > 0 && !/\s/.test(text[cut - 1]!)) cut--;
      carry = text.slice(cut);
      text = text.slice(0, cut);
    }
    if (text.length > 0) {
      const ids = tokenizer.encode(text);
      if (ids.length > 0) yield ids;
    }
  }
  if (carry.length > 0) {
    const ids = tokenizer.encode(carry);
    if (ids.length > 0) yield ids;
  }
}

export interface StreamWindowsOptions {
  time: number;
  stride?: number;
}

/** What a window stream holds, to check that memory stays bounded. */
export interface StreamStats {
  /** Bytes read from the file (StreamingTextWindows only). */
  bytesRead: number;
  /** Most tokens held in the window buffer at once. */
  peakBufferedTokens: number;
  /** Windows produced. */
  windows: number;
}

/**
 * Windows over a stream of token-id chunks, as TextWindows cuts them from one array, holding only
 * the tokens not yet covered by a whole window.
 */
export function streamWindows(ids: AsyncIterable<ArrayLike<number>> | Iterable<ArrayLike<number>>, options: StreamWindowsOptions, stats?: StreamStats): AsyncGenerator<TextWindow> {
  const op = 'streamWindows';
  if (options === undefined) throw new ArgumentError(`${op}: options { time } are required`);
  const { time, stride } = checkWindowShape(op, checkOptions(op, options, ['time', 'stride'] as const));
  return (async function* () {
    let buf = new Int32Array(0);
    let bufStart = 0; // absolute position of buf[0]
    let next = 0; // absolute start of the next window
    for await (const chunk of ids) {
      const merged = new Int32Array(buf.length + chunk.length);
      merged.set(buf);
      merged.set(chunk instanceof Int32Array ? chunk : Int32Array.from(chunk), buf.length);
      buf = merged;
      if (stats && buf.length > stats.peakBufferedTokens) stats.peakBufferedTokens = buf.length;
      while (next + time + 1 <= bufStart + buf.length) {
        const t = next - bufStart;
        if (stats) stats.windows++;
        yield { input: buf.slice(t, t + time), target: buf.slice(t + 1, t + time + 1) };
        next += stride;
      }
      const keep = Math.min(next, bufStart + buf.length) - bufStart;
      buf = buf.slice(keep);
      bufStart += keep;
    }
  })();
}

export interface StreamingTextWindowsOptions {
  tokenizer: Tokenizer;
  /** Tokens per window (T). */
  time: number;
  /** Tokens between window starts (default T). */
  stride?: number;
  batchSize: number;
  /**
   * Windows held for shuffling (tf.data's shuffle buffer): each window out is drawn at random from
   * the buffer, seeded with seed + epoch. Default 1024; 0 or 1 keeps file order.
   */
  shuffleBuffer?: number;
  seed?: number;
  /** Keep a last batch smaller than batchSize (default true). */
  keepLast?: boolean;
  /** Bytes read at a time (default 65536). */
  chunkBytes?: number;
}

/**
 * Language-model windows streamed from a text file: never holds the file, only a chunk, the tokens
 * not yet windowed and the shuffle buffer. batches(epoch) reads the file again each epoch.
 */
export class StreamingTextWindows implements DataSource {
  readonly file: string;
  readonly tokenizer: Tokenizer;
  readonly time: number;
  readonly stride: number;
  readonly #batchSize: number;
  readonly #shuffleBuffer: number;
  readonly #seed: number;
  readonly #keepLast: boolean;
  readonly #chunkBytes: number;
  /** What the last (or running) epoch read and held. */
  stats: StreamStats = { bytesRead: 0, peakBufferedTokens: 0, windows: 0 };

  constructor(path: PathLike, options: StreamingTextWindowsOptions) {
    const op = 'StreamingTextWindows';
    this.file = checkPath(op, path);
    if (options === undefined) throw new ArgumentError(`${op}: options { tokenizer, time, batchSize } are required`);
    const opts = checkOptions(op, options, ['tokenizer', 'time', 'stride', 'batchSize', 'shuffleBuffer', 'seed', 'keepLast', 'chunkBytes'] as const);
    const tokenizer = opts.tokenizer as Tokenizer | undefined;
    if (tokenizer == null || typeof tokenizer.encode !== 'function') {
      throw new ArgumentError(`${op}: options.tokenizer must be a data.CharTokenizer or data.WordTokenizer, got ${describe(tokenizer)}`);
    }
    this.tokenizer = tokenizer;
    ({ time: this.time, stride: this.stride } = checkWindowShape(op, opts));
    this.#batchSize = checkBatchSize(op, opts.batchSize);
    this.#shuffleBuffer = checkInteger(op, 'options.shuffleBuffer', opts.shuffleBuffer ?? 1024);
    if (this.#shuffleBuffer < 0) throw new ArgumentError(`${op}: options.shuffleBuffer must be >= 0, got ${this.#shuffleBuffer}`);
    this.#seed = checkInteger(op, 'options.seed', opts.seed ?? 0);
    this.#keepLast = checkBoolean(op, 'options.keepLast', opts.keepLast ?? true);
    this.#chunkBytes = checkInteger(op, 'options.chunkBytes', opts.chunkBytes ?? 65536);
    if (this.#chunkBytes < 1) throw new ArgumentError(`${op}: options.chunkBytes must be >= 1, got ${this.#chunkBytes}`);
  }

  /** The windows of an epoch, shuffled through the buffer. */
  async *windows(epoch = 0): AsyncGenerator<TextWindow> {
    const op = 'StreamingTextWindows';
    checkInteger(op, 'epoch', epoch);
    await checkFile(op, this.file);
    const stats: StreamStats = { bytesRead: 0, peakBufferedTokens: 0, windows: 0 };
    this.stats = stats;
    const chunks = textChunks(op, this.file, this.#chunkBytes, stats);
    const source = streamWindows(streamTokens(this.tokenizer, chunks), { time: this.time, stride: this.stride }, stats);
    const size = this.#shuffleBuffer;
    if (size <= 1) {
      yield* source;
      return;
    }
    const random = createRandom(this.#seed + epoch);
    const buffer: TextWindow[] = [];
    for await (const w of source) {
      if (buffer.length < size) {
        buffer.push(w);
        continue;
      }
      const k = Math.floor(random() * size);
      const out = buffer[k]!;
      buffer[k] = w;
      yield out;
    }
    while (buffer.length > 0) {
      const k = Math.floor(random() * buffer.length);
      const out = buffer[k]!;
      buffer[k] = buffer[buffer.length - 1]!;
      buffer.pop();
      yield out;
    }
  }

  async *batches(epoch: number): AsyncGenerator<Batch> {
    let rows: TextWindow[] = [];
    for await (const w of this.windows(epoch)) {
      rows.push(w);
      if (rows.length === this.#batchSize) {
        yield windowBatch(rows);
        rows = [];
      }
    }
    if (rows.length > 0 && this.#keepLast) yield windowBatch(rows);
  }
}
