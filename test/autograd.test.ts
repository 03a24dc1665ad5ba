// Every backward checked against central finite differences, plus the tape's own behaviour.

import { describe, expect, it } from 'vitest';
import * as rk from '../lib/index.js';
import { tensor } from '../lib/index.js';
import { gradcheck, input, settledMemory } from './helpers.js';

describe('gradients match finite differences', () => {
  it('add, sub, mul, div with broadcasting', () => {
    gradcheck((a, b) => rk.add(a, b), [input([2, 3], 1), input([3], 2)]);
    gradcheck((a, b) => rk.sub(a, b), [input([2, 1], 3), input([1, 4], 4)]);
    gradcheck((a, b) => rk.mul(a, b), [input([2, 3, 2], 5), input([3, 1], 6)]);
    gradcheck((a, b) => rk.div(a, b), [input([2, 3], 7), input([2, 1], 8, 0.5, 2)]);
    gradcheck((a) => rk.div(2, rk.mul(a, 3)), [input([4], 9, 0.5, 2)]);
  });

  it('unary ops', () => {
    gradcheck((x) => rk.tanh(x), [input([2, 3], 10, -2, 2)]);
    gradcheck((x) => rk.sigmoid(x), [input([5], 11, -3, 3)]);
    gradcheck((x) => rk.exp(x), [input([5], 12)]);
    gradcheck((x) => rk.log(x), [input([5], 13, 0.5, 3)]);
    gradcheck((x) => rk.neg(x), [input([3], 14)]);
    // relu: keep away from the kink at 0
    gradcheck((x) => rk.relu(x), [{ shape: [6], values: [-1.5, -0.4, -0.1, 0.2, 0.7, 1.3] }]);
  });

  it('sum and mean over axes', () => {
    gradcheck((x) => rk.sum(x), [input([2, 3], 15)]);
    gradcheck((x) => rk.sum(x, 1), [input([2, 3, 2], 16)]);
    gradcheck((x) => rk.mean(x, [0, 2], { keepDims: true }), [input([2, 3, 2], 17)]);
    gradcheck((x) => rk.mean(x, -1), [input([3, 4], 18)]);
  });

  it('softmax and logSoftmax along each axis', () => {
    gradcheck((x) => rk.softmax(x), [input([2, 4], 19, -2, 2)]);
    gradcheck((x) => rk.logSoftmax(x), [input([3, 4], 20, -2, 2)]);
    gradcheck((x) => rk.softmax(x, 0), [input([3, 2], 21, -2, 2)]);
    gradcheck((x) => rk.logSoftmax(x, 1), [input([2, 3, 2], 22, -2, 2)]);
  });

  it('matmul, 2-D, batched and with a broadcast batch', () => {
    gradcheck((a, b) => rk.matmul(a, b), [input([3, 4], 23), input([4, 2], 24)]);
    gradcheck((a, b) => rk.matmul(a, b), [input([2, 3, 4], 25), input([2, 4, 2], 26)]);
    gradcheck((a, b) => rk.matmul(a, b), [input([2, 3, 4], 27), input([4, 2], 28)]);
    gradcheck((a, b) => rk.matmul(a.transpose(), b), [input([4, 3], 29), input([4, 2], 30)]);
  });

  it('views: reshape, transpose, permute, slice, narrow, contiguous', () => {
    gradcheck((x) => rk.mul(x.reshape([3, 2]), x.reshape([3, 2])), [input([2, 3], 31)]);
    gradcheck((x) => rk.tanh(x.transpose()), [input([2, 3], 32)]);
    gradcheck((x) => rk.exp(x.permute([2, 0, 1])), [input([2, 2, 3], 33)]);
    gradcheck((x) => rk.tanh(x.slice([1, 0], [2, 2])), [input([3, 3], 34)]);
    gradcheck((x) => rk.sigmoid(x.narrow(1, 1, 2)), [input([2, 4], 35)]);
    gradcheck((x) => rk.tanh(x.transpose().contiguous().reshape([-1])), [input([2, 3], 36)]);
  });

  it('concat and gather (repeated indices accumulate)', () => {
    gradcheck((a, b) => rk.concat([a, b], 1), [input([2, 2], 37), input([2, 3], 38)]);
    const idx = tensor(new Int32Array([2, 0, 2, 2, 1, 0]), { shape: [2, 3] });
    gradcheck((t) => rk.gather(t, idx), [input([4, 3], 39)]);
    idx.dispose();
  });

  it('crossEntropy (mean, sum, none, ignoreIndex) and mse', () => {
    const t = tensor(new Int32Array([1, 0, 3, -100, 2, 2]), { shape: [2, 3] });
    gradcheck((x) => rk.crossEntropy(x, t), [input([2, 3, 4], 40, -2, 2)]);
    gradcheck((x) => rk.crossEntropy(x, t, { reduction: 'sum' }), [input([2, 3, 4], 41, -2, 2)]);
    gradcheck((x) => rk.crossEntropy(x, t, { reduction: 'none' }), [input([2, 3, 4], 42, -2, 2)]);
    gradcheck((p, q) => rk.mse(p, q), [input([2, 3], 43), input([2, 3], 44)]);
    t.dispose();
  });

  it('a composed two-layer network', () => {
    gradcheck(
      (x, w1, w2) => rk.logSoftmax(rk.matmul(rk.tanh(rk.matmul(x, w1)), w2)),
      [input([3, 4], 45), input([4, 5], 46), input([5, 2], 47)],
    );
  });
});

describe('the tape', () => {
  it('x used twice (a diamond) gets both contributions: d/dx (x*x + x) = 2x + 1', () => {
    const x = tensor([1, -2, 3], { requiresGrad: true });
    rk.sum(rk.add(rk.mul(x, x), x)).backward();
    expect(Array.from(x.grad!.dataSync())).toEqual([3, -3, 7]);
  });

  it('accumulates into grad across backward calls until the user clears it', () => {
    const x = tensor([2], { requiresGrad: true });
    rk.mul(x, 3).backward();
    rk.mul(x, 4).backward();
    expect(x.grad!.item()).toBe(7);
    x.grad!.dispose();
    x.grad = null;
    rk.mul(x, 5).backward();
    expect(x.grad!.item()).toBe(5);
  });

  it('records nothing under noGrad, and only for inputs that require grad', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const c = tensor([3, 4]);
    const y = rk.noGrad(() => rk.mul(x, c));
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
    expect(rk.isGradEnabled()).toBe(true);
    expect(() => rk.sum(y).backward()).toThrow(/does not require grad/);
    const z = rk.sum(rk.mul(x, c));
    expect(z.requiresGrad).toBe(true);
    z.backward();
    expect(Array.from(x.grad!.dataSync())).toEqual([3, 4]);
    expect(c.grad).toBeNull();
  });

  it('runs after tidy() disposed the intermediates, then frees the saved tensors', async () => {
    const before = await settledMemory();
    const w = tensor([[0.5, -1], [2, 0.25]], { requiresGrad: true });
    const x = tensor([[1, 2]]);
    const loss = rk.tidy(() => rk.sum(rk.tanh(rk.matmul(x, w))));
    loss.backward();
    // d/dw sum(tanh(x w)) = xᵀ (1 - tanh²(x w))
    const h = [1 * 0.5 + 2 * 2, 1 * -1 + 2 * 0.25];
    const d = h.map((v) => 1 - Math.tanh(v) ** 2);
    const expected = [1 * d[0]!, 1 * d[1]!, 2 * d[0]!, 2 * d[1]!];
    Array.from(w.grad!.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
    for (const t of [w.grad!, w, x, loss]) t.dispose();
    expect(await settledMemory()).toEqual(before);
  });

  it('refuses a second backward through a freed graph unless retainGraph', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = rk.sum(rk.exp(x));
    y.backward({ retainGraph: true });
    y.backward();
    const e = [Math.exp(1), Math.exp(2)].map((v) => 2 * v);
    Array.from(x.grad!.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(e[i]!, 4));
    expect(() => y.backward()).toThrow(/freed by an earlier backward/);
  });

  it('needs an explicit gradient for non-scalar outputs, of the right shape', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const y = rk.mul(x, x);
    expect(() => y.backward()).toThrow(rk.ShapeError);
    expect(() => y.backward({ gradient: rk.ones([2]) })).toThrow(/options.gradient has shape \[2\]/);
    y.backward({ gradient: tensor([1, 0, -1]) });
    expect(Array.from(x.grad!.dataSync())).toEqual([2, 0, -6]);
  });

  it('a leaf can call backward on itself', () => {
    const x = tensor([5], { requiresGrad: true });
    x.backward();
    expect(x.grad!.item()).toBe(1);
  });
});
