// WordTokenizer.fromVectors and data.alignVectors: a vocabulary whose ids line up with the vectors'
// rows, the corpus' missing words after them, and the embedding table with seeded random rows for
// those; end to end from the fixture files (test/fixtures/make_vector_fixtures.py) to the vectors
// an nn.Embedding looks up for a text.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { detached } from '../helpers.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'word-vectors');
const expected = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as { words: string[]; dim: number; binary: number[][] };

const vectorsOf = (words: string[], rows: number[][]): rk.io.WordVectors => ({
  words,
  vectors: rk.tensor(Float32Array.from(rows.flat()), { shape: [words.length, rows[0]?.length ?? 2] }),
});
const rowsOf = (t: rk.Tensor): number[][] => {
  const [n, d] = t.shape as [number, number];
  const v = Array.from(t.dataSync());
  return Array.from({ length: n }, (_, i) => v.slice(i * d, (i + 1) * d));
};

describe('WordTokenizer.fromVectors', () => {
  it('puts the vectors\' words after padding and OOV, in their order: word i has id i + 2', () => {
    const tok = rk.data.WordTokenizer.fromVectors(['the', 'cat', 'sat']);
    expect(tok.vocabulary()).toEqual(['', '[UNK]', 'the', 'cat', 'sat']);
    expect(Array.from(tok.encode('The cat SAT on'))).toEqual([2, 3, 4, 1]);
    expect(tok.standardize).toBe('lower_and_strip_punctuation');
  });

  it('leaves out words its standardisation would change, [UNK] and repeats; standardize none keeps them', () => {
    const words = expected.words; // the, ",", café, naïve, 日本, Paris, paris, 2024, don't, 🙂
    const lower = rk.data.WordTokenizer.fromVectors(words);
    expect(lower.vocabulary()).toEqual(['', '[UNK]', 'the', 'café', 'naïve', '日本', 'paris', '2024', '🙂']);
    expect(Array.from(lower.encode('Paris, CAFÉ!'))).toEqual([6, 3]);
    const cased = rk.data.WordTokenizer.fromVectors([...words, '[UNK]', 'the'], { standardize: 'none' });
    expect(cased.vocabulary()).toEqual(['', '[UNK]', ...words]);
    expect(Array.from(cased.encode('Paris paris , the'))).toEqual([7, 8, 3, 2]);
    expect(rk.data.WordTokenizer.fromVectors(['A', 'b'], { lowercase: false }).vocabulary()).toEqual(['', '[UNK]', 'A', 'b']);
  });

  it('adds the corpus words the vectors lack, by count (ties as fromCorpus), at least minCount times', () => {
    const corpus = ['the zebra ate', 'a zebra ran', 'the yak ate'];
    const tok = rk.data.WordTokenizer.fromVectors(['the', 'ran'], { corpus });
    // zebra 2, ate 2, yak 1, a 1: count descending, ties by the word descending (Keras' order).
    expect(tok.vocabulary()).toEqual(['', '[UNK]', 'the', 'ran', 'zebra', 'ate', 'yak', 'a']);
    expect(tok.vocabulary().slice(4)).toEqual(rk.data.WordTokenizer.fromCorpus(['zebra ate', 'a zebra', 'yak ate']).vocabulary().slice(2));
    const frequent = rk.data.WordTokenizer.fromVectors(['the', 'ran'], { corpus, minCount: 2 });
    expect(frequent.vocabulary()).toEqual(['', '[UNK]', 'the', 'ran', 'zebra', 'ate']);
    expect(Array.from(frequent.encode('the yak ran'))).toEqual([2, 1, 3]);
    // It travels as any WordTokenizer does.
    expect(rk.data.tokenizerFromJSON(frequent.toJSON()).vocabulary()).toEqual(frequent.vocabulary());
  });

  it('bad inputs are ArgumentErrors naming the argument', () => {
    const cases: [unknown, unknown, RegExp][] = [
      ['the cat', undefined, /words must be an array of strings \(loadWordVectors' words\), got/],
      [['the', 3], undefined, /words\[1\] must be a string, got 3/],
      [['the'], { minCount: 0 }, /options\.minCount must be >= 1, got 0/],
      [['the'], { minCount: 1.5 }, /options\.minCount must be a finite integer/],
      [['the'], { corpus: 5 }, /corpus must be a string or an iterable of strings, got 5/],
      [['the'], { corpus: detached(new Float32Array(2)) }, /corpus must be a string or an iterable of strings, got a Float32Array/],
      [['the'], { maxTokens: 10 }, /unknown option 'maxTokens' \(known: corpus, minCount, lowercase, standardize, split\)/],
      [['the'], { standardize: 'upper' }, /options\.standardize must be one of/],
    ];
    for (const [words, options, message] of cases) {
      let err: unknown = null;
      try {
        rk.data.WordTokenizer.fromVectors(words as string[], options as rk.data.WordTokenizerFromVectorsOptions);
      } catch (e) {
        err = e;
      }
      expect(err, String(message)).toBeInstanceOf(rk.ArgumentError);
      expect((err as Error).message).toMatch(/^WordTokenizer\.fromVectors: /);
      expect((err as Error).message).toMatch(message);
    }
  });
});

describe('data.alignVectors', () => {
  const wv = vectorsOf(['cat', 'dog', 'the'], [[1, 2], [3, 4], [5, 6]]);

  it('puts each token\'s vector on its id, zeros on padding, seeded random rows on the rest', async () => {
    const tok = rk.data.WordTokenizer.fromVocabulary(['', '[UNK]', 'the', 'emu', 'cat', 'yak']);
    const { weights, missing, missingWords } = await rk.data.alignVectors(tok, wv, { seed: 3 });
    expect(weights.shape).toEqual([6, 2]);
    const rows = rowsOf(weights);
    expect(rows[0]).toEqual([0, 0]);
    expect(rows[2]).toEqual([5, 6]);
    expect(rows[4]).toEqual([1, 2]);
    expect(missing).toBe(2);
    expect(missingWords).toEqual(['emu', 'yak']);
    for (const id of [1, 3, 5]) expect(rows[id]!.every((x) => Number.isFinite(x) && x !== 0)).toBe(true);
    // The same seed gives the same rows; another seed others.
    expect(rowsOf((await rk.data.alignVectors(tok, wv, { seed: 3 })).weights)).toEqual(rows);
    const other = rowsOf((await rk.data.alignVectors(tok, wv, { seed: 4 })).weights);
    expect(other[3]).not.toEqual(rows[3]);
    expect([other[2], other[4]]).toEqual([rows[2], rows[4]]);
  });

  it('draws the random rows N(0, std): the vectors\' own std by default, or options.std', async () => {
    const n = 4000;
    const words = Array.from({ length: n }, (_, i) => `w${i}`);
    const tok = rk.data.WordTokenizer.fromVocabulary(['', '[UNK]', ...words]);
    const sampleStd = (rows: number[][]): [number, number] => {
      const v = rows.slice(2).flat();
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      return [mean, Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length)];
    };
    // wv's values 1..6 have std sqrt(35/12) = 1.7078.
    const byDefault = await rk.data.alignVectors(tok, wv, { seed: 1 });
    expect(byDefault.missing).toBe(n);
    const [mean, std] = sampleStd(rowsOf(byDefault.weights));
    expect(Math.abs(mean)).toBeLessThan(0.05 * 1.7078); // 8000 draws: 4 standard errors
    expect(Math.abs(std / Math.sqrt(35 / 12) - 1)).toBeLessThan(0.04);
    const [, small] = sampleStd(rowsOf((await rk.data.alignVectors(tok, wv, { seed: 1, std: 0.1 })).weights));
    expect(Math.abs(small / 0.1 - 1)).toBeLessThan(0.04);
  });

  it('leaves the global generator alone when given a seed; without one, rk.seed() fixes the rows', async () => {
    const tok = rk.data.WordTokenizer.fromVocabulary(['', '[UNK]', 'emu']);
    rk.seed(9);
    const probe = rowsOf(new rk.nn.Embedding(2, 2).weight);
    rk.seed(9);
    await rk.data.alignVectors(tok, wv, { seed: 5 });
    expect(rowsOf(new rk.nn.Embedding(2, 2).weight)).toEqual(probe);
    rk.seed(2);
    const a = rowsOf((await rk.data.alignVectors(tok, wv)).weights);
    rk.seed(2);
    expect(rowsOf((await rk.data.alignVectors(tok, wv)).weights)).toEqual(a);
  });

  it('end to end: file → tokenizer → table → nn.Embedding looks up the file\'s vectors for a text', async () => {
    const loaded = await rk.io.loadWordVectors(join(FIXTURES, 'word2vec.bin'));
    const tok = rk.data.WordTokenizer.fromVectors(loaded.words, { corpus: ['the zebra in paris', 'zebra'] });
    const { weights, missing, missingWords } = await rk.data.alignVectors(tok, loaded, { seed: 0 });
    expect([missing, missingWords]).toEqual([2, ['zebra', 'in']]);
    const emb = rk.nn.Embedding.fromPretrained(weights, { paddingIdx: 0 });
    const ids = tok.encode('Paris, the café 🙂');
    const got = rowsOf(emb.forward(rk.tensor(ids)));
    expect(got).toEqual(['paris', 'the', 'café', '🙂'].map((w) => expected.binary[expected.words.indexOf(w)]!));
    const zebra = rowsOf(emb.forward(rk.tensor(tok.encode('zebra'))))[0]!;
    expect(zebra).toEqual(rowsOf(weights)[tok.vocabulary().indexOf('zebra')]);
  });

  it('bad inputs are typed errors naming the argument', async () => {
    const tok = rk.data.WordTokenizer.fromVocabulary(['', '[UNK]', 'cat']);
    const cases: [unknown, unknown, unknown, new (m: string) => Error, RegExp][] = [
      [{}, wv, undefined, rk.ArgumentError, /tokenizer must be an rnnkit tokenizer \(with vocabulary\(\)\)/],
      [tok, { words: ['a'] }, undefined, rk.ArgumentError, /wordVectors must be \{ words, vectors \} as io\.loadWordVectors returns/],
      [tok, { words: ['a'], vectors: rk.tensor([[1, 2], [3, 4]]) }, undefined, rk.ShapeError, /wordVectors\.vectors must have shape \[words\.length, dim\] = \[1, dim >= 1\], got \[2, 2\]/],
      [tok, { words: ['a'], vectors: rk.tensor(new Int32Array(2), { shape: [1, 2] }) }, undefined, rk.DTypeError, /wordVectors\.vectors must be float32, got int32/],
      [tok, wv, { seed: 0.5 }, rk.ArgumentError, /options\.seed must be a finite integer, got 0\.5/],
      [tok, wv, { std: -1 }, rk.ArgumentError, /options\.std must be >= 0, got -1/],
      [tok, wv, { std: NaN }, rk.ArgumentError, /options\.std must be a finite number/],
      [tok, wv, { scale: 1 }, rk.ArgumentError, /unknown option 'scale' \(known: seed, std\)/],
    ];
    for (const [t, v, options, Cls, message] of cases) {
      const err = await rk.data
        .alignVectors(t as rk.data.Tokenizer, v as rk.io.WordVectors, options as rk.data.AlignVectorsOptions)
        .then(() => null, (e: unknown) => e);
      expect(err, String(message)).toBeInstanceOf(Cls);
      expect((err as Error).message).toMatch(/^data\.alignVectors: /);
      expect((err as Error).message).toMatch(message);
    }
  });
});
