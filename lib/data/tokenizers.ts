// Tokenizers: text ↔ int32 token ids. Both reserve id 0 for padding and id 1 for out-of-vocabulary
// tokens, build their vocabulary from a corpus by frequency, and serialise to plain JSON so they can
// travel with a checkpoint's metadata (io.save({ metadata: { tokenizer } }) → tokenizerFromJSON()).
//
// WordTokenizer follows Keras' TextVectorization (output_mode 'int'): the same standardisation
// (lowercase, then strip the 32 ASCII punctuation characters of its DEFAULT_STRIP_REGEX), the same
// whitespace split, and the same vocabulary: '' (padding) at 0, '[UNK]' at 1, then tokens by
// descending count with ties broken by the token itself, high to low (Keras sorts with
// np.lexsort((tokens, counts))[::-1]), capped at maxTokens entries counting '' and '[UNK]'.

import { checkBoolean, checkInteger, checkOneOf, checkOptions } from '../args.js';
import { describe } from '../dtype.js';
import { ArgumentError, IndexError } from '../errors.js';

/** Id of the padding token ('' in the vocabulary). */
export const PAD_ID = 0;
/** Id of the out-of-vocabulary token ('[UNK]' in the vocabulary). */
export const OOV_ID = 1;
/** The padding entry of every vocabulary. */
export const PAD_TOKEN = '';
/** The out-of-vocabulary entry of every vocabulary (Keras' default oov_token). */
export const OOV_TOKEN = '[UNK]';

/** What every tokenizer offers; datasets and generation take any of them. */
export interface Tokenizer {
  readonly kind: 'char' | 'word';
  /** Entries in the vocabulary, padding and OOV included (the embedding's row count). */
  readonly vocabSize: number;
  /** Token ids of a text (unknown tokens → OOV_ID). May be empty. */
  encode(text: string): Int32Array;
  /** The text of token ids; padding ids are skipped. */
  decode(ids: ArrayLike<number>): string;
  /** The vocabulary by id: [PAD_TOKEN, OOV_TOKEN, ...tokens]. A fresh copy. */
  vocabulary(): string[];
  toJSON(): TokenizerJSON;
}

export interface CharTokenizerJSON {
  kind: 'char';
  version: 1;
  lowercase: boolean;
  /** The full vocabulary by id, '' and '[UNK]' first. */
  vocabulary: string[];
}

export type Standardize = 'lower_and_strip_punctuation' | 'lower' | 'strip_punctuation' | 'none';
export type Split = 'whitespace';

export interface WordTokenizerJSON {
  kind: 'word';
  version: 1;
  standardize: Standardize;
  split: Split;
  /** The full vocabulary by id, '' and '[UNK]' first. */
  vocabulary: string[];
}

export type TokenizerJSON = CharTokenizerJSON | WordTokenizerJSON;

export interface WordTokenizerFromVectorsOptions extends Omit<WordTokenizerOptions, 'maxTokens'> {
  /** Texts whose words the vectors lack are added after the vectors' words (by count, as fromCorpus orders them). */
  corpus?: string | Iterable<string>;
  /** Corpus words seen fewer times than this are not added (they stay OOV). Default 1. */
  minCount?: number;
}

export interface CharTokenizerOptions {
  /** Vocabulary size cap, counting the padding and OOV entries (>= 2). Default: no cap. */
  maxTokens?: number;
  /** Lowercase text before counting and encoding (default false). */
  lowercase?: boolean;
}

export interface WordTokenizerOptions {
  /** Vocabulary size cap, counting '' (padding) and '[UNK]' (OOV), as Keras does (>= 2). Default: no cap. */
  maxTokens?: number;
  /**
   * Shortcut for the lowercasing part of `standardize`: with the default standardize,
   * `lowercase: false` means 'strip_punctuation'. Contradicting an explicit standardize is an error.
   */
  lowercase?: boolean;
  /** Keras' standardize (default 'lower_and_strip_punctuation'). */
  standardize?: Standardize;
  /** Keras' split (only 'whitespace'). */
  split?: Split;
}

const STANDARDIZE: readonly Standardize[] = ['lower_and_strip_punctuation', 'lower', 'strip_punctuation', 'none'];
const SPLIT: readonly Split[] = ['whitespace'];

/** Keras' DEFAULT_STRIP_REGEX: the 32 ASCII punctuation characters (Python's string.punctuation). */
const STRIP_PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;
const WHITESPACE = /\s+/;

/** Compares strings by Unicode code point (the order of their UTF-8 bytes, as numpy sorts bytes). */
export function compareCodePoints(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.codePointAt(i)!;
    const cb = b.codePointAt(j)!;
    if (ca !== cb) return ca - cb;
    i += ca > 0xffff ? 2 : 1;
    j += cb > 0xffff ? 2 : 1;
  }
  return (a.length - i) - (b.length - j);
}

function checkMaxTokens(op: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const n = checkInteger(op, 'options.maxTokens', value);
  if (n < 2) throw new ArgumentError(`${op}: options.maxTokens must be >= 2 (it counts the padding and OOV entries), got ${n}`);
  return n;
}

/** The documents of a corpus argument: one string, or an iterable of strings. */
function* documents(op: string, corpus: unknown): Generator<string> {
  if (typeof corpus === 'string') {
    yield corpus;
    return;
  }
  // A typed array iterates numbers (or throws, detached): never strings.
  if (corpus == null || ArrayBuffer.isView(corpus) || typeof (corpus as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw new ArgumentError(`${op}: corpus must be a string or an iterable of strings, got ${describe(corpus)}`);
  }
  let i = 0;
  for (const doc of corpus as Iterable<unknown>) {
    if (typeof doc !== 'string') throw new ArgumentError(`${op}: corpus[${i}] must be a string, got ${describe(doc)}`);
    yield doc;
    i++;
  }
}

async function* asyncDocuments(op: string, corpus: unknown): AsyncGenerator<string> {
  if (corpus == null || typeof (corpus as AsyncIterable<unknown>)[Symbol.asyncIterator] !== 'function') {
    yield* documents(op, corpus);
    return;
  }
  let i = 0;
  for await (const doc of corpus as AsyncIterable<unknown>) {
    if (typeof doc !== 'string') throw new ArgumentError(`${op}: corpus[${i}] must be a string, got ${describe(doc)}`);
    yield doc;
    i++;
  }
}

/** Checks a vocabulary from JSON or a caller: '' and '[UNK]' first, then distinct strings. */
function checkVocabulary(op: string, value: unknown, maxEntryLength?: number): string[] {
  if (!Array.isArray(value) || value.length < 2) {
    throw new ArgumentError(`${op}: vocabulary must be an array starting with '' and '[UNK]', got ${describe(value)}`);
  }
  if (value[0] !== PAD_TOKEN || value[1] !== OOV_TOKEN) {
    throw new ArgumentError(`${op}: vocabulary must start with '' (padding) and '[UNK]' (OOV), got ${describe(value[0])}, ${describe(value[1])}`);
  }
  const seen = new Set<string>();
  value.forEach((token: unknown, i) => {
    if (i < 2) return;
    if (typeof token !== 'string' || token === '' || token === OOV_TOKEN) {
      throw new ArgumentError(`${op}: vocabulary[${i}] must be a non-empty string other than '[UNK]', got ${describe(token)}`);
    }
    if (maxEntryLength !== undefined && [...token].length > maxEntryLength) {
      throw new ArgumentError(`${op}: vocabulary[${i}] must be a single character, got ${describe(token)}`);
    }
    if (seen.has(token)) throw new ArgumentError(`${op}: vocabulary[${i}] repeats ${describe(token)}`);
    seen.add(token);
  });
  return value as string[];
}

function checkIds(op: string, ids: unknown, size: number): ArrayLike<number> {
  if (ids == null || typeof (ids as ArrayLike<number>).length !== 'number' || typeof ids === 'string') {
    throw new ArgumentError(`${op}: ids must be an array or Int32Array of token ids, got ${describe(ids)}`);
  }
  const arr = ids as ArrayLike<number>;
  for (let i = 0; i < arr.length; i++) {
    const id = arr[i];
    if (typeof id !== 'number' || !Number.isInteger(id)) throw new ArgumentError(`${op}: ids[${i}] must be an integer, got ${describe(id)}`);
    if (id < 0 || id >= size) throw new IndexError(`${op}: ids[${i}] = ${id} is out of range for a vocabulary of ${size} (expected 0..${size - 1})`);
  }
  return arr;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkJSON(op: string, json: unknown, kind: string, keys: readonly string[]): Record<string, unknown> {
  if (!isRecord(json)) throw new ArgumentError(`${op}: expected a tokenizer JSON object, got ${describe(json)}`);
  if (json.kind !== kind) throw new ArgumentError(`${op}: expected kind '${kind}', got ${describe(json.kind)}`);
  if (json.version !== 1) throw new ArgumentError(`${op}: unsupported version ${describe(json.version)} (this rnnkit reads version 1)`);
  for (const key of Object.keys(json)) {
    if (!keys.includes(key)) throw new ArgumentError(`${op}: unknown field '${key}' (known: ${keys.join(', ')})`);
  }
  return json;
}

/** Counts → vocabulary order, capped so the whole vocabulary has at most maxTokens entries. */
function rank(counts: Map<string, number>, tie: (a: string, b: string) => number, maxTokens: number | undefined): string[] {
  counts.delete(PAD_TOKEN);
  counts.delete(OOV_TOKEN);
  const tokens = [...counts.keys()].sort((a, b) => counts.get(b)! - counts.get(a)! || tie(a, b));
  const learned = maxTokens === undefined ? tokens : tokens.slice(0, maxTokens - 2);
  return [PAD_TOKEN, OOV_TOKEN, ...learned];
}

/**
 * Characters (Unicode code points) → ids: 0 padding, 1 OOV, then the corpus' characters by
 * descending frequency, ties by ascending code point. decode() writes U+FFFD for OOV ids.
 */
export class CharTokenizer implements Tokenizer {
  readonly kind = 'char' as const;
  readonly lowercase: boolean;
  readonly #vocabulary: readonly string[];
  readonly #ids: Map<string, number>;

  private constructor(vocabulary: readonly string[], lowercase: boolean) {
    this.#vocabulary = vocabulary;
    this.lowercase = lowercase;
    this.#ids = new Map(vocabulary.slice(2).map((c, i) => [c, i + 2]));
  }

  static #options(op: string, options: unknown): { maxTokens: number | undefined; lowercase: boolean } {
    const opts = checkOptions(op, options, ['maxTokens', 'lowercase'] as const);
    return {
      maxTokens: checkMaxTokens(op, opts.maxTokens),
      lowercase: checkBoolean(op, 'options.lowercase', opts.lowercase ?? false),
    };
  }

  static #count(counts: Map<string, number>, doc: string, lowercase: boolean): void {
    for (const c of lowercase ? doc.toLowerCase() : doc) counts.set(c, (counts.get(c) ?? 0) + 1);
  }

  static #build(counts: Map<string, number>, maxTokens: number | undefined, lowercase: boolean): CharTokenizer {
    const byCodePoint = (a: string, b: string): number => a.codePointAt(0)! - b.codePointAt(0)!;
    return new CharTokenizer(rank(counts, byCodePoint, maxTokens), lowercase);
  }

  /** Builds the vocabulary from a text or an iterable of texts. */
  static fromCorpus(corpus: string | Iterable<string>, options?: CharTokenizerOptions): CharTokenizer {
    const op = 'CharTokenizer.fromCorpus';
    const { maxTokens, lowercase } = CharTokenizer.#options(op, options);
    const counts = new Map<string, number>();
    for (const doc of documents(op, corpus)) CharTokenizer.#count(counts, doc, lowercase);
    return CharTokenizer.#build(counts, maxTokens, lowercase);
  }

  /** fromCorpus() over an async stream of texts (data.streamText(path)), in bounded memory. */
  static async fromCorpusAsync(corpus: AsyncIterable<string> | Iterable<string>, options?: CharTokenizerOptions): Promise<CharTokenizer> {
    const op = 'CharTokenizer.fromCorpusAsync';
    const { maxTokens, lowercase } = CharTokenizer.#options(op, options);
    const counts = new Map<string, number>();
    for await (const doc of asyncDocuments(op, corpus)) CharTokenizer.#count(counts, doc, lowercase);
    return CharTokenizer.#build(counts, maxTokens, lowercase);
  }

  /** A tokenizer with a given vocabulary: ['', '[UNK]', ...single characters]. */
  static fromVocabulary(vocabulary: readonly string[], options?: { lowercase?: boolean }): CharTokenizer {
    const op = 'CharTokenizer.fromVocabulary';
    const opts = checkOptions(op, options, ['lowercase'] as const);
    return new CharTokenizer([...checkVocabulary(op, vocabulary, 1)], checkBoolean(op, 'options.lowercase', opts.lowercase ?? false));
  }

  static fromJSON(json: unknown): CharTokenizer {
    const op = 'CharTokenizer.fromJSON';
    const j = checkJSON(op, json, 'char', ['kind', 'version', 'lowercase', 'vocabulary']);
    return new CharTokenizer([...checkVocabulary(op, j.vocabulary, 1)], checkBoolean(op, 'lowercase', j.lowercase));
  }

  get vocabSize(): number {
    return this.#vocabulary.length;
  }

  encode(text: string): Int32Array {
    if (typeof text !== 'string') throw new ArgumentError(`CharTokenizer.encode: text must be a string, got ${describe(text)}`);
    const ids: number[] = [];
    for (const c of this.lowercase ? text.toLowerCase() : text) ids.push(this.#ids.get(c) ?? OOV_ID);
    return Int32Array.from(ids);
  }

  decode(ids: ArrayLike<number>): string {
    const arr = checkIds('CharTokenizer.decode', ids, this.#vocabulary.length);
    let out = '';
    for (let i = 0; i < arr.length; i++) {
      const id = arr[i]!;
      if (id === PAD_ID) continue;
      out += id === OOV_ID ? '\uFFFD' : this.#vocabulary[id]!;
    }
    return out;
  }

  vocabulary(): string[] {
    return [...this.#vocabulary];
  }

  toJSON(): CharTokenizerJSON {
    return { kind: 'char', version: 1, lowercase: this.lowercase, vocabulary: [...this.#vocabulary] };
  }
}

/**
 * Words → ids, after Keras TextVectorization's standardize and split. Differences from Keras,
 * both outside ASCII: lowercasing is Unicode-aware (TensorFlow's tf.strings.lower only lowercases
 * ASCII), and whitespace is any Unicode whitespace (\s).
 */
export class WordTokenizer implements Tokenizer {
  readonly kind = 'word' as const;
  readonly standardize: Standardize;
  readonly split: Split;
  readonly #vocabulary: readonly string[];
  readonly #ids: Map<string, number>;

  private constructor(vocabulary: readonly string[], standardize: Standardize, split: Split) {
    this.#vocabulary = vocabulary;
    this.standardize = standardize;
    this.split = split;
    this.#ids = new Map(vocabulary.slice(2).map((w, i) => [w, i + 2]));
  }

  static #options(op: string, options: unknown): { maxTokens: number | undefined; standardize: Standardize; split: Split } {
    const opts = checkOptions(op, options, ['maxTokens', 'lowercase', 'standardize', 'split'] as const);
    const maxTokens = checkMaxTokens(op, opts.maxTokens);
    let standardize = opts.standardize === undefined ? undefined : checkOneOf(op, 'options.standardize', opts.standardize, STANDARDIZE);
    if (opts.lowercase !== undefined) {
      const lowercase = checkBoolean(op, 'options.lowercase', opts.lowercase);
      if (standardize === undefined) {
        standardize = lowercase ? 'lower_and_strip_punctuation' : 'strip_punctuation';
      } else if (lowercase !== standardize.startsWith('lower')) {
        throw new ArgumentError(`${op}: options.lowercase ${lowercase} contradicts options.standardize '${standardize}'`);
      }
    }
    const split = checkOneOf(op, 'options.split', opts.split ?? 'whitespace', SPLIT);
    return { maxTokens, standardize: standardize ?? 'lower_and_strip_punctuation', split };
  }

  static #build(counts: Map<string, number>, maxTokens: number | undefined, standardize: Standardize, split: Split): WordTokenizer {
    return new WordTokenizer(rank(counts, (a, b) => compareCodePoints(b, a), maxTokens), standardize, split);
  }

  /**
   * Builds the vocabulary from texts (each a document; one string is one document): tokens by
   * descending count, ties by the token in descending code-point order (as Keras does), capped at
   * maxTokens entries including '' and '[UNK]'.
   */
  static fromCorpus(texts: string | Iterable<string>, options?: WordTokenizerOptions): WordTokenizer {
    const op = 'WordTokenizer.fromCorpus';
    const { maxTokens, standardize, split } = WordTokenizer.#options(op, options);
    const counts = new Map<string, number>();
    for (const doc of documents(op, texts)) {
      for (const w of tokensOf(doc, standardize)) counts.set(w, (counts.get(w) ?? 0) + 1);
    }
    return WordTokenizer.#build(counts, maxTokens, standardize, split);
  }

  /** fromCorpus() over an async stream of texts (data.streamLines(path)), in bounded memory. */
  static async fromCorpusAsync(texts: AsyncIterable<string> | Iterable<string>, options?: WordTokenizerOptions): Promise<WordTokenizer> {
    const op = 'WordTokenizer.fromCorpusAsync';
    const { maxTokens, standardize, split } = WordTokenizer.#options(op, options);
    const counts = new Map<string, number>();
    for await (const doc of asyncDocuments(op, texts)) {
      for (const w of tokensOf(doc, standardize)) counts.set(w, (counts.get(w) ?? 0) + 1);
    }
    return WordTokenizer.#build(counts, maxTokens, standardize, split);
  }

  /** A tokenizer with a given vocabulary: ['', '[UNK]', ...tokens] (Keras' get_vocabulary()). */
  static fromVocabulary(vocabulary: readonly string[], options?: Omit<WordTokenizerOptions, 'maxTokens'>): WordTokenizer {
    const op = 'WordTokenizer.fromVocabulary';
    const opts = checkOptions(op, options, ['lowercase', 'standardize', 'split'] as const);
    const { standardize, split } = WordTokenizer.#options(op, opts);
    return new WordTokenizer([...checkVocabulary(op, vocabulary)], standardize, split);
  }

  /**
   * A tokenizer for pretrained vectors: '' and '[UNK]', then the vectors' words in their order (so
   * with no word left out, word i of the vectors has id i + 2), then the corpus' words that the
   * vectors lack. A vector word that this standardisation would change or split (e.g. 'The' when
   * lowercasing: GloVe is lowercase, word2vec's Google News vectors are not) can never come out of
   * encode() and is left out, as is '[UNK]'; so are repeats. data.alignVectors() builds the matching
   * embedding table, rows for the added words included.
   */
  static fromVectors(words: readonly string[], options?: WordTokenizerFromVectorsOptions): WordTokenizer {
    const op = 'WordTokenizer.fromVectors';
    const opts = checkOptions(op, options, ['corpus', 'minCount', 'lowercase', 'standardize', 'split'] as const);
    const { corpus, minCount, ...rest } = opts;
    const { standardize, split } = WordTokenizer.#options(op, rest);
    const least = minCount === undefined ? 1 : checkInteger(op, 'options.minCount', minCount);
    if (least < 1) throw new ArgumentError(`${op}: options.minCount must be >= 1, got ${least}`);
    if (!Array.isArray(words)) throw new ArgumentError(`${op}: words must be an array of strings (loadWordVectors' words), got ${describe(words)}`);
    const vocabulary = [PAD_TOKEN, OOV_TOKEN];
    const known = new Set<string>([PAD_TOKEN, OOV_TOKEN]);
    words.forEach((word: unknown, i) => {
      if (typeof word !== 'string') throw new ArgumentError(`${op}: words[${i}] must be a string, got ${describe(word)}`);
      const tokens = tokensOf(word, standardize);
      if (tokens.length !== 1 || tokens[0] !== word || known.has(word)) return;
      known.add(word);
      vocabulary.push(word);
    });
    if (corpus !== undefined) {
      const counts = new Map<string, number>();
      for (const doc of documents(op, corpus)) {
        for (const w of tokensOf(doc, standardize)) if (!known.has(w)) counts.set(w, (counts.get(w) ?? 0) + 1);
      }
      for (const [w, n] of counts) if (n < least) counts.delete(w);
      vocabulary.push(...rank(counts, (a, b) => compareCodePoints(b, a), undefined).slice(2));
    }
    return new WordTokenizer(vocabulary, standardize, split);
  }

  static fromJSON(json: unknown): WordTokenizer {
    const op = 'WordTokenizer.fromJSON';
    const j = checkJSON(op, json, 'word', ['kind', 'version', 'standardize', 'split', 'vocabulary']);
    const standardize = checkOneOf(op, 'standardize', j.standardize, STANDARDIZE);
    const split = checkOneOf(op, 'split', j.split, SPLIT);
    return new WordTokenizer([...checkVocabulary(op, j.vocabulary)], standardize, split);
  }

  get vocabSize(): number {
    return this.#vocabulary.length;
  }

  /** The text standardised and split: the strings encode() looks up. */
  tokens(text: string): string[] {
    if (typeof text !== 'string') throw new ArgumentError(`WordTokenizer.tokens: text must be a string, got ${describe(text)}`);
    return tokensOf(text, this.standardize);
  }

  encode(text: string): Int32Array {
    if (typeof text !== 'string') throw new ArgumentError(`WordTokenizer.encode: text must be a string, got ${describe(text)}`);
    return Int32Array.from(tokensOf(text, this.standardize), (w) => this.#ids.get(w) ?? OOV_ID);
  }

  /** Tokens joined by single spaces; padding skipped, OOV written as '[UNK]'. */
  decode(ids: ArrayLike<number>): string {
    const arr = checkIds('WordTokenizer.decode', ids, this.#vocabulary.length);
    const words: string[] = [];
    for (let i = 0; i < arr.length; i++) if (arr[i] !== PAD_ID) words.push(this.#vocabulary[arr[i]!]!);
    return words.join(' ');
  }

  vocabulary(): string[] {
    return [...this.#vocabulary];
  }

  toJSON(): WordTokenizerJSON {
    return { kind: 'word', version: 1, standardize: this.standardize, split: this.split, vocabulary: [...this.#vocabulary] };
  }
}

/** Keras' standardize then split='whitespace'. */
export function tokensOf(text: string, standardize: Standardize): string[] {
  let s = text;
  if (standardize === 'lower' || standardize === 'lower_and_strip_punctuation') s = s.toLowerCase();
  if (standardize === 'strip_punctuation' || standardize === 'lower_and_strip_punctuation') s = s.replace(STRIP_PUNCTUATION, '');
  return s.split(WHITESPACE).filter((w) => w !== '');
}

/** A tokenizer back from its toJSON() (e.g. from a checkpoint's metadata). */
export function tokenizerFromJSON(json: unknown): CharTokenizer | WordTokenizer {
  if (isRecord(json) && json.kind === 'char') return CharTokenizer.fromJSON(json);
  if (isRecord(json) && json.kind === 'word') return WordTokenizer.fromJSON(json);
  throw new ArgumentError(`tokenizerFromJSON: expected an object with kind 'char' or 'word', got ${isRecord(json) ? `kind ${describe(json.kind)}` : describe(json)}`);
}
