// Optimizers, clipping and LR schedules against PyTorch: test/fixtures/optim.json (made by
// test/fixtures/make_optim_fixtures.py). Parameters and optimizer state must match after every
// one of 5 steps within 1e-6 relative (|a - b| <= 1e-6 * max(1, |b|)); schedules' learning
// rates within 1e-12 relative.

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { settledMemory } from '../helpers.js';

interface Encoded {
  shape: number[];
  data: string;
}
interface OptimizerCase {
  name: string;
  kind: 'sgd' | 'adam' | 'adamw' | 'rmsprop' | 'adagrad';
  options: Record<string, unknown>;
  params: Encoded[];
  grads: (Encoded | null)[][];
  steps: { params: Encoded[]; state: Record<string, Record<string, Encoded | number>> }[];
  f64Diff: number;
}
interface ClipNormCase {
  name: string;
  maxNorm: number;
  normType: number | 'inf';
  grads: Encoded[];
  norm: number;
  clipped: Encoded[];
}
interface ClipValueCase {
  name: string;
  clipValue: number;
  grads: Encoded[];
  clipped: Encoded[];
}
interface ScheduleCase {
  name: string;
  kind: 'StepLR' | 'ExponentialLR' | 'CosineWithWarmup' | 'ReduceLROnPlateau';
  options: Record<string, unknown>;
  lr: number;
  metrics: number[] | null;
  lrs: number[];
}

const fixtures = JSON.parse(readFileSync(new URL('../fixtures/optim.json', import.meta.url), 'utf8')) as {
  optimizers: OptimizerCase[];
  clipGradNorm: ClipNormCase[];
  clipGradValue: ClipValueCase[];
  schedules: ScheduleCase[];
};

const values = (e: Encoded): Float32Array => {
  const bytes = Buffer.from(e.data, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
};

/**
 * A gradient tensor holding e's values. For rank-2 shapes in odd cases it is a transposed view
 * (strides [1, rows]), so the native step's strided gradient path is exercised too.
 */
function gradTensor(e: Encoded, strided: boolean): rk.Tensor<'float32'> {
  const v = values(e);
  if (!strided || e.shape.length !== 2) return rk.tensor(v, { shape: e.shape });
  const [r, c] = e.shape as [number, number];
  const t = new Float32Array(v.length);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) t[j * r + i] = v[i * c + j]!;
  const base = rk.tensor(t, { shape: [c, r] });
  const view = base.transpose();
  base.dispose();
  return view;
}

/** Largest |a - b| / max(1, |b|). */
function relDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!) / Math.max(1, Math.abs(expected[i]!));
    worst = Math.max(worst, Number.isNaN(d) ? Infinity : d);
  }
  return worst;
}

const TOL = 1e-6;

function makeOptimizer(c: OptimizerCase, params: rk.Tensor<'float32'>[]): rk.optim.Optimizer {
  const o = c.options as never;
  switch (c.kind) {
    case 'sgd':
      return new rk.optim.SGD(params, o);
    case 'adam':
      return new rk.optim.Adam(params, o);
    case 'adamw':
      return new rk.optim.AdamW(params, o);
    case 'rmsprop':
      return new rk.optim.RMSprop(params, o);
    case 'adagrad':
      return new rk.optim.Adagrad(params, o);
  }
}

describe('optimizers equal torch.optim', () => {
  let baseline: rk.MemoryInfo;
  const worst: Record<string, number> = {};
  beforeAll(async () => {
    baseline = await settledMemory();
  });
  afterAll(async () => {
    // Largest relative difference per case (reported by the CI log; asserted per step below).
    console.log(
      'optimizer fixtures, largest |a-b|/max(1,|b|) per case:\n' +
        Object.entries(worst)
          .map(([k, v]) => `  ${k}: ${v.toExponential(2)}`)
          .join('\n'),
    );
    expect(await settledMemory()).toEqual(baseline);
  });

  it('covers every kind, with momentum, nesterov, weight decay, centered, lr decay and skipped gradients', () => {
    const names = fixtures.optimizers.map((c) => c.name);
    for (const kind of ['sgd', 'adam', 'adamw', 'rmsprop', 'adagrad']) expect(fixtures.optimizers.some((c) => c.kind === kind)).toBe(true);
    for (const part of ['nesterov', 'momentum', 'wd', 'centered', 'skip', 'maximize']) expect(names.some((n) => n.includes(part))).toBe(true);
    expect(fixtures.optimizers.some((c) => c.params.some((p) => p.shape.length === 0))).toBe(true);
  });

  fixtures.optimizers.forEach((c, caseIndex) => {
    it(c.name, () => {
      const params = c.params.map((e) => rk.tensor(values(e), { shape: e.shape, requiresGrad: true }));
      const opt = makeOptimizer(c, params);
      worst[c.name] = 0;
      c.steps.forEach((expected, s) => {
        params.forEach((p, i) => {
          p.grad?.dispose();
          const g = c.grads[s]![i];
          p.grad = g ? gradTensor(g, caseIndex % 2 === 1) : null;
        });
        opt.step();
        params.forEach((p, i) => {
          const d = relDiff(p.dataSync(), values(expected.params[i]!));
          worst[c.name] = Math.max(worst[c.name]!, d);
          expect(d, `step ${s + 1}, params[${i}]`).toBeLessThanOrEqual(TOL);
        });
        rk.tidy(() => {
          const { state } = opt.stateDict();
          const expectedKeys: string[] = [];
          for (const [i, entry] of Object.entries(expected.state)) {
            for (const [name, value] of Object.entries(entry)) {
              const key = `${i}.${name}`;
              expectedKeys.push(key);
              const got = state[key];
              expect(got, `step ${s + 1}: ${key} missing`).toBeDefined();
              if (typeof value === 'number') {
                expect(got!.item(), `step ${s + 1}: ${key}`).toBe(value);
              } else {
                expect([...got!.shape]).toEqual(value.shape);
                const d = relDiff(got!.dataSync(), values(value));
                worst[c.name] = Math.max(worst[c.name]!, d);
                expect(d, `step ${s + 1}: ${key}`).toBeLessThanOrEqual(TOL);
              }
            }
          }
          // Ours holds torch's entries, plus a step count where torch keeps none (SGD).
          const extra = Object.keys(state).filter((k) => !expectedKeys.includes(k));
          expect(extra.every((k) => k.endsWith('.step')), `unexpected state entries ${extra.join(', ')}`).toBe(true);
        });
      });
      opt.zeroGrad();
      opt.dispose();
      params.forEach((p) => p.dispose());
    });
  });
});

describe('clipping equals torch.nn.utils', () => {
  for (const c of fixtures.clipGradNorm) {
    it(`clipGradNorm ${c.name}`, () => {
      const params = c.grads.map((g) => rk.zeros(g.shape, { requiresGrad: true }));
      params.forEach((p, i) => (p.grad = gradTensor(c.grads[i]!, i === 0)));
      const normType = c.normType === 'inf' ? Infinity : c.normType;
      const norm = rk.optim.clipGradNorm(params, c.maxNorm, normType);
      expect(norm.shape).toEqual([]);
      expect(relDiff([norm.item()], [c.norm])).toBeLessThanOrEqual(TOL);
      params.forEach((p, i) => expect(relDiff(p.grad!.dataSync(), values(c.clipped[i]!)), `grad ${i}`).toBeLessThanOrEqual(TOL));
      norm.dispose();
      params.forEach((p) => {
        p.grad?.dispose();
        p.dispose();
      });
    });
  }
  for (const c of fixtures.clipGradValue) {
    it(`clipGradValue ${c.name}`, () => {
      const params = c.grads.map((g) => rk.zeros(g.shape, { requiresGrad: true }));
      params.forEach((p, i) => (p.grad = gradTensor(c.grads[i]!, i === 0)));
      rk.optim.clipGradValue(params, c.clipValue);
      params.forEach((p, i) => expect(Array.from(p.grad!.dataSync())).toEqual(Array.from(values(c.clipped[i]!))));
      params.forEach((p) => {
        p.grad?.dispose();
        p.dispose();
      });
    });
  }
});

describe('LR schedules equal torch.optim.lr_scheduler', () => {
  for (const c of fixtures.schedules) {
    it(c.name, () => {
      const p = rk.zeros([1], { requiresGrad: true });
      const opt = new rk.optim.SGD([p], { lr: c.lr });
      const o = c.options as never;
      const sched =
        c.kind === 'StepLR'
          ? new rk.optim.StepLR(opt, o)
          : c.kind === 'ExponentialLR'
            ? new rk.optim.ExponentialLR(opt, o)
            : c.kind === 'CosineWithWarmup'
              ? new rk.optim.CosineWithWarmup(opt, o)
              : new rk.optim.ReduceLROnPlateau(opt, o);
      const lrs = [sched.lr];
      for (let i = 0; i < c.lrs.length - 1; i++) {
        sched.step(c.metrics ? c.metrics[i] : undefined);
        lrs.push(opt.lr);
      }
      lrs.forEach((lr, i) => {
        const want = c.lrs[i]!;
        expect(Math.abs(lr - want), `lr after ${i} steps: ${lr} vs ${want}`).toBeLessThanOrEqual(1e-12 * Math.abs(want) + 1e-18);
      });
      opt.dispose();
      p.dispose();
    });
  }
});
