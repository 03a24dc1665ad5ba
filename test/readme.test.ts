// The README's examples are examples/*.mjs verbatim; the autograd one prints what plain-JS float64
// math says it should, and the training one reaches its accuracy (generate.mjs runs in
// test/generate.test.ts, glove-classifier.mjs in test/glove-example.test.ts, onnx-run.mjs in
// test/cli/export.test.ts, data-parallel.mjs in test/distributed/example.test.ts).

import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import * as rk from '../lib/index.js';

const root = new URL('../', import.meta.url);

function reference(): { loss: number; dW: number[]; db: number[] } {
  const x = [[0.5, -1.0, 2.0], [1.5, 0.0, -0.5]];
  const W = [[0.1, 0.2], [-0.3, 0.4], [0.5, -0.6]];
  const t = [[1, 0], [0, 1]];
  const y = x.map((row) => [0, 1].map((j) => Math.tanh(row.reduce((acc, v, k) => acc + v * W[k]![j]!, 0))));
  const loss = y.flat().reduce((acc, v, i) => acc + (v - t.flat()[i]!) ** 2, 0) / 4;
  const dz = y.map((row, i) => row.map((v, j) => ((2 * (v - t[i]![j]!)) / 4) * (1 - v * v)));
  const dW = [0, 1, 2].flatMap((k) => [0, 1].map((j) => dz.reduce((acc, row, i) => acc + x[i]![k]! * row[j]!, 0)));
  const db = [0, 1].map((j) => dz.reduce((acc, row) => acc + row[j]!, 0));
  return { loss, dW, db };
}

describe('README examples', () => {
  const readme = readFileSync(new URL('README.md', root), 'utf8');
  for (const name of ['autograd', 'train-classifier', 'generate', 'glove-classifier', 'onnx-run', 'data-parallel']) {
    it(`examples/${name}.mjs appears in the README verbatim`, () => {
      const example = readFileSync(new URL(`examples/${name}.mjs`, root), 'utf8');
      expect(readme).toContain('```js\n' + example + '```');
    });
  }
});

describe('README example', () => {
  it('runs and prints the reference loss and gradients', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args.join(' ')));
    try {
      // A specifier TypeScript does not resolve: the example is plain JS with no type declarations.
      const specifier = '../examples/autograd.mjs';
      await import(specifier);
    } finally {
      spy.mockRestore();
    }
    const ref = reference();
    const numbers = (prefix: string): number[] =>
      lines.find((l) => l.startsWith(prefix))!.slice(prefix.length).trim().split(/\s+/).map(Number);
    expect(numbers('loss:')[0]).toBeCloseTo(ref.loss, 5);
    numbers('dL/dW:').forEach((v, i) => expect(v).toBeCloseTo(ref.dW[i]!, 5));
    numbers('dL/db:').forEach((v, i) => expect(v).toBeCloseTo(ref.db[i]!, 5));
    expect(lines.some((l) => /^live tensors: \d+$/.test(l))).toBe(true);
  });
});

describe('README training example', () => {
  it('trains to >= 99% validation accuracy and saves a checkpoint', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args.join(' ')));
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const specifier = '../examples/train-classifier.mjs';
      await import(specifier);
    } finally {
      spy.mockRestore();
      stderr.mockRestore();
    }
    const accuracy = Number(/validation accuracy: ([\d.]+)%/.exec(lines.join('\n'))?.[1]);
    expect(accuracy).toBeGreaterThanOrEqual(99);
    const saved = /saved (.+)$/.exec(lines.find((l) => l.startsWith('saved ')) ?? '')?.[1];
    expect(saved).toBeTruthy();
    const { tensors, metadata } = await rk.io.load(saved!);
    expect(metadata.epochs).toBe(3);
    expect(Object.keys(tensors)).toContain('rnn.weight_ih_l0_reverse');
    for (const t of Object.values(tensors)) t.dispose();
  });
});
