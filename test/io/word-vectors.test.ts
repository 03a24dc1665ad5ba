// io.loadWordVectors / io.saveWordVectors: the GloVe, word2vec text and word2vec binary layouts
// against files written by test/fixtures/make_vector_fixtures.py (numpy + struct, the C tools'
// exact layouts), exact round trips in every format, limit and vocabulary, and malformed files
// (each an ArgumentError naming file:line, or the vector and byte offset in a binary file).

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { detached, uniform } from '../helpers.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'word-vectors');
const expected = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as {
  words: string[];
  dim: number;
  text: number[][];
  binary: number[][];
};

const dir = mkdtempSync(join(tmpdir(), 'rnnkit-vectors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileCount = 0;
/** Writes text (or bytes) to a fresh file in the temp folder; returns its path. */
function fixture(content: string | Uint8Array, ext = '.txt'): string {
  const path = join(dir, `v${fileCount++}${ext}`);
  writeFileSync(path, content);
  return path;
}

const rows = (t: rk.Tensor): number[][] => {
  const [n, d] = t.shape as [number, number];
  const v = Array.from(t.dataSync());
  return Array.from({ length: n }, (_, i) => v.slice(i * d, (i + 1) * d));
};

async function loadRejects(path: string, message: string | RegExp, options?: rk.io.LoadWordVectorsOptions): Promise<void> {
  const err = await rk.io.loadWordVectors(path, options).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(rk.ArgumentError);
  expect((err as Error).message).toMatch(message);
}

describe('io.loadWordVectors reads the layouts numpy and struct wrote', () => {
  it.each([
    ['glove.txt', 'text'],
    ['word2vec.txt', 'text'],
    ['word2vec.bin', 'binary'],
    ['word2vec-nonl.bin', 'binary'],
  ] as const)('%s (format detected) holds the expected words and float32 values bit for bit', async (name, kind) => {
    const { words, vectors } = await rk.io.loadWordVectors(join(FIXTURES, name));
    expect(words).toEqual(expected.words);
    expect(vectors.dtype).toBe('float32');
    expect(vectors.shape).toEqual([expected.words.length, expected.dim]);
    expect(rows(vectors)).toEqual(expected[kind]);
    vectors.dispose();
  });

  it('takes a file: URL and an explicit format', async () => {
    const url = new URL(`file://${join(FIXTURES, 'word2vec.txt')}`);
    const { words, vectors } = await rk.io.loadWordVectors(url, { format: 'word2vec' });
    expect(words).toEqual(expected.words);
    expect(rows(vectors)).toEqual(expected.text);
    const bin = fixture(readFileSync(join(FIXTURES, 'word2vec.bin')), '.vectors');
    const fromBin = await rk.io.loadWordVectors(bin, { format: 'word2vec-binary' });
    expect(rows(fromBin.vectors)).toEqual(expected.binary);
  });

  it('limit reads the first rows only; vocabulary keeps its words in file order', async () => {
    const first = await rk.io.loadWordVectors(join(FIXTURES, 'glove.txt'), { limit: 3 });
    expect(first.words).toEqual(expected.words.slice(0, 3));
    expect(rows(first.vectors)).toEqual(expected.text.slice(0, 3));
    const some = await rk.io.loadWordVectors(join(FIXTURES, 'word2vec.bin'), { vocabulary: new Set(['paris', '日本', 'absent', 'the']) });
    expect(some.words).toEqual(['the', '日本', 'paris']);
    expect(rows(some.vectors)).toEqual([0, 4, 6].map((i) => expected.binary[i]));
    // limit counts rows of the file, before the vocabulary filter (as gensim's limit does).
    const both = await rk.io.loadWordVectors(join(FIXTURES, 'word2vec.txt'), { vocabulary: ['paris', 'café'], limit: 6 });
    expect(both.words).toEqual(['café']);
    const none = await rk.io.loadWordVectors(join(FIXTURES, 'glove.txt'), { vocabulary: ['absent'] });
    expect(none.words).toEqual([]);
    expect(none.vectors.shape).toEqual([0, expected.dim]);
  });

  it('stops reading once the limit is reached or every vocabulary word is found', async () => {
    // A broken row after the point where reading can stop is never reached.
    const file = fixture('a 1 2\nb 3 4\nc 5 6\nbroken x\n');
    expect((await rk.io.loadWordVectors(file, { limit: 3 })).words).toEqual(['a', 'b', 'c']);
    expect((await rk.io.loadWordVectors(file, { vocabulary: ['b', 'a'] })).words).toEqual(['a', 'b']);
    await loadRejects(file, `${file}:4: the row has 1 value after its word, expected 2`);
  });

  it('skips blank lines, accepts CRLF, tabs, exponents and signs', async () => {
    const file = fixture('\r\nx\t1e-3 -2.5E+2 +.5\r\n\r\ny 0 -0 7.\r\n');
    const { words, vectors } = await rk.io.loadWordVectors(file);
    expect(words).toEqual(['x', 'y']);
    expect(rows(vectors)).toEqual([[Math.fround(1e-3), -250, 0.5], [0, -0, 7]]);
  });
});

describe('io.saveWordVectors round trips', () => {
  // Words of several UTF-8 lengths, values of many magnitudes (tiny, large, negative zero).
  const n = 3000;
  const dim = 16;
  const words = Array.from({ length: n }, (_, i) => ['w', 'é', '語', '🙂'][i % 4]! + i.toString(36));
  const values = Float32Array.from(uniform(n * dim, 7), (u, i) => (i % 97 === 0 ? -0 : u * 10 ** ((i % 9) - 4)));

  it.each(['glove', 'word2vec', 'word2vec-binary'] as const)('%s: the same words and the same float32 bits back', async (format) => {
    const vectors = rk.tensor(values, { shape: [n, dim] });
    const path = join(dir, `round-${format}.${format === 'word2vec-binary' ? 'bin' : 'txt'}`);
    await rk.io.saveWordVectors(path, { words, vectors }, { format });
    const back = await rk.io.loadWordVectors(path);
    expect(back.words).toEqual(words);
    expect(back.vectors.shape).toEqual([n, dim]);
    const got = back.vectors.dataSync() as Float32Array;
    expect(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(Buffer.from(values.buffer))).toBe(true);
    vectors.dispose();
    back.vectors.dispose();
  });

  it('writes the layouts the fixtures have: glove and word2vec text, binary with its newlines', async () => {
    const words = expected.words;
    const bin = join(dir, 'same.bin');
    await rk.io.saveWordVectors(bin, { words, vectors: rk.tensor(Float32Array.from(expected.binary.flat()), { shape: [words.length, expected.dim] }) });
    expect(readFileSync(bin).equals(readFileSync(join(FIXTURES, 'word2vec.bin')))).toBe(true);
    const text = join(dir, 'same.txt');
    await rk.io.saveWordVectors(text, { words: ['a', 'b'], vectors: rk.tensor([[0.5, -1], [1e-7, 3]]) }, { format: 'word2vec' });
    expect(readFileSync(text, 'utf8')).toBe('2 2\na 0.5 -1\nb 1e-7 3\n');
  });

  it('rejects what the formats cannot hold, naming the argument', async () => {
    const path = join(dir, 'bad.txt');
    const v = rk.tensor([[1, 2], [3, 4]]);
    const cases: [unknown, unknown, new (m: string) => Error, RegExp][] = [
      [{ words: ['a b', 'c'], vectors: v }, undefined, rk.ArgumentError, /wordVectors\.words\[0\] must be a non-empty string without whitespace/],
      [{ words: ['a', 'a'], vectors: v }, undefined, rk.ArgumentError, /wordVectors\.words\[1\] repeats "a"/],
      [{ words: ['a'], vectors: v }, undefined, rk.ShapeError, /wordVectors\.vectors must have shape \[words\.length, dim\] = \[1, dim >= 1\], got \[2, 2\]/],
      [{ words: ['a', 'b'], vectors: rk.tensor(new Int32Array(4), { shape: [2, 2] }) }, undefined, rk.DTypeError, /must be float32, got int32/],
      [{ words: ['a', 'b'], vectors: rk.tensor([[1, NaN], [3, 4]]) }, undefined, rk.ArgumentError, /vector of "a" holds NaN/],
      [{ words: ['a', 'b'] }, undefined, rk.ArgumentError, /wordVectors must be \{ words: string\[\], vectors: Tensor/],
      [{ words: ['a', 'b'], vectors: v }, { format: 'csv' }, rk.ArgumentError, /options\.format must be one of 'glove', 'word2vec', 'word2vec-binary'/],
      [{ words: ['a', 'b'], vectors: v }, { limit: 1 }, rk.ArgumentError, /unknown option 'limit'/],
    ];
    for (const [wv, options, Cls, message] of cases) {
      const err = await rk.io.saveWordVectors(path, wv as rk.io.WordVectors, options as rk.io.SaveWordVectorsOptions).then(() => null, (e: unknown) => e);
      expect(err, String(message)).toBeInstanceOf(Cls);
      expect((err as Error).message).toMatch(/^io\.saveWordVectors: /);
      expect((err as Error).message).toMatch(message);
    }
  });
});

describe('io.loadWordVectors on malformed files', () => {
  it('a ragged row names file:line and the dimension', async () => {
    const file = fixture('a 1 2 3\nb 4 5 6\nc 7 8\n');
    await loadRejects(file, `io.loadWordVectors: ${file}:3: the row has 2 values after its word, expected 3 (the dimension of line 1)`);
    const w2v = fixture('2 3\na 1 2 3\nb 4 5 6 7\n');
    await loadRejects(w2v, `${w2v}:3: the row has 4 values after its word, expected 3 (the dimension of line 1)`);
  });

  it('a bad or contradicted header names file:line', async () => {
    await loadRejects(join(FIXTURES, 'glove.txt'), /glove\.txt:1: expected the word2vec header "count dim" \(two integers\), got "the -0\.297362/, { format: 'word2vec' });
    const zero = fixture('0 3\n');
    await loadRejects(zero, `${zero}:1: the word2vec header must give a vector count >= 1 and a dimension in 1..1048576, got "0 3"`);
    const huge = fixture('1 99999999999\n');
    await loadRejects(huge, /:1: the word2vec header must give .* got "1 99999999999"/);
    const fewer = fixture('3 2\na 1 2\nb 3 4\n');
    await loadRejects(fewer, `${fewer}: the header (line 1) announces 3 vectors, the file has 2`);
    const more = fixture('1 2\na 1 2\nb 3 4\n');
    await loadRejects(more, `${more}:3: more vectors than the 1 the header (line 1) announces`);
    // Read as GloVe, a word2vec header is a row of one value: the next row is ragged.
    await loadRejects(join(FIXTURES, 'word2vec.txt'), /word2vec\.txt:2: the row has 5 values after its word, expected 1/, { format: 'glove' });
  });

  it('a header claiming more vectors than the file holds allocates nothing for them', async () => {
    const one = Buffer.from(new Float32Array([1]).buffer);
    const cases: [string, string][] = [
      [fixture(Buffer.concat([Buffer.from('1000 1048576\na '), one]), '.bin'), 'vector 1 at byte 13: the file ends inside the vector of "a" (a truncated file?)'],
      [fixture('65536 1048576\nab ', '.bin'), 'vector 1 at byte 14: the file ends inside the vector of "ab" (a truncated file?)'],
      [fixture('99999999 300\na 1\n'), ':2: the row has 1 value after its word, expected 300 (the dimension of line 1)'],
    ];
    for (const [file, message] of cases) {
      const before = process.memoryUsage().arrayBuffers;
      await loadRejects(file, `${file}${message.startsWith(':') ? '' : ': '}${message}`);
      // These used to allocate 4 GiB, fail with an OutOfMemoryError, and allocate 78 MiB.
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 2 ** 20);
    }
  });

  it('non-numeric values name file:line, the word and the value', async () => {
    for (const bad of ['x', 'nan', 'Infinity', '0x10', '1.2.3', '1e']) {
      const file = fixture(`a 1 2\nb 3 ${bad}\n`);
      await loadRejects(file, `${file}:2: value 2 of "b" is not a number: ${JSON.stringify(bad)}`);
    }
    const lead = fixture('a 1 2\n 3 4\n');
    await loadRejects(lead, `${lead}:2: the line starts with a space, where its word should be`);
    const lone = fixture('word\n');
    await loadRejects(lone, `${lone}:1: expected a word and its values, got "word"`);
  });

  it('a repeated word names both lines; duplicates: "first" keeps the first', async () => {
    const file = fixture('a 1 2\nb 3 4\na 5 6\n');
    await loadRejects(file, `${file}:3: the word "a" repeats line 1 (use { duplicates: 'first' } to keep the first)`);
    const { words, vectors } = await rk.io.loadWordVectors(file, { duplicates: 'first' });
    expect(words).toEqual(['a', 'b']);
    expect(rows(vectors)).toEqual([[1, 2], [3, 4]]);
  });

  it('an empty file, a missing file and a folder are errors naming the file', async () => {
    const empty = fixture('\n\n');
    await loadRejects(empty, `${empty}: no vectors in the file`);
    await loadRejects(join(dir, 'missing.txt'), /missing\.txt: no such file/);
    await loadRejects(dir, /is a folder, not a file/);
  });

  it('a truncated binary file names the vector and its byte offset', async () => {
    const whole = readFileSync(join(FIXTURES, 'word2vec.bin'));
    // The last vector is "🙂" (4 bytes), a space, 20 bytes of values and '\n'.
    const start = whole.length - 26;
    const inVector = fixture(whole.subarray(0, whole.length - 5), '.bin');
    await loadRejects(inVector, `${inVector}: vector 10 at byte ${start}: the file ends inside the vector of "🙂" (a truncated file?)`);
    const beforeWord = fixture(whole.subarray(0, start), '.bin');
    await loadRejects(beforeWord, `${beforeWord}: vector 10 at byte ${start}: the file ends, but the header (line 1) announces 10 vectors (a truncated file?)`);
    const inWord = fixture(whole.subarray(0, start + 2), '.bin');
    await loadRejects(inWord, /vector 10 at byte \d+: the file ends, but the header/);
  });

  it('a binary file with a bad header, a bad word or a repeated word is an error', async () => {
    const text = fixture(readFileSync(join(FIXTURES, 'glove.txt')), '.bin');
    await loadRejects(text, `${text}:1: expected the word2vec binary header "count dim" (a count >= 1, a dimension in 1..1048576) and a line break, got "the -0.297362`);
    const huge = fixture('2 4000000000\nab', '.bin');
    await loadRejects(huge, /:1: expected the word2vec binary header .* got "2 4000000000"/);
    const noBreak = fixture(Buffer.alloc(100, 0x31), '.bin');
    await loadRejects(noBreak, /:1: expected the word2vec binary header .* got no line break in the first 64 bytes/);
    const f = (v: number): Buffer => Buffer.from(new Float32Array([v, v]).buffer);
    const badUtf8 = fixture(Buffer.concat([Buffer.from('1 2\n'), Buffer.from([0xff, 0x20]), f(1)]), '.bin');
    await loadRejects(badUtf8, `${badUtf8}: vector 1 at byte 4: the word is not valid UTF-8`);
    const twice = fixture(Buffer.concat([Buffer.from('2 2\na '), f(1), Buffer.from('\na '), f(2)]), '.bin');
    await loadRejects(twice, `${twice}: vector 2 at byte 15: the word "a" repeats vector 1`);
    const longWord = fixture(Buffer.concat([Buffer.from('1 2\n'), Buffer.alloc(5000, 0x61)]), '.bin');
    await loadRejects(longWord, /vector 1 at byte 4: no space after a word within 4096 bytes \(not a word2vec binary file\?\)/);
  });

  it('bad arguments are ArgumentErrors naming the option', async () => {
    const file = join(FIXTURES, 'glove.txt');
    const cases: [unknown, unknown, RegExp][] = [
      ['', undefined, /path must be a file path or a file: URL, got ''/],
      [file, { format: 'fasttext' }, /options\.format must be one of 'glove', 'word2vec', 'word2vec-binary', got 'fasttext'/],
      [file, { limit: 0 }, /options\.limit must be >= 1, got 0/],
      [file, { limit: 1.5 }, /options\.limit must be a finite integer, got 1\.5/],
      [file, { vocabulary: 'the' }, /options\.vocabulary must be an iterable of words \(an array or a Set\), got 'the'/],
      [file, { vocabulary: ['the', 3] }, /options\.vocabulary\[1\] must be a string, got 3/],
      [file, { vocabulary: detached(new Float32Array(2)) }, /options\.vocabulary must be an iterable of words \(an array or a Set\), got a Float32Array/],
      [file, { duplicates: 'last' }, /options\.duplicates must be one of 'error', 'first'/],
      [file, { lowercase: true }, /unknown option 'lowercase' \(known: format, vocabulary, limit, duplicates\)/],
    ];
    for (const [path, options, message] of cases) {
      const err = await rk.io.loadWordVectors(path as string, options as rk.io.LoadWordVectorsOptions).then(() => null, (e: unknown) => e);
      expect(err, String(message)).toBeInstanceOf(rk.ArgumentError);
      expect((err as Error).message).toMatch(/^io\.loadWordVectors: /);
      expect((err as Error).message).toMatch(message);
    }
  });
});

describe('io.loadWordVectors on damaged files', () => {
  it('400 seeded mutations of the fixtures (bytes changed, cut, repeated) in every format: a result or an RnnkitError', async () => {
    const sources = ['glove.txt', 'word2vec.txt', 'word2vec.bin'].map((name) => readFileSync(join(FIXTURES, name)));
    const random = uniform(4000, 16, 0, 1);
    let r = 0;
    const next = (k: number): number => Math.floor(random[r++ % random.length]! * k);
    const interesting = [0x20, 0x0a, 0x09, 0x2d, 0x2e, 0x30, 0x31, 0x65, 0xff, 0x00, 0xc3];
    const outcomes = { ok: 0, error: 0 };
    for (let i = 0; i < 400; i++) {
      const bytes = Buffer.from(sources[i % 3]!);
      let damaged: Buffer = bytes;
      const kind = next(3);
      if (kind === 0) for (let k = 0; k < 1 + next(4); k++) damaged[next(damaged.length)] = interesting[next(interesting.length)]!;
      else if (kind === 1) damaged = bytes.subarray(0, next(bytes.length));
      else {
        const at = next(bytes.length);
        damaged = Buffer.concat([bytes.subarray(0, at), bytes.subarray(next(bytes.length)), bytes.subarray(at)]);
      }
      const format = (['glove', 'word2vec', 'word2vec-binary', undefined] as const)[next(4)];
      const file = fixture(damaged);
      try {
        const { words, vectors } = await rk.io.loadWordVectors(file, format === undefined ? undefined : { format });
        expect(vectors.shape[0]).toBe(words.length);
        vectors.dispose();
        outcomes.ok++;
      } catch (err) {
        expect(err, `mutation ${i}: ${String(err)}`).toBeInstanceOf(rk.RnnkitError);
        expect((err as Error).message).toContain(file);
        outcomes.error++;
      }
    }
    // Both outcomes happen: the mutations reach real parsing, not only the first checks.
    expect(outcomes.ok).toBeGreaterThan(20);
    expect(outcomes.error).toBeGreaterThan(100);
  });
});
