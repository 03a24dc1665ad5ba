// max over axes: values against a plain-JS reference, NaN, ties (the first maximum takes the
// gradient), finite differences away from ties, and bad input.

import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { native } from '../../lib/native.js';
import { gradcheck, numel, uniform, type GradInput } from '../helpers.js';

const read = (t: rk.Tensor): number[] => Array.from(t.dataSync());

/** Plain-JS max of a row-major [shape] array over `axes` (kept dims in order). */
function refMax(x: number[], shape: number[], axes: number[]): number[] {
  const keptShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const out = new Array<number>(numel(keptShape)).fill(-Infinity);
  const strides = shape.map((_, i) => numel(shape.slice(i + 1)));
  const keptStrides = keptShape.map((_, i) => numel(keptShape.slice(i + 1)));
  for (let flat = 0; flat < x.length; flat++) {
    let o = 0;
    shape.forEach((_, d) => {
      const idx = Math.floor(flat / strides[d]!) % shape[d]!;
      if (!axes.includes(d)) o += idx * keptStrides[d]!;
    });
    const v = x[flat]!;
    if (Number.isNaN(out[o]!) || Number.isNaN(v)) out[o] = Number.NaN;
    else out[o] = Math.max(out[o]!, v);
  }
  return out;
}

/** Distinct values at least 0.1 apart (a shuffled grid), so finite differences never cross a tie. */
function spaced(shape: number[], seed: number): GradInput {
  const n = numel(shape);
  const r = uniform(n, seed);
  const order = r.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const values = new Array<number>(n);
  order.forEach(([, i], rank) => {
    values[i] = (rank - n / 2) * 0.1;
  });
  return { shape, values };
}

describe('max', () => {
  it('matches a plain-JS reference over any axes, with and without keepDims', () => {
    const shape = [3, 4, 5];
    const x = uniform(60, 12, -5, 5).map(Math.fround);
    rk.tidy(() => {
      const t = rk.tensor(x, { shape });
      const cases: [number | number[] | undefined, number[]][] = [
        [undefined, [0, 1, 2]],
        [0, [0]],
        [1, [1]],
        [-1, [2]],
        [[0, 2], [0, 2]],
        [[2, 0], [0, 2]],
      ];
      for (const [axis, axes] of cases) {
        const k = rk.max(t, axis, { keepDims: false });
        expect(k.shape).toEqual(shape.filter((_, i) => !axes.includes(i)));
        expect(read(k)).toEqual(refMax(x, shape, axes));
        const kd = rk.max(t, axis, { keepDims: true });
        expect(kd.shape).toEqual(shape.map((d, i) => (axes.includes(i) ? 1 : d)));
        expect(read(kd)).toEqual(refMax(x, shape, axes));
      }
      expect(read(rk.max(t))).toEqual([Math.max(...x)]);
    });
  });

  it('reads strided views and keeps int32', () => {
    rk.tidy(() => {
      const x = rk.tensor([[1, 9, 3], [7, 2, 8]]);
      // x.transpose() is [[1, 7], [9, 2], [3, 8]].
      expect(read(rk.max(x.transpose(), 1))).toEqual([7, 9, 8]);
      expect(read(rk.max(x.transpose(), 0))).toEqual([9, 8]);
      const i = rk.max(rk.tensor(new Int32Array([3, -7, 12, 5]), { shape: [2, 2] }), 1);
      expect(i.dtype).toBe('int32');
      expect(read(i)).toEqual([3, 12]);
      // All-negative values are not compared against a zero start.
      expect(read(rk.max(rk.tensor([[-3, -1, -2]]), 1))).toEqual([-1]);
      // An empty output from a non-empty group shape is fine.
      expect(rk.max(rk.zeros([0, 3]), 1).shape).toEqual([0]);
    });
  });

  it('propagates NaN and sends its gradient to the first NaN', () => {
    rk.tidy(() => {
      const x = rk.tensor([[1, Number.NaN, 5, Number.NaN], [-Infinity, 2, Infinity, 0]], { requiresGrad: true });
      const m = rk.max(x, 1);
      const v = read(m);
      expect(Number.isNaN(v[0]!)).toBe(true);
      expect(v[1]).toBe(Infinity);
      m.backward({ gradient: rk.tensor([10, 20]) });
      expect(read(x.grad!)).toEqual([0, 10, 0, 0, 0, 0, 20, 0]);
      x.grad!.dispose();
    });
  });

  it('gives a tied maximum\'s gradient to its first element (row-major over the reduced axes)', () => {
    rk.tidy(() => {
      const x = rk.tensor([1, 3, 3, 2], { requiresGrad: true });
      rk.max(x).backward();
      expect(read(x.grad!)).toEqual([0, 1, 0, 0]);
      x.grad!.dispose();
      // Two reduced axes [2, 2] per group: order (0,0), (0,1), (1,0), (1,1).
      const y = rk.tensor([[[0, 4], [4, 4]], [[5, 1], [5, 5]]], { requiresGrad: true });
      rk.max(y, [1, 2]).backward({ gradient: rk.tensor([2, 3]) });
      expect(read(y.grad!)).toEqual([0, 2, 0, 0, 3, 0, 0, 0]);
      y.grad!.dispose();
      // Along axis 0 of a transposed view: the first maximum in the view's order.
      const z = rk.tensor([[1, 1], [6, 6]], { requiresGrad: true }); // view [[1, 6], [1, 6]]
      rk.max(z.transpose(), 0).backward({ gradient: rk.tensor([1, 1]) });
      expect(read(z.grad!)).toEqual([1, 0, 1, 0]);
      z.grad!.dispose();
    });
  });

  it('gradients match finite differences away from ties', () => {
    const opts = { eps: 1e-2, atol: 1e-3, rtol: 1e-2 };
    gradcheck((x) => rk.max(x), [spaced([3, 4], 1)], opts);
    gradcheck((x) => rk.max(x, 1), [spaced([3, 4, 2], 2)], opts);
    gradcheck((x) => rk.max(x, -1, { keepDims: true }), [spaced([2, 3, 5], 3)], opts);
    gradcheck((x) => rk.max(x, [0, 2]), [spaced([3, 2, 4], 4)], opts);
    gradcheck((x) => rk.max(x.transpose(), 0), [spaced([4, 3], 5)], opts);
    // Through a composite: max pooling of a product.
    gradcheck((a, b) => rk.max(rk.mul(a, b), 1), [spaced([2, 6], 6), { shape: [2, 6], values: uniform(12, 7, 0.5, 1.5) }], opts);
  });

  it('rejects bad input with typed errors naming the argument', () => {
    rk.tidy(() => {
      const x = rk.ones([2, 3]);
      expect(() => rk.max(x, 2)).toThrow(rk.ArgumentError);
      expect(() => rk.max(x, 2)).toThrow(/max: axis\[0\] 2 is out of range for a tensor of rank 2/);
      expect(() => rk.max(x, [1, -1])).toThrow(/max: axis repeats an axis/);
      expect(() => rk.max(x, 0.5)).toThrow(/max: axis must be a finite integer/);
      expect(() => rk.max(x, 0, { keepDims: 1 as unknown as boolean })).toThrow(/max: options.keepDims must be true or false/);
      expect(() => rk.max(x, 0, { keep: true } as unknown as rk.ReduceOptions)).toThrow(/unknown option 'keep'/);
      expect(() => rk.max('x' as unknown as rk.Tensor)).toThrow(/max: x must be a Tensor/);
      expect(() => rk.max(rk.zeros([3, 0]), 1)).toThrow(rk.ShapeError);
      expect(() => rk.max(rk.zeros([3, 0]), 1)).toThrow(/max: cannot take the max over an empty axis \(x is \[3, 0\]\)/);
      expect(() => rk.max(rk.zeros([0]))).toThrow(rk.ShapeError);
      // The native backward checks its gradient's shape.
      const hx = x.handleFor('test', 'x');
      const g = rk.ones([3]);
      expect(() => native.maxBackward(g.handleFor('test', 'g'), hx, [1], false)).toThrow(/maxBackward: grad \[3\] must have the shape of max's output \[2\]/);
    });
  });
});
