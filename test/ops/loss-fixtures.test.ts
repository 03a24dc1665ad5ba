// crossEntropy (class weights with ignoreIndex, lengths, labelSmoothing and every reduction) and
// bceWithLogits (weight, posWeight, reductions, logits of ±100) against PyTorch's values and
// gradients from test/fixtures/make_loss_fixtures.py.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import type { Reduction } from '../../lib/index.js';
import { expectClose } from '../helpers.js';

interface Encoded {
  shape: number[];
  data: string;
}

interface CrossEntropyCase {
  name: string;
  options: { reduction: Reduction; labelSmoothing: number; ignoreIndex?: number; lengths?: number[] };
  logits: Encoded;
  targets: { shape: number[]; data: number[] };
  weight?: Encoded;
  loss: Encoded;
  upstream: Encoded;
  grad: Encoded;
}

interface BceCase {
  name: string;
  options: { reduction: Reduction };
  logits: Encoded;
  targets: Encoded;
  weight?: Encoded;
  posWeight?: Encoded;
  loss: Encoded;
  upstream: Encoded;
  grad: Encoded;
  targetsGrad: Encoded;
}

const fixtures = JSON.parse(readFileSync(new URL('../fixtures/loss.json', import.meta.url), 'utf8')) as {
  crossEntropy: CrossEntropyCase[];
  bceWithLogits: BceCase[];
};

function values(t: Encoded): Float32Array {
  const b = Buffer.from(t.data, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
}

const load = (t: Encoded, requiresGrad = false): rk.Tensor<'float32'> =>
  rk.tensor(values(t), { shape: t.shape, ...(requiresGrad ? { requiresGrad } : {}) });

const read = (t: rk.Tensor): number[] => Array.from(t.dataSync());

describe('crossEntropy against PyTorch', () => {
  it('has fixtures for weight x ignoreIndex x lengths x labelSmoothing x reduction', () => {
    const names = fixtures.crossEntropy.map((c) => c.name);
    expect(names.filter((n) => n.includes('_weight_')).length).toBeGreaterThanOrEqual(36);
    expect(names.some((n) => n.includes('weight_ii2_lengths_eps0.7_mean'))).toBe(true);
  });

  for (const c of fixtures.crossEntropy) {
    it(c.name, () => {
      rk.tidy(() => {
        const x = load(c.logits, true);
        const targets = rk.tensor(Int32Array.from(c.targets.data), { shape: c.targets.shape });
        const loss = rk.crossEntropy(x, targets, { ...c.options, ...(c.weight ? { weight: load(c.weight) } : {}) });
        expect([...loss.shape]).toEqual(c.loss.shape);
        expectClose(read(loss), values(c.loss), 1e-5, 1e-5);
        loss.backward({ gradient: load(c.upstream) });
        expectClose(read(x.grad!), values(c.grad), 1e-6, 1e-5);
        x.grad!.dispose();
      });
    });
  }
});

describe('bceWithLogits against PyTorch', () => {
  for (const c of fixtures.bceWithLogits) {
    it(c.name, () => {
      rk.tidy(() => {
        const x = load(c.logits, true);
        const y = load(c.targets, true);
        const options = {
          ...c.options,
          ...(c.weight ? { weight: load(c.weight) } : {}),
          ...(c.posWeight ? { posWeight: load(c.posWeight) } : {}),
        };
        const loss = rk.bceWithLogits(x, y, options);
        expect([...loss.shape]).toEqual(c.loss.shape);
        const got = read(loss);
        expect(got.every(Number.isFinite)).toBe(true);
        expectClose(got, values(c.loss), 1e-5, 1e-5);
        loss.backward({ gradient: load(c.upstream) });
        expectClose(read(x.grad!), values(c.grad), 1e-6, 1e-5);
        expectClose(read(y.grad!), values(c.targetsGrad), 1e-5, 1e-5);
        x.grad!.dispose();
        y.grad!.dispose();
      });
    });
  }
});
