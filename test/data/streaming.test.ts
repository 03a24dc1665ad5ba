// Streaming readers: lines and text chunks (CRLF, a \r\n or a UTF-8 character split across reads),
// token streams equal to whole-text encoding, windows equal to textWindows(), and a ~20 MB file
// read in bounded memory (heap + buffers after collection, and the reader's own counters).

import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';

const { streamLines, streamText, streamTokens, streamWindows, textWindows, StreamingTextWindows, CharTokenizer, WordTokenizer } = rk.data;

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rnnkit-stream-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function* chunksOf(text: string, size: number): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

describe('streamLines and streamText', () => {
  it('splits lines on \\n and \\r\\n, keeps empty lines, drops a BOM', async () => {
    const path = join(dir, 'lines.txt');
    await writeFile(path, '\uFEFFfirst\r\nsecond\n\r\nlast');
    expect(await collect(streamLines(path))).toEqual(['first', 'second', '', 'last']);
    await writeFile(path, 'a\nb\n');
    expect(await collect(streamLines(path))).toEqual(['a', 'b']);
    await writeFile(path, '');
    expect(await collect(streamLines(path))).toEqual([]);
  });

  it('keeps a \\r\\n and multi-byte characters whole across reads', async () => {
    const path = join(dir, 'split.txt');
    const text = 'é😀\r\nz\r\n\r';
    await writeFile(path, text);
    for (const chunkBytes of [1, 2, 3, 5]) {
      const chunks = await collect(streamText(path, { chunkBytes }));
      expect(chunks.join('')).toBe('é😀\nz\n\r');
      expect(chunks.every((c) => !c.includes('\uFFFD'))).toBe(true);
    }
  });

  it('rejects a missing file when read, and bad arguments at once', async () => {
    await expect(collect(streamLines(join(dir, 'missing.txt')))).rejects.toThrow(/^streamLines: .*missing.txt: no such file$/);
    await expect(collect(streamText(dir))).rejects.toThrow(/is a folder, not a file/);
    expect(() => streamLines(42 as unknown as string)).toThrow(rk.ArgumentError);
    expect(() => streamText('x', { chunkBytes: 0 })).toThrow(/chunkBytes must be >= 1/);
  });
});

describe('streamTokens and streamWindows', () => {
  const text = 'The quick  brown fox,\njumps over the lazy dog.\nThe dog sleeps; the fox runs!';

  it('gives the ids of the whole text however it is chunked (words never split)', async () => {
    const word = WordTokenizer.fromCorpus(text);
    const char = CharTokenizer.fromCorpus(text);
    for (const tok of [word, char]) {
      const whole = Array.from(tok.encode(text));
      for (const size of [1, 2, 3, 7, 1000]) {
        const parts = await collect(streamTokens(tok, chunksOf(text, size)));
        expect(parts.flatMap((p) => Array.from(p))).toEqual(whole);
      }
    }
  });

  it('cuts the same windows as textWindows()', async () => {
    const ids = Int32Array.from({ length: 103 }, (_, i) => (i * 7) % 31);
    for (const [time, stride] of [[5, 5], [4, 1], [3, 7], [10, 3]] as const) {
      const reference = textWindows(ids, { time, stride, batchSize: 1, shuffle: false });
      const expected = Array.from({ length: reference.numWindows }, (_, i) => reference.window(i));
      const chunks = [ids.subarray(0, 1), ids.subarray(1, 9), ids.subarray(9, 50), ids.subarray(50)];
      const stats = { bytesRead: 0, peakBufferedTokens: 0, windows: 0 };
      expect(await collect(streamWindows(chunks, { time, stride }, stats))).toEqual(expected);
      expect(stats.windows).toBe(expected.length);
    }
    expect(() => streamWindows([], { time: 0 })).toThrow(/options.time must be >= 1/);
  });
});

describe('StreamingTextWindows', () => {
  it('streams shuffled [B, T] batches, seeded per epoch', async () => {
    const path = join(dir, 'small.txt');
    const text = 'abcdefghijklmnopqrstuvwxyz'.repeat(4); // 104 chars
    await writeFile(path, text);
    const tokenizer = CharTokenizer.fromCorpus(text);
    const make = (shuffleBuffer: number): rk.data.StreamingTextWindows =>
      new StreamingTextWindows(path, { tokenizer, time: 8, batchSize: 4, shuffleBuffer, seed: 2 });
    const firstIds = async (src: rk.data.StreamingTextWindows, epoch: number): Promise<number[]> =>
      (await collect(src.windows(epoch))).map((w) => w.input[0]!);
    // 104 tokens, T = 8: windows start at 0, 8, ..., 88 (12 of them).
    expect(await firstIds(make(0), 0)).toEqual(Array.from(tokenizer.encode('aiqygowemuck')));
    const shuffled = await firstIds(make(5), 0);
    expect([...shuffled].sort((a, b) => a - b)).toEqual([...(await firstIds(make(0), 0))].sort((a, b) => a - b));
    expect(shuffled).toEqual(await firstIds(make(5), 0));
    expect((await firstIds(make(5), 1)).join()).not.toBe(shuffled.join());

    const batches = await collect(make(5).batches(0));
    expect(batches.map((b) => [...b.inputs.shape])).toEqual([[4, 8], [4, 8], [4, 8]]);
    expect(batches.map((b) => [...b.targets.shape])).toEqual([[4, 8], [4, 8], [4, 8]]);
    const inputs = Array.from(batches[0]!.inputs.dataSync());
    const targets = Array.from(batches[0]!.targets.dataSync());
    expect(tokenizer.decode(targets.slice(0, 7))).toBe(tokenizer.decode(inputs.slice(1, 8)));
    for (const b of batches) {
      b.inputs.dispose();
      b.targets.dispose();
    }
    expect(() => new StreamingTextWindows(path, { tokenizer, time: 8, batchSize: 0 })).toThrow(/batchSize must be >= 1/);
    expect(() => new StreamingTextWindows(path, { time: 8, batchSize: 1 } as rk.data.StreamingTextWindowsOptions)).toThrow(/options.tokenizer must be/);
    await expect(collect(new StreamingTextWindows(join(dir, 'nope.txt'), { tokenizer, time: 8, batchSize: 1 }).windows())).rejects.toThrow(/nope.txt: no such file/);
  });

  it('reads a ~20 MB file in bounded memory', async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    expect(gc, 'tests run with --expose-gc').toBeDefined();
    const path = join(dir, 'big.txt');
    const words = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'];
    const lines: string[] = [];
    for (let i = 0; i < 4000; i++) lines.push(Array.from({ length: 12 }, (_, k) => words[(i * 7 + k * 3) % 8]).join(' '));
    const block = lines.join('\r\n') + '\r\n'; // ~330 KB
    const handle = await open(path, 'w');
    let size = 0;
    while (size < 20 * 1024 * 1024) {
      await handle.write(block);
      size += Buffer.byteLength(block);
    }
    await handle.close();

    // Live heap and ArrayBuffer bytes after a full collection; V8 frees dead ArrayBuffers' memory
    // on another thread after the collection, so wait a turn and collect again.
    const used = async (): Promise<number> => {
      for (let i = 0; i < 2; i++) {
        gc!();
        await new Promise((resolve) => setImmediate(resolve));
      }
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    // Lines: count them, sampling memory as we go.
    const base = await used();
    let peak = 0;
    let count = 0;
    for await (const line of streamLines(path)) {
      if (++count % 100_000 === 0) peak = Math.max(peak, (await used()) - base);
      if (count === 1) expect(line).toBe(lines[0]);
    }
    expect(count).toBe((size / Buffer.byteLength(block)) * 4000);
    expect(peak).toBeLessThan(5 * 1024 * 1024);

    // Windows over the whole file (a character model): the counters and the heap stay small.
    const tokenizer = await CharTokenizer.fromCorpusAsync(streamText(path));
    expect(tokenizer.vocabulary().slice(2).sort()).toEqual([...new Set(block.replace(/\r/g, ''))].sort());
    const source = new StreamingTextWindows(path, { tokenizer, time: 128, batchSize: 32, shuffleBuffer: 512, seed: 1 });
    const chars = size - count; // \r\n → \n
    const base2 = await used();
    let peak2 = 0;
    let windows = 0;
    for await (const w of source.windows(0)) {
      if (++windows % 20_000 === 0) peak2 = Math.max(peak2, (await used()) - base2);
      if (w.input.length !== 128) throw new Error('bad window');
    }
    expect(windows).toBe(Math.floor((chars - 129) / 128) + 1);
    expect(source.stats.bytesRead).toBe(size);
    expect(source.stats.windows).toBe(windows);
    expect(source.stats.peakBufferedTokens).toBeLessThan(70_000); // one 64 KiB chunk + a window
    // The shuffle buffer alone holds 512 windows (512 KiB of ids); the file is 20 MB (80 MB as ids).
    expect(peak2).toBeLessThan(5 * 1024 * 1024);
  });
});
