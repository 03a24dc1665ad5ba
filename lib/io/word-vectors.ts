// Pretrained word vectors: loadWordVectors() reads the GloVe text format (`word v1 ... vd` per line,
// no header), the word2vec text format (a `count dim` header line, then GloVe's rows; fastText's
// .vec files are this format) and the word2vec binary format (the same header line, then per word:
// its UTF-8 bytes, a space, dim little-endian float32 values, and optionally '\n'), in bounded
// memory: the file streams through in 64 KiB chunks and only the kept vectors are held.
// saveWordVectors() writes the three formats back, with values that read back bit-identically.
//
// Every problem in a file is an ArgumentError that starts with `io.loadWordVectors: FILE:LINE:`
// (text) or `io.loadWordVectors: FILE: vector K at byte B:` (binary), so a bad row of a 1 GB file
// can be found. A word that occurs twice is an error naming both lines (options.duplicates: 'first'
// keeps the first and skips the others instead, as gensim does).

import { createReadStream } from 'node:fs';
import { checkInteger, checkOneOf, checkOptions } from '../args.js';
import { checkFile, checkPath, fileError, numberedLines, type PathLike } from '../data/files.js';
import { describe } from '../dtype.js';
import { ArgumentError, DTypeError, OutOfMemoryError, ShapeError } from '../errors.js';
import { tensor } from '../ops/creation.js';
import { Tensor } from '../tensor.js';
import { writeAtomic } from './atomic.js';

export type WordVectorsFormat = 'glove' | 'word2vec' | 'word2vec-binary';

/** Words and their vectors: row i of `vectors` ([words.length, dim], float32) is words[i]'s. */
export interface WordVectors {
  words: string[];
  vectors: Tensor<'float32'>;
}

export interface LoadWordVectorsOptions {
  /**
   * The file's layout. Default: 'word2vec-binary' for a name ending in .bin, else detected from
   * the first line: two integers (`count dim`) make it 'word2vec' text, anything else 'glove'.
   */
  format?: WordVectorsFormat;
  /**
   * Keep only these words (compared as written in the file, so mind the case). Default: all. The
   * rows left out are checked for their layout (a word and dim fields) but their values are not
   * parsed, nor their words checked for repeats.
   */
  vocabulary?: Iterable<string>;
  /**
   * Read at most this many vectors from the start of the file (before `vocabulary` filters them),
   * as gensim's limit: the first rows of GloVe and word2vec files are the most frequent words.
   */
  limit?: number;
  /** A repeated word: 'error' (default, naming both lines) or 'first' (later rows skipped). */
  duplicates?: 'error' | 'first';
}

export interface SaveWordVectorsOptions {
  /** Default: 'word2vec-binary' for a name ending in .bin, else 'glove'. */
  format?: WordVectorsFormat;
}

const FORMATS: readonly WordVectorsFormat[] = ['glove', 'word2vec', 'word2vec-binary'];
const DUPLICATES = ['error', 'first'] as const;
/**
 * The value of a field written as a decimal number, or NaN: Number() reads decimals, and what else it
 * reads (Infinity, hex/octal/binary literals, surrounding whitespace) is refused here. Cheaper than a
 * regular expression, which matters at a few hundred million values per file.
 */
function decimal(s: string): number {
  const v = Number(s);
  if (!Number.isFinite(v)) return NaN;
  const first = s.charCodeAt(0);
  const last = s.charCodeAt(s.length - 1);
  if (last !== 46 && (last < 48 || last > 57)) return NaN; // must end in a digit or '.'
  if (first === 48 && s.length > 2 && 'xXoObB'.includes(s[1]!)) return NaN;
  if (first !== 43 && first !== 45 && first !== 46 && (first < 48 || first > 57)) return NaN; // sign, '.', or digit
  return v;
}
const FIELD_SEPARATOR = /[ \t]+/;
const HEADER = /^(\d+)[ \t]+(\d+)$/;
/** A larger dimension is taken as a corrupt header (the largest published vectors have a few thousand). */
const MAX_DIM = 1 << 20;
/** A binary word longer than this is taken as a sign the file is not word2vec binary. */
const MAX_WORD_BYTES = 4096;

const formatFor = (file: string): WordVectorsFormat | undefined => (file.toLowerCase().endsWith('.bin') ? 'word2vec-binary' : undefined);

/** n float32 values; more than JS can hold is an OutOfMemoryError naming the op (not V8's RangeError). */
function floats(n: number): Float32Array {
  try {
    return new Float32Array(n);
  } catch (err) {
    throw new OutOfMemoryError(`io.loadWordVectors: cannot hold ${n} float32 values (use options.limit or options.vocabulary): ${(err as Error).message}`);
  }
}

/** Row values growing by doubling, so reading needs no count up front. */
class Rows {
  readonly dim: number;
  #values: Float32Array;
  count = 0;

  /**
   * Room for `expected` rows at first, but never more than a file of fileBytes can hold (rows of at
   * least minRowBytes each): a header that claims billions of rows or a huge dimension must not
   * allocate for them before the file shows it has them.
   */
  constructor(dim: number, expected: number, fileBytes: number, minRowBytes: number) {
    this.dim = dim;
    this.#values = floats(Math.max(1, Math.min(expected, 1 << 16, Math.floor(fileBytes / minRowBytes))) * dim);
  }

  /** The storage for the next row (its dim values are written by the caller). */
  next(): Float32Array {
    const need = (this.count + 1) * this.dim;
    if (need > this.#values.length) {
      const grown = floats(Math.max(need, this.#values.length * 2));
      grown.set(this.#values);
      this.#values = grown;
    }
    return this.#values.subarray(this.count++ * this.dim, this.count * this.dim);
  }

  values(): Float32Array {
    return this.#values.subarray(0, this.count * this.dim);
  }
}

interface Filter {
  vocabulary: Set<string> | null;
  limit: number;
  duplicates: 'error' | 'first';
}

/** Which words are kept, where each was seen, and when reading can stop. */
class Keeper {
  readonly words: string[] = [];
  readonly #filter: Filter;
  readonly #seen = new Map<string, string>();
  /** Rows read from the file so far (kept or not). */
  read = 0;

  constructor(filter: Filter) {
    this.#filter = filter;
  }

  /** Whether the file's rows still matter: below the limit, and vocabulary words still missing. */
  get wanted(): boolean {
    const vocab = this.#filter.vocabulary;
    return this.read < this.#filter.limit && (vocab === null || this.words.length < vocab.size);
  }

  /** Counts the row; true if its vector is to be kept. `where` is this row's place for messages. */
  take(where: string, word: string, fail: (problem: string) => never): boolean {
    this.read++;
    const first = this.#seen.get(word);
    if (first !== undefined) {
      if (this.#filter.duplicates === 'error') fail(`the word ${JSON.stringify(word)} repeats ${first} (use { duplicates: 'first' } to keep the first)`);
      return false;
    }
    if (this.#filter.vocabulary !== null && !this.#filter.vocabulary.has(word)) return false;
    this.#seen.set(word, where);
    this.words.push(word);
    return true;
  }
}

function checkFilter(op: string, opts: Partial<Record<'vocabulary' | 'limit' | 'duplicates', unknown>>): Filter {
  let vocabulary: Set<string> | null = null;
  if (opts.vocabulary !== undefined) {
    const v = opts.vocabulary;
    // A typed array iterates numbers (or throws, detached): never words.
    if (v === null || typeof v === 'string' || ArrayBuffer.isView(v) || typeof (v as Iterable<unknown>)[Symbol.iterator] !== 'function') {
      throw new ArgumentError(`${op}: options.vocabulary must be an iterable of words (an array or a Set), got ${describe(v)}`);
    }
    vocabulary = new Set();
    let i = 0;
    for (const word of v as Iterable<unknown>) {
      if (typeof word !== 'string') throw new ArgumentError(`${op}: options.vocabulary[${i}] must be a string, got ${describe(word)}`);
      vocabulary.add(word);
      i++;
    }
  }
  let limit = Infinity;
  if (opts.limit !== undefined) {
    limit = checkInteger(op, 'options.limit', opts.limit);
    if (limit < 1) throw new ArgumentError(`${op}: options.limit must be >= 1, got ${limit}`);
  }
  const duplicates = checkOneOf(op, 'options.duplicates', opts.duplicates ?? 'error', DUPLICATES);
  return { vocabulary, limit, duplicates };
}

/**
 * Reads word vectors in the GloVe or word2vec text format, or word2vec binary (see the options for
 * how the format is chosen), streaming. Returns the kept words in file order and their vectors as
 * one float32 tensor [n, dim] on the default device. Bad arguments are ArgumentErrors at once; a
 * malformed file (ragged rows, non-numeric values, a bad or contradicted header, a truncated binary
 * file, repeated words) rejects with an ArgumentError naming file:line or, in a binary file, the
 * vector and its byte offset.
 */
export async function loadWordVectors(path: PathLike, options?: LoadWordVectorsOptions): Promise<WordVectors> {
  const op = 'io.loadWordVectors';
  const file = checkPath(op, path);
  const opts = checkOptions(op, options, ['format', 'vocabulary', 'limit', 'duplicates'] as const);
  const format = opts.format === undefined ? formatFor(file) : checkOneOf(op, 'options.format', opts.format, FORMATS);
  const keeper = new Keeper(checkFilter(op, opts));
  const size = await checkFile(op, file);
  const rows = format === 'word2vec-binary' ? await readBinary(op, file, size, keeper) : await readText(op, file, size, format, keeper);
  return { words: keeper.words, vectors: tensor(rows.values(), { shape: [keeper.words.length, rows.dim] }) };
}

/** Parses `count dim`; null if the line is not a header. */
function parseHeader(text: string): { count: number; dim: number } | null {
  const m = HEADER.exec(text.trim());
  return m === null ? null : { count: Number(m[1]), dim: Number(m[2]) };
}

/** The fewest bytes a text row of this dimension takes: a one-character word, then a space and a digit per value. */
const textRowBytes = (dim: number): number => 1 + 2 * dim;

async function readText(op: string, file: string, size: number, format: WordVectorsFormat | undefined, keeper: Keeper): Promise<Rows> {
  let rows: Rows | null = null;
  let header: { count: number; dim: number } | null = null;
  let dimLine = 0;
  for await (const { text: raw, line } of numberedLines(op, file)) {
    const fail = (problem: string): never => {
      throw new ArgumentError(`${op}: ${file}:${line}: ${problem}`);
    };
    const text = raw.trimEnd();
    if (text === '') continue;
    if (rows === null && header === null && format !== 'glove') {
      header = parseHeader(text);
      if (header !== null) {
        if (header.count < 1 || header.dim < 1 || header.dim > MAX_DIM) {
          fail(`the word2vec header must give a vector count >= 1 and a dimension in 1..${MAX_DIM}, got ${JSON.stringify(text)}`);
        }
        rows = new Rows(header.dim, header.count, size, textRowBytes(header.dim));
        dimLine = line;
        continue;
      }
      if (format === 'word2vec') fail(`expected the word2vec header "count dim" (two integers), got ${JSON.stringify(text.slice(0, 80))}`);
    }
    if (!keeper.wanted) break;
    if (header !== null && keeper.read === header.count) fail(`more vectors than the ${header.count} the header (line ${dimLine}) announces`);
    const fields = text.split(FIELD_SEPARATOR);
    if (fields[0] === '') fail('the line starts with a space, where its word should be');
    if (rows === null) {
      if (fields.length < 2) fail(`expected a word and its values, got ${JSON.stringify(text.slice(0, 80))}`);
      if (fields.length - 1 > MAX_DIM) fail(`the row has ${fields.length - 1} values, more than the ${MAX_DIM} a vector may have`);
      rows = new Rows(fields.length - 1, 1024, size, textRowBytes(fields.length - 1));
      dimLine = line;
    }
    if (fields.length !== rows.dim + 1) {
      fail(`the row has ${fields.length - 1} value${fields.length === 2 ? '' : 's'} after its word, expected ${rows.dim} (the dimension of line ${dimLine})`);
    }
    if (!keeper.take(`line ${line}`, fields[0]!, fail)) continue;
    const out = rows.next();
    for (let j = 1; j < fields.length; j++) {
      const v = decimal(fields[j]!);
      if (Number.isNaN(v)) fail(`value ${j} of ${JSON.stringify(fields[0])} is not a number: ${JSON.stringify(fields[j]!.slice(0, 40))}`);
      out[j - 1] = v;
    }
  }
  if (rows === null) throw new ArgumentError(`${op}: ${file}: no vectors in the file`);
  if (header !== null && keeper.wanted && keeper.read < header.count) {
    throw new ArgumentError(`${op}: ${file}: the header (line ${dimLine}) announces ${header.count} vectors, the file has ${keeper.read}`);
  }
  return rows;
}

/** A file's bytes, pulled in chunks, with the absolute offset of the next unread byte. */
class ByteReader {
  readonly #chunks: AsyncIterator<Buffer>;
  #buf: Buffer = Buffer.alloc(0);
  #pos = 0;
  #base = 0;

  constructor(chunks: AsyncIterable<Buffer>) {
    this.#chunks = chunks[Symbol.asyncIterator]();
  }

  get offset(): number {
    return this.#base + this.#pos;
  }

  /** Makes n bytes available from the current position; false at the end of the file. */
  async #ensure(n: number): Promise<boolean> {
    while (this.#buf.length - this.#pos < n) {
      const next = await this.#chunks.next();
      if (next.done === true) return false;
      this.#base += this.#pos;
      this.#buf = Buffer.concat([this.#buf.subarray(this.#pos), next.value]);
      this.#pos = 0;
    }
    return true;
  }

  /** The next byte without consuming it, or -1 at the end. */
  async peek(): Promise<number> {
    return (await this.#ensure(1)) ? this.#buf[this.#pos]! : -1;
  }

  /**
   * The bytes up to (not including) `stop`, which is consumed; 'end' if the file ends first, 'long'
   * if more than max bytes come first.
   */
  async until(stop: number, max: number): Promise<Buffer | 'end' | 'long'> {
    for (let scanned = 0; ; ) {
      const at = this.#buf.indexOf(stop, this.#pos + scanned);
      if (at >= 0 && at - this.#pos <= max) {
        const out = this.#buf.subarray(this.#pos, at);
        this.#pos = at + 1;
        return out;
      }
      scanned = this.#buf.length - this.#pos;
      if (scanned > max) return 'long';
      if (!(await this.#ensure(scanned + 1))) return 'end';
    }
  }

  /** Exactly n bytes, or null when the file ends first. */
  async take(n: number): Promise<Buffer | null> {
    if (!(await this.#ensure(n))) return null;
    const out = this.#buf.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }
}

async function readBinary(op: string, file: string, size: number, keeper: Keeper): Promise<Rows> {
  const stream = createReadStream(file, { highWaterMark: 65536 });
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  try {
    const bytes = new ByteReader(stream as AsyncIterable<Buffer>);
    const headerBytes = await bytes.until(0x0a, 64);
    const header = typeof headerBytes === 'string' ? null : parseHeader(headerBytes.toString('latin1'));
    if (header === null || header.count < 1 || header.dim < 1 || header.dim > MAX_DIM) {
      const got = typeof headerBytes === 'string' ? 'no line break in the first 64 bytes' : JSON.stringify(headerBytes.toString('latin1'));
      throw new ArgumentError(`${op}: ${file}:1: expected the word2vec binary header "count dim" (a count >= 1, a dimension in 1..${MAX_DIM}) and a line break, got ${got}`);
    }
    const rowBytes = 4 * header.dim;
    // A vector takes at least a one-byte word, a space and its values.
    const rows = new Rows(header.dim, header.count, size, 2 + rowBytes);
    for (let k = 1; k <= header.count && keeper.wanted; k++) {
      while ((await bytes.peek()) === 0x0a) await bytes.take(1); // the '\n' word2vec writes after each vector
      const start = bytes.offset;
      const fail = (problem: string): never => {
        throw new ArgumentError(`${op}: ${file}: vector ${k} at byte ${start}: ${problem}`);
      };
      const wordBytes = await bytes.until(0x20, MAX_WORD_BYTES);
      if (wordBytes === 'end') fail(`the file ends, but the header (line 1) announces ${header.count} vectors (a truncated file?)`);
      if (wordBytes === 'long') fail(`no space after a word within ${MAX_WORD_BYTES} bytes (not a word2vec binary file?)`);
      let word = '';
      try {
        word = utf8.decode(wordBytes as Buffer);
      } catch {
        fail('the word is not valid UTF-8');
      }
      if (word === '') fail('an empty word');
      const values = await bytes.take(rowBytes);
      if (values === null) fail(`the file ends inside the vector of ${JSON.stringify(word)} (a truncated file?)`);
      if (!keeper.take(`vector ${k}`, word, fail)) continue;
      const out = rows.next();
      const view = new DataView(values!.buffer, values!.byteOffset, rowBytes);
      for (let j = 0; j < header.dim; j++) out[j] = view.getFloat32(4 * j, true);
    }
    return rows;
  } catch (err) {
    throw err instanceof ArgumentError ? err : fileError(op, file, err);
  } finally {
    stream.destroy();
  }
}

/** The shortest decimal text that reads back as exactly this float32 value. */
function float32Text(x: number): string {
  if (Object.is(x, -0)) return '-0';
  for (let digits = 1; digits < 9; digits++) {
    const s = x.toPrecision(digits);
    if (Math.fround(Number(s)) === x) return String(Number(s));
  }
  return String(Number(x.toPrecision(9)));
}

function checkWordVectors(op: string, value: unknown): { words: string[]; vectors: Tensor<'float32'> } {
  const v = value as Partial<WordVectors> | null;
  if (typeof v !== 'object' || v === null || !Array.isArray(v.words) || !(v.vectors instanceof Tensor)) {
    throw new ArgumentError(`${op}: wordVectors must be { words: string[], vectors: Tensor [n, dim] }, got ${describe(value)}`);
  }
  const { words, vectors } = v as WordVectors;
  if (vectors.dtype !== 'float32') throw new DTypeError(`${op}: wordVectors.vectors must be float32, got ${vectors.dtype}`);
  if (vectors.rank !== 2 || vectors.shape[0] !== words.length || vectors.shape[1]! < 1) {
    throw new ShapeError(`${op}: wordVectors.vectors must have shape [words.length, dim] = [${words.length}, dim >= 1], got [${vectors.shape.join(', ')}]`);
  }
  const seen = new Set<string>();
  words.forEach((word: unknown, i) => {
    if (typeof word !== 'string' || word === '' || /\s/.test(word)) {
      throw new ArgumentError(`${op}: wordVectors.words[${i}] must be a non-empty string without whitespace (the formats separate fields by spaces), got ${describe(word)}`);
    }
    if (seen.has(word)) throw new ArgumentError(`${op}: wordVectors.words[${i}] repeats ${JSON.stringify(word)}`);
    seen.add(word);
  });
  return { words, vectors };
}

/**
 * Writes words and their vectors as GloVe text, word2vec text or word2vec binary (see the options
 * for the default), atomically. Text values are the shortest decimals that read back as the same
 * float32 values, so a save and load round trip is exact in every format.
 */
export async function saveWordVectors(path: PathLike, wordVectors: WordVectors, options?: SaveWordVectorsOptions): Promise<void> {
  const op = 'io.saveWordVectors';
  const file = checkPath(op, path);
  const opts = checkOptions(op, options, ['format'] as const);
  const format = opts.format === undefined ? (formatFor(file) ?? 'glove') : checkOneOf(op, 'options.format', opts.format, FORMATS);
  const { words, vectors } = checkWordVectors(op, wordVectors);
  const dim = vectors.shape[1]!;
  const values = (await vectors.data()) as Float32Array;
  const bad = values.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) {
    throw new ArgumentError(`${op}: the vector of ${JSON.stringify(words[Math.floor(bad / dim)])} holds ${values[bad]}; the formats hold finite numbers only`);
  }
  const header = `${words.length} ${dim}\n`;
  let bytes: Uint8Array;
  if (format === 'word2vec-binary') {
    const encoded = words.map((w) => Buffer.from(`${w} `, 'utf8'));
    const out = Buffer.alloc(header.length + encoded.reduce((n, b) => n + b.length + 4 * dim + 1, 0));
    let at = out.write(header, 'latin1');
    words.forEach((_, i) => {
      at += encoded[i]!.copy(out, at);
      for (let j = 0; j < dim; j++) at = out.writeFloatLE(values[i * dim + j]!, at);
      out[at++] = 0x0a;
    });
    bytes = out;
  } else {
    const lines = words.map((w, i) => {
      let line = w;
      for (let j = 0; j < dim; j++) line += ` ${float32Text(values[i * dim + j]!)}`;
      return line;
    });
    bytes = Buffer.from(`${format === 'word2vec' ? header : ''}${lines.join('\n')}\n`, 'utf8');
  }
  await writeAtomic(op, file, bytes);
}

