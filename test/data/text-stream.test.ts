// data.textStream against PyTorch word_language_model's batchify() + get_batch()
// (test/fixtures/text_stream.json, made by test/fixtures/make_text_stream_fixtures.py), the file
// variant against the in-memory one, and bad input.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { detached } from '../helpers.js';

interface Case {
  n: number;
  batchSize: number;
  time: number;
  ids: number[];
  streamLength: number;
  batches: { inputs: number[][]; targets: number[][] }[];
}
const fixtures = JSON.parse(readFileSync(new URL('../fixtures/text_stream.json', import.meta.url), 'utf8')) as { cases: Case[] };

async function collect(source: rk.train.DataSource, epoch = 0): Promise<{ inputs: number[][]; targets: number[][]; lengths: number[]; tokens: number }[]> {
  const out = [];
  for await (const b of source.batches(epoch)) {
    const [rows, time] = b.inputs.shape as [number, number];
    const split = (t: rk.Tensor<'int32'>) => Array.from({ length: rows }, (_, r) => Array.from(t.dataSync().subarray(r * time, (r + 1) * time)));
    expect(b.targets.shape).toEqual([rows, time]);
    out.push({ inputs: split(b.inputs), targets: split(b.targets), lengths: Array.from(b.lengths), tokens: b.tokens });
    b.inputs.dispose();
    b.targets.dispose();
  }
  return out;
}

describe('data.textStream', () => {
  for (const c of fixtures.cases) {
    it(`n ${c.n}, batchSize ${c.batchSize}, time ${c.time}: the batches of batchify + get_batch, in order, every epoch`, async () => {
      const stream = rk.data.textStream(Int32Array.from(c.ids), { batchSize: c.batchSize, time: c.time });
      expect(stream.streamLength).toBe(c.streamLength);
      expect(stream.numBatches).toBe(c.batches.length);
      for (const epoch of [0, 3]) {
        const got = await collect(stream, epoch);
        expect(got.map(({ inputs, targets }) => ({ inputs, targets }))).toEqual(c.batches);
        got.forEach((b, i) => {
          const t = c.batches[i]!.inputs[0]!.length;
          expect(b.lengths).toEqual(new Array(c.batchSize).fill(t));
          expect(b.tokens).toBe(c.batchSize * t);
        });
      }
      // A plain array of ids gives the same batches.
      expect(await collect(rk.data.textStream(c.ids, { batchSize: c.batchSize, time: c.time }))).toEqual(await collect(stream));
    });
  }

  it('readTextStream(file) equals textStream(tokenizer.encode(text)) for characters and words', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rnnkit-text-stream-'));
    try {
      const text = 'It was the best of times, it was the worst of times;\nit was the age of wisdom. '.repeat(30);
      const file = join(dir, 'corpus.txt');
      writeFileSync(file, text);
      for (const tokenizer of [rk.data.CharTokenizer.fromCorpus(text), rk.data.WordTokenizer.fromCorpus(text)]) {
        const fromFile = await rk.data.readTextStream(file, { tokenizer, batchSize: 5, time: 13 });
        const inMemory = rk.data.textStream(tokenizer.encode(text), { batchSize: 5, time: 13 });
        expect(fromFile.streamLength).toBe(inMemory.streamLength);
        expect(await collect(fromFile)).toEqual(await collect(inMemory));
      }
      const tokenizer = rk.data.CharTokenizer.fromCorpus(text);
      await expect(rk.data.readTextStream(join(dir, 'missing.txt'), { tokenizer, batchSize: 2, time: 4 })).rejects.toThrow(/readTextStream: .*missing\.txt: no such file/);
      await expect(rk.data.readTextStream(file, { tokenizer: 'char' as never, batchSize: 2, time: 4 })).rejects.toThrow(rk.ArgumentError);
      await expect(rk.data.readTextStream(file, { tokenizer, batchSize: 2, time: 4, shuffle: true } as never)).rejects.toThrow(/unknown option 'shuffle'/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bad input is an ArgumentError naming the argument', () => {
    const ids = Int32Array.from({ length: 40 }, (_, i) => i % 7);
    const bad: [unknown, unknown, RegExp][] = [
      [ids, { batchSize: 0, time: 4 }, /textStream: options\.batchSize must be >= 1, got 0/],
      [ids, { batchSize: 2.5, time: 4 }, /textStream: options\.batchSize must be a finite integer, got 2\.5/],
      [ids, { batchSize: 2, time: 0 }, /textStream: options\.time must be >= 1, got 0/],
      [ids, { batchSize: 2 }, /textStream: options\.time must be a finite integer, got undefined/],
      [ids, undefined, /textStream: options \{ batchSize, time \} are required/],
      [ids, { batchSize: 2, time: 4, shuffle: true }, /textStream: unknown option 'shuffle'/],
      ['abc', { batchSize: 2, time: 4 }, /textStream: ids must be an Int32Array or an array of token ids, got/],
      [[1, 2, -3, 4], { batchSize: 1, time: 4 }, /textStream: ids\[2\] must be an integer token id >= 0, got -3/],
      [[1, 2, 1.5, 4], { batchSize: 1, time: 4 }, /textStream: ids\[2\] must be an integer token id >= 0, got 1\.5/],
      [Int32Array.of(3, -1, 2), { batchSize: 1, time: 4 }, /textStream: ids\[1\] must be a token id >= 0, got -1/],
      [detached(Int32Array.of(3, 1, 2)), { batchSize: 1, time: 4 }, /textStream: ids is an Int32Array whose ArrayBuffer was transferred away \(detached\)/],
      [ids, { batchSize: 21, time: 4 }, /textStream: 40 tokens are too few for 21 streams \(each needs 2 tokens, an input and its target: at least 42 tokens\)/],
    ];
    for (const [data, options, message] of bad) {
      expect(() => rk.data.textStream(data as Int32Array, options as rk.data.TextStreamOptions)).toThrow(rk.ArgumentError);
      expect(() => rk.data.textStream(data as Int32Array, options as rk.data.TextStreamOptions)).toThrow(message);
    }
    const stream = rk.data.textStream(ids, { batchSize: 2, time: 4 });
    expect(() => stream.batch(stream.numBatches)).toThrow(/TextStream\.batch: i 5 is out of range \(0\.\.4\)/);
  });
});
