// crossEntropy's labelSmoothing and lengths options: float64 references for the loss and its
// gradient, finite differences, PyTorch's values worked out by hand, and every bad input.

import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import type { Reduction } from '../../lib/index.js';
import { expectClose, gradcheck, input, uniform } from '../helpers.js';

const read = (t: rk.Tensor): number[] => Array.from(t.dataSync());

interface RefOptions {
  ignoreIndex?: number;
  reduction?: Reduction;
  eps?: number;
  /** With lengths, rows are [B, T] in row-major order. */
  lengths?: number[];
  time?: number;
}

/**
 * float64 cross-entropy of rows x [R, C] against targets, and d(loss)/dx for an upstream gradient
 * (one value for 'mean'/'sum', one per row for 'none').
 */
function reference(x: number[], C: number, targets: number[], o: RefOptions, upstream: number[]): { loss: number[]; grad: number[] } {
  const { ignoreIndex = -100, reduction = 'mean', eps = 0 } = o;
  const R = targets.length;
  const counted = targets.map((t, r) => t !== ignoreIndex && (o.lengths === undefined || r % o.time! < o.lengths[Math.floor(r / o.time!)]!));
  const count = counted.filter(Boolean).length;
  const rowLoss: number[] = [];
  const grad: number[] = [];
  for (let r = 0; r < R; r++) {
    const row = x.slice(r * C, (r + 1) * C);
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
    const t = targets[r]!;
    if (!counted[r]) {
      rowLoss.push(0);
      grad.push(...row.map(() => 0));
      continue;
    }
    const nll = lse - row[t]!;
    const smooth = row.reduce((a, v) => a + (lse - v), 0) / C;
    rowLoss.push((1 - eps) * nll + eps * smooth);
    const scale = reduction === 'none' ? upstream[r]! : reduction === 'mean' ? upstream[0]! / count : upstream[0]!;
    grad.push(...row.map((v, j) => (Math.exp(v - lse) - (j === t ? 1 - eps : 0) - eps / C) * scale));
  }
  if (reduction === 'none') return { loss: rowLoss, grad };
  const total = rowLoss.reduce((a, b) => a + b, 0);
  return { loss: [reduction === 'mean' ? total / count : total], grad };
}

const B = 3;
const T = 4;
const C = 5;
const logitsValues = uniform(B * T * C, 21, -3, 3);
// Targets past each length hold junk (out of range) on purpose: lengths must ignore them.
const lengths = [4, 1, 2];
const targetsValues = [0, 4, 2, 1, 3, 77, -5, 99, 2, 2, 1000, -1];
const inRange = targetsValues.map((t, r) => (r % T < lengths[Math.floor(r / T)]! ? t : 0));

describe('crossEntropy labelSmoothing and lengths', () => {
  it("matches PyTorch's values worked out by hand", () => {
    rk.tidy(() => {
      // logits [1, 2, 3], target 0: lse = 3.4076059644; -logp = [2.4076, 1.4076, 0.4076].
      // (1 - 0.1) * 2.4076059644 + 0.1 * 1.4076059644 = 2.3076059644 (torch: tensor(2.3076)).
      const x = rk.tensor([[1, 2, 3]]);
      const t = rk.tensor(new Int32Array([0]));
      expectClose(read(rk.crossEntropy(x, t, { labelSmoothing: 0.1 })), [2.3076059644], 1e-6);
      // eps = 1: the loss is mean_c(-logp) = lse - mean(x) = 1.4076059644, whatever the target.
      expectClose(read(rk.crossEntropy(x, t, { labelSmoothing: 1 })), [1.4076059644], 1e-6);
      expectClose(read(rk.crossEntropy(x, rk.tensor(new Int32Array([2])), { labelSmoothing: 1 })), [1.4076059644], 1e-6);
      // Uniform logits: log C for every eps.
      for (const eps of [0, 0.3, 1]) {
        expectClose(read(rk.crossEntropy(rk.zeros([2, 4]), rk.tensor(new Int32Array([1, 3])), { labelSmoothing: eps })), [Math.log(4)], 1e-6);
      }
      // 'mean' divides by the non-ignored rows only; ignored rows add nothing.
      const two = rk.tensor([[1, 2, 3], [5, -1, 0]]);
      expectClose(read(rk.crossEntropy(two, rk.tensor(new Int32Array([0, -100])), { labelSmoothing: 0.1 })), [2.3076059644], 1e-6);
      expectClose(
        read(rk.crossEntropy(two, rk.tensor(new Int32Array([0, -100])), { labelSmoothing: 0.1, reduction: 'none' })),
        [2.3076059644, 0],
        1e-6,
      );
    });
  });

  it('forward and backward match a float64 reference for every reduction, eps and lengths', () => {
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      for (const eps of [0, 0.1, 0.75, 1]) {
        for (const withLengths of [false, true]) {
          rk.tidy(() => {
            const targets = withLengths ? targetsValues : inRange.map((t, r) => (r === 5 ? -100 : t));
            const o: RefOptions = { reduction, eps, ...(withLengths ? { lengths, time: T } : {}) };
            const upstream = reduction === 'none' ? uniform(B * T, 3, 0.5, 1.5) : [1.7];
            const ref = reference(logitsValues, C, targets, o, upstream);
            const x = rk.tensor(logitsValues, { shape: [B, T, C], requiresGrad: true });
            const t = rk.tensor(Int32Array.from(targets), { shape: [B, T] });
            const loss = rk.crossEntropy(x, t, { reduction, labelSmoothing: eps, ...(withLengths ? { lengths } : {}) });
            expect(loss.shape).toEqual(reduction === 'none' ? [B, T] : []);
            expectClose(read(loss), ref.loss, 1e-5, 1e-6);
            loss.backward({ gradient: rk.tensor(upstream, { shape: reduction === 'none' ? [B, T] : [] }) });
            expectClose(read(x.grad!), ref.grad, 1e-6);
            x.grad!.dispose();
          });
        }
      }
    }
  });

  it('lengths counts exactly like setting the padded targets to ignoreIndex', () => {
    rk.tidy(() => {
      const padded = targetsValues.map((t, r) => (r % T < lengths[Math.floor(r / T)]! ? t : -100));
      const x = rk.tensor(logitsValues, { shape: [B, T, C] });
      for (const reduction of ['mean', 'sum', 'none'] as const) {
        const a = rk.crossEntropy(x, rk.tensor(Int32Array.from(targetsValues), { shape: [B, T] }), { lengths, reduction, labelSmoothing: 0.2 });
        const b = rk.crossEntropy(x, rk.tensor(Int32Array.from(padded), { shape: [B, T] }), { reduction, labelSmoothing: 0.2 });
        expect(read(a)).toEqual(read(b));
      }
      // number[] and Int32Array lengths are the same option.
      const t = rk.tensor(Int32Array.from(targetsValues), { shape: [B, T] });
      expect(read(rk.crossEntropy(x, t, { lengths: Int32Array.from(lengths) }))).toEqual(read(rk.crossEntropy(x, t, { lengths })));
      // ignoreIndex still applies inside the lengths.
      const ignoredInside = targetsValues.slice();
      ignoredInside[1] = 7;
      const viaIgnore = rk.crossEntropy(x, rk.tensor(Int32Array.from(ignoredInside), { shape: [B, T] }), { lengths, ignoreIndex: 7, reduction: 'none' });
      expect(read(viaIgnore)[1]).toBe(0);
      expect(read(viaIgnore)[0]).toBeGreaterThan(0);
    });
  });

  it('gradients match finite differences', () => {
    const t = rk.tensor(Int32Array.from(targetsValues), { shape: [B, T] });
    const t2 = rk.tensor(new Int32Array([0, 3, -100, 1, 2, 4]), { shape: [2, 3] });
    const opts = { eps: 1e-2, atol: 2e-3, rtol: 2e-2 };
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      gradcheck((x) => rk.crossEntropy(x, t2, { reduction, labelSmoothing: 0.3 }), [input([2, 3, 5], 31, -2, 2)], opts);
      gradcheck((x) => rk.crossEntropy(x, t, { reduction, lengths }), [input([B, T, C], 32, -2, 2)], opts);
      gradcheck((x) => rk.crossEntropy(x, t, { reduction, lengths, labelSmoothing: 0.6 }), [input([B, T, C], 33, -2, 2)], opts);
    }
    gradcheck((x) => rk.crossEntropy(x, t2, { labelSmoothing: 1 }), [input([2, 3, 5], 34, -2, 2)], opts);
    t.dispose();
    t2.dispose();
  });

  it('every row ignored gives NaN for mean (as PyTorch), 0 for sum', () => {
    rk.tidy(() => {
      const x = rk.tensor(uniform(6, 2), { shape: [1, 2, 3] });
      const t = rk.tensor(new Int32Array([-100, 1]), { shape: [1, 2] });
      expect(Number.isNaN(read(rk.crossEntropy(x, t, { lengths: [1], labelSmoothing: 0.1 }))[0]!)).toBe(true);
      expect(read(rk.crossEntropy(x, t, { lengths: [1], reduction: 'sum' }))).toEqual([0]);
    });
  });

  it('rejects bad options with typed errors naming the argument', () => {
    rk.tidy(() => {
      const x = rk.tensor(logitsValues, { shape: [B, T, C] });
      const t = rk.tensor(Int32Array.from(inRange), { shape: [B, T] });
      for (const eps of [-0.1, 1.01, Number.NaN, Infinity]) {
        expect(() => rk.crossEntropy(x, t, { labelSmoothing: eps })).toThrow(rk.ArgumentError);
        expect(() => rk.crossEntropy(x, t, { labelSmoothing: eps })).toThrow(/crossEntropy: options.labelSmoothing must be a number in \[0, 1\]/);
      }
      expect(() => rk.crossEntropy(x, t, { labelSmoothing: '0.1' as unknown as number })).toThrow(/options.labelSmoothing/);
      expect(() => rk.crossEntropy(x, t, { lengths: [4, 1] })).toThrow(rk.ShapeError);
      expect(() => rk.crossEntropy(x, t, { lengths: [4, 1] })).toThrow(/options.lengths has 2 entries, expected one per sequence \(batch 3\)/);
      expect(() => rk.crossEntropy(x, t, { lengths: [4, 0, 2] })).toThrow(/options.lengths\[1\] = 0 is out of range 1..4/);
      expect(() => rk.crossEntropy(x, t, { lengths: [5, 1, 2] })).toThrow(rk.ArgumentError);
      expect(() => rk.crossEntropy(x, t, { lengths: [4, 1.5, 2] })).toThrow(/options.lengths\[1\] must be a finite integer/);
      expect(() => rk.crossEntropy(x, t, { lengths: '4,1,2' as unknown as number[] })).toThrow(/options.lengths must be an Int32Array or an array of integers/);
      expect(() => rk.crossEntropy(x, t, { lengths: new Float32Array([4, 1, 2]) as unknown as number[] })).toThrow(rk.ArgumentError);
      const flat = rk.tensor(uniform(12, 1), { shape: [4, 3] });
      expect(() => rk.crossEntropy(flat, rk.tensor(new Int32Array([0, 1, 2, 0])), { lengths: [1, 1, 1, 1] })).toThrow(rk.ShapeError);
      expect(() => rk.crossEntropy(flat, rk.tensor(new Int32Array([0, 1, 2, 0])), { lengths: [1, 1, 1, 1] })).toThrow(
        /options.lengths needs logits of shape \[batch, time, classes\], got \[4, 3\]/,
      );
      // Targets inside the lengths are still range-checked.
      const bad = Int32Array.from(targetsValues);
      bad[4] = 9; // [1, 0]: inside length 1
      expect(() => rk.crossEntropy(x, rk.tensor(bad, { shape: [B, T] }), { lengths })).toThrow(rk.IndexError);
      expect(() => rk.crossEntropy(x, rk.tensor(bad, { shape: [B, T] }), { lengths })).toThrow(/targets\[1, 0\] = 9 is out of range \[0, 5\)/);
      expect(() => rk.crossEntropy(x, t, { smoothing: 0.1 } as unknown as rk.CrossEntropyOptions)).toThrow(/unknown option 'smoothing'/);
    });
  });
});
