// Tokenizers: vocabularies and ids computed by hand, Keras TextVectorization's standardisation and
// vocabulary rules (punctuation, case, OOV, maxTokens counting padding and OOV, ties), JSON round
// trips (also through a checkpoint's metadata) and bad input.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';

const { CharTokenizer, WordTokenizer, tokenizerFromJSON } = rk.data;
const ids = (a: Int32Array): number[] => Array.from(a);

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rnnkit-tok-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('CharTokenizer', () => {
  it('orders characters by descending count, ties by code point, after padding and OOV', () => {
    // abracadabra: a×5, b×2, r×2, c×1, d×1 (b < r and c < d by code point).
    const tok = CharTokenizer.fromCorpus('abracadabra');
    expect(tok.vocabulary()).toEqual(['', '[UNK]', 'a', 'b', 'r', 'c', 'd']);
    expect(tok.vocabSize).toBe(7);
    expect(ids(tok.encode('abracadabra'))).toEqual([2, 3, 4, 2, 5, 2, 6, 2, 3, 4, 2]);
    expect(ids(tok.encode('abz!'))).toEqual([2, 3, 1, 1]);
    expect(ids(tok.encode(''))).toEqual([]);
    expect(CharTokenizer.fromCorpus('ba').vocabulary()).toEqual(['', '[UNK]', 'a', 'b']);
    // An iterable of documents is counted together.
    expect(CharTokenizer.fromCorpus(['ab', 'b']).vocabulary()).toEqual(['', '[UNK]', 'b', 'a']);
  });

  it('caps the vocabulary at maxTokens entries, padding and OOV included', () => {
    const tok = CharTokenizer.fromCorpus('abracadabra', { maxTokens: 4 });
    expect(tok.vocabulary()).toEqual(['', '[UNK]', 'a', 'b']);
    expect(ids(tok.encode('abracadabra'))).toEqual([2, 3, 1, 2, 1, 2, 1, 2, 3, 1, 2]);
    expect(CharTokenizer.fromCorpus('abc', { maxTokens: 2 }).vocabulary()).toEqual(['', '[UNK]']);
    expect(CharTokenizer.fromCorpus('abc', { maxTokens: 100 }).vocabSize).toBe(5);
  });

  it('works on code points (not UTF-16 units) and lowercases when asked', () => {
    const tok = CharTokenizer.fromCorpus('😀😀é');
    expect(tok.vocabulary()).toEqual(['', '[UNK]', '😀', 'é']);
    expect(ids(tok.encode('é😀x'))).toEqual([3, 2, 1]);
    expect(tok.decode([3, 2])).toBe('é😀');
    const lower = CharTokenizer.fromCorpus('AaB', { lowercase: true });
    expect(lower.vocabulary()).toEqual(['', '[UNK]', 'a', 'b']);
    expect(ids(lower.encode('BA'))).toEqual([3, 2]);
    expect(ids(CharTokenizer.fromCorpus('AaB').encode('BA'))).toEqual([3, 2]); // A, B, a: one each, by code point
  });

  it('decodes skipping padding, OOV as U+FFFD, and rejects ids outside the vocabulary', () => {
    const tok = CharTokenizer.fromCorpus('abracadabra');
    expect(tok.decode([2, 0, 3, 1, 0])).toBe('ab\uFFFD');
    expect(tok.decode(tok.encode('cab'))).toBe('cab');
    expect(() => tok.decode([2, 7])).toThrow(rk.IndexError);
    expect(() => tok.decode([2, 7])).toThrow(/ids\[1\] = 7 is out of range for a vocabulary of 7/);
    expect(() => tok.decode([1.5])).toThrow(/ids\[0\] must be an integer/);
    expect(() => tok.encode(3 as unknown as string)).toThrow(rk.ArgumentError);
  });

  it('builds from an async corpus the same as from a sync one', async () => {
    async function* gen(): AsyncGenerator<string> {
      yield 'abra';
      yield 'cadabra';
    }
    const a = await CharTokenizer.fromCorpusAsync(gen());
    expect(a.vocabulary()).toEqual(CharTokenizer.fromCorpus('abracadabra').vocabulary());
  });

  it('rejects bad corpora and options', () => {
    expect(() => CharTokenizer.fromCorpus(5 as unknown as string)).toThrow(/corpus must be a string or an iterable of strings/);
    expect(() => CharTokenizer.fromCorpus(['a', 3] as unknown as string[])).toThrow(/corpus\[1\] must be a string/);
    expect(() => CharTokenizer.fromCorpus('a', { maxTokens: 1 })).toThrow(/maxTokens must be >= 2/);
    expect(() => CharTokenizer.fromCorpus('a', { maxToken: 5 } as rk.data.CharTokenizerOptions)).toThrow(/unknown option 'maxToken'/);
  });
});

describe('WordTokenizer (Keras TextVectorization rules)', () => {
  const corpus = ['The cat sat.', 'The dog, the CAT!', "a dog's life"];

  it('lowercases, strips punctuation, splits on whitespace; ties in descending token order', () => {
    // → "the cat sat" | "the dog the cat" | "a dogs life": the×3, cat×2, then count 1 from
    // high to low: sat > life > dogs > dog > a (Keras: np.lexsort((tokens, counts))[::-1]).
    const tok = WordTokenizer.fromCorpus(corpus);
    expect(tok.vocabulary()).toEqual(['', '[UNK]', 'the', 'cat', 'sat', 'life', 'dogs', 'dog', 'a']);
    expect(ids(tok.encode('The DOG sat on the mat!!'))).toEqual([2, 7, 4, 1, 2, 1]);
    expect(tok.decode([2, 7, 0, 1])).toBe('the dog [UNK]');
    expect(tok.vocabSize).toBe(9);
  });

  it('caps at maxTokens counting the padding and OOV entries', () => {
    const tok = WordTokenizer.fromCorpus(corpus, { maxTokens: 5 });
    expect(tok.vocabulary()).toEqual(['', '[UNK]', 'the', 'cat', 'sat']);
    expect(ids(tok.encode('the dog sat'))).toEqual([2, 1, 4]);
    expect(WordTokenizer.fromCorpus(corpus, { maxTokens: 2 }).vocabulary()).toEqual(['', '[UNK]']);
  });

  it('strips exactly the 32 ASCII punctuation characters of Keras DEFAULT_STRIP_REGEX', () => {
    const tok = WordTokenizer.fromCorpus('x');
    expect(tok.tokens('hello-world e.g. don\'t C++ "quoted" (a) [UNK] a_b a/b 50% #1 ~x~ `y` {z} a|b ^ @me a\\b')).toEqual([
      'helloworld', 'eg', 'dont', 'c', 'quoted', 'a', 'unk', 'ab', 'ab', '50', '1', 'x', 'y', 'z', 'ab', 'me', 'ab',
    ]);
    // Non-ASCII punctuation stays, as in Keras; '...' alone leaves nothing.
    expect(tok.tokens('¿Qué? … ...')).toEqual(['¿qué', '…']);
    expect(tok.tokens('  a\tb\n\nc  ')).toEqual(['a', 'b', 'c']);
    expect(tok.tokens('')).toEqual([]);
  });

  it("follows standardize 'lower', 'strip_punctuation' and 'none', and lowercase as its shortcut", () => {
    const text = 'Hi, there. Hi!';
    expect(WordTokenizer.fromCorpus(text, { standardize: 'lower' }).tokens(text)).toEqual(['hi,', 'there.', 'hi!']);
    expect(WordTokenizer.fromCorpus(text, { standardize: 'strip_punctuation' }).tokens(text)).toEqual(['Hi', 'there', 'Hi']);
    expect(WordTokenizer.fromCorpus(text, { standardize: 'none' }).tokens(text)).toEqual(['Hi,', 'there.', 'Hi!']);
    expect(WordTokenizer.fromCorpus(text, { lowercase: false }).standardize).toBe('strip_punctuation');
    expect(WordTokenizer.fromCorpus(text, { lowercase: true }).standardize).toBe('lower_and_strip_punctuation');
    expect(() => WordTokenizer.fromCorpus(text, { lowercase: false, standardize: 'lower' })).toThrow(/lowercase false contradicts options.standardize 'lower'/);
    expect(() => WordTokenizer.fromCorpus(text, { standardize: 'upper' as rk.data.Standardize })).toThrow(/standardize must be one of/);
    expect(() => WordTokenizer.fromCorpus(text, { split: 'character' as rk.data.Split })).toThrow(/split must be one of 'whitespace'/);
    // Case-sensitive vocabulary: 'Hi' twice, then 'there' (count 1).
    expect(WordTokenizer.fromCorpus(text, { standardize: 'strip_punctuation' }).vocabulary()).toEqual(['', '[UNK]', 'Hi', 'there']);
  });

  it("never learns '[UNK]' as a token (Keras removes the special tokens from the counts)", () => {
    const tok = WordTokenizer.fromCorpus('[UNK] [UNK] a', { standardize: 'none' });
    expect(tok.vocabulary()).toEqual(['', '[UNK]', 'a']);
    expect(ids(tok.encode('[UNK] a b'))).toEqual([1, 2, 1]);
  });

  it('ties use code-point order (the UTF-8 byte order numpy sorts by), high to low', () => {
    // 'é' (U+00E9) > 'z' > 'b' > 'B'; an astral character sorts above U+FFxx in code points.
    expect(WordTokenizer.fromCorpus('b é z B', { standardize: 'none' }).vocabulary()).toEqual(['', '[UNK]', 'é', 'z', 'b', 'B']);
    expect(WordTokenizer.fromCorpus('\uFF5E 😀', { standardize: 'none' }).vocabulary()).toEqual(['', '[UNK]', '😀', '\uFF5E']);
  });
});

describe('tokenizer JSON', () => {
  it('round-trips both kinds through JSON text', () => {
    const c = CharTokenizer.fromCorpus('héllo wörld', { lowercase: true, maxTokens: 6 });
    const w = WordTokenizer.fromCorpus(['One two two', 'three'], { standardize: 'lower' });
    for (const tok of [c, w]) {
      const back = tokenizerFromJSON(JSON.parse(JSON.stringify(tok)));
      expect(back.kind).toBe(tok.kind);
      expect(back.vocabulary()).toEqual(tok.vocabulary());
      expect(back.toJSON()).toEqual(tok.toJSON());
      expect(ids(back.encode('Two héllo three'))).toEqual(ids(tok.encode('Two héllo three')));
    }
    expect(c.toJSON()).toEqual({ kind: 'char', version: 1, lowercase: true, vocabulary: ['', '[UNK]', 'l', ' ', 'd', 'h'] }); // l×3, then one each by code point
    expect(w.toJSON()).toEqual({ kind: 'word', version: 1, standardize: 'lower', split: 'whitespace', vocabulary: ['', '[UNK]', 'two', 'three', 'one'] });
    expect(CharTokenizer.fromJSON(c.toJSON()).lowercase).toBe(true);
    expect(WordTokenizer.fromVocabulary(['', '[UNK]', 'b', 'a']).encode('a b c')).toEqual(Int32Array.from([3, 2, 1]));
  });

  it('travels in a checkpoint’s metadata', async () => {
    const tok = WordTokenizer.fromCorpus(['saved with the weights']);
    const file = join(dir, 'ckpt.safetensors');
    const t = rk.tensor([1, 2, 3]);
    await rk.io.save(file, { tensors: { t }, metadata: { tokenizer: tok } });
    t.dispose();
    const loaded = await rk.io.load(file);
    for (const x of Object.values(loaded.tensors)) x.dispose();
    const back = tokenizerFromJSON(loaded.metadata.tokenizer);
    expect(back.vocabulary()).toEqual(tok.vocabulary());
  });

  it('rejects malformed JSON with the field named', () => {
    const good = WordTokenizer.fromCorpus('a b').toJSON();
    expect(() => tokenizerFromJSON(null)).toThrow(/expected an object with kind 'char' or 'word', got null/);
    expect(() => tokenizerFromJSON({ ...good, kind: 'bpe' })).toThrow(/kind 'bpe'/);
    expect(() => tokenizerFromJSON({ ...good, version: 2 })).toThrow(/unsupported version 2/);
    expect(() => tokenizerFromJSON({ ...good, extra: 1 })).toThrow(/unknown field 'extra'/);
    expect(() => tokenizerFromJSON({ ...good, vocabulary: ['[UNK]', '', 'a'] })).toThrow(/must start with '' \(padding\) and '\[UNK\]'/);
    expect(() => tokenizerFromJSON({ ...good, vocabulary: ['', '[UNK]', 'a', 'a'] })).toThrow(/vocabulary\[3\] repeats 'a'/);
    expect(() => tokenizerFromJSON({ ...good, vocabulary: ['', '[UNK]', 7] })).toThrow(/vocabulary\[2\] must be a non-empty string/);
    expect(() => tokenizerFromJSON({ ...good, standardize: 'loud' })).toThrow(/standardize must be one of/);
    expect(() => CharTokenizer.fromJSON({ kind: 'char', version: 1, lowercase: false, vocabulary: ['', '[UNK]', 'ab'] })).toThrow(/vocabulary\[2\] must be a single character/);
    expect(() => CharTokenizer.fromJSON(good)).toThrow(/expected kind 'char', got 'word'/);
  });
});
