// examples/glove-classifier.mjs (the README's pretrained-vectors recipe) run as written on files in
// the layouts it names: a GloVe text file and AG News-style CSVs, made here. Four topics of ten
// words each; the vectors place each topic's words together. The training texts use only the
// first four words of each topic, the test texts only the other six, so the test accuracy comes
// from the pretrained vectors alone: with a frozen embedding the model has never seen a test word.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

const TOPICS = 4;
const WORDS = 10;
const DIM = 8;
const word = (topic: number, k: number): string => `t${topic}w${k}`;
/** Words in the CSVs only (each many times, so minCount 2 keeps them): GloVe lacks them. */
const FILLERS = ['zork', 'blip', 'quux'];

function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1664525 + 1013904223) % 4294967296) / 4294967296;
}

function gloveText(random: () => number): string {
  const lines: string[] = [];
  for (let t = 0; t < TOPICS; t++) {
    for (let k = 0; k < WORDS; k++) {
      // Topic t's direction (axis t, and axis t + 4 for contrast) plus a little noise.
      const v = Array.from({ length: DIM }, (_, d) => (d === t || d === t + TOPICS ? 1 : 0) + 0.1 * (random() - 0.5));
      lines.push(`${word(t, k)} ${v.map((x) => x.toFixed(6)).join(' ')}`);
    }
  }
  // Words of no topic, as any real vocabulary has.
  for (let k = 0; k < 20; k++) lines.push(`other${k} ${Array.from({ length: DIM }, () => (random() - 0.5).toFixed(6)).join(' ')}`);
  return lines.join('\n') + '\n';
}

/** AG News' layout: "class 1..4","title","description", every field quoted. */
function csv(rows: number, firstWord: number, lastWord: number, random: () => number): string {
  const pick = (n: number): number => Math.floor(random() * n);
  return Array.from({ length: rows }, (_, i) => {
    const topic = i % TOPICS;
    const topicWords = (n: number): string =>
      Array.from({ length: n }, () => word(topic, firstWord + pick(lastWord - firstWord + 1))).join(' ');
    const title = `${topicWords(2)} ${FILLERS[pick(FILLERS.length)]}`;
    const description = `${FILLERS[pick(FILLERS.length)]} ${topicWords(3)}, ${topicWords(1)}`;
    return `"${topic + 1}","${title}","${description}"`;
  }).join('\n') + '\n';
}

describe('examples/glove-classifier.mjs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rnnkit-glove-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('classifies texts of words only the vectors know, frozen then unfrozen', async () => {
    const random = lcg(3);
    const files = ['glove.txt', 'train.csv', 'test.csv'].map((f) => join(dir, f));
    writeFileSync(files[0]!, gloveText(random));
    writeFileSync(files[1]!, csv(400, 0, 3, random));
    writeFileSync(files[2]!, csv(200, 4, 9, random));

    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args.join(' ')));
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const argv = process.argv;
    process.argv = [argv[0]!, 'examples/glove-classifier.mjs', ...files];
    try {
      // A specifier TypeScript does not resolve: the example is plain JS with no type declarations.
      const specifier = '../examples/glove-classifier.mjs';
      await import(specifier);
    } finally {
      process.argv = argv;
      log.mockRestore();
      stderr.mockRestore();
    }
    // 2 specials + 60 GloVe words + the three fillers, which alone lack a vector.
    expect(lines).toContain(`${2 + TOPICS * WORDS + 20 + FILLERS.length} tokens, ${FILLERS.length} of them without a GloVe vector (random rows)`);
    const accuracy = Number(/test accuracy: ([\d.]+)%/.exec(lines.join('\n'))?.[1]);
    expect(accuracy).toBeGreaterThanOrEqual(90);
  });
});
