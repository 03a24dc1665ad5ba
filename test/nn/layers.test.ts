// nn.Linear and nn.Sequential: values against plain-JS math, gradients by finite differences,
// PyTorch's parameter names, shapes and init bounds, and bad input.

import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { expectClose, gradcheck, input, uniform } from '../helpers.js';

const read = (t: rk.Tensor): number[] => Array.from(t.dataSync());

describe('nn.Linear', () => {
  it('computes x Wᵀ + b over the last axis, for 1-D, 2-D and 3-D inputs', () => {
    const lin = new rk.nn.Linear(3, 2);
    const W = [[0.5, -1, 2], [1, 0.25, -0.5]];
    const b = [0.1, -0.2];
    lin.loadStateDict({ weight: rk.tensor(W), bias: rk.tensor(b) });
    const ref = (row: number[]) => W.map((w, o) => w.reduce((acc, v, i) => acc + v * row[i]!, b[o]!));
    const xs = [[1, 2, 3], [-1, 0.5, 4]];
    rk.tidy(() => {
      expectClose(read(lin.forward(rk.tensor(xs[0]!))), ref(xs[0]!), 1e-6);
      expectClose(read(lin.forward(rk.tensor(xs))), xs.flatMap(ref), 1e-6);
      const y3 = lin.forward(rk.tensor([xs, xs]));
      expect(y3.shape).toEqual([2, 2, 2]);
      expectClose(read(y3), [...xs.flatMap(ref), ...xs.flatMap(ref)], 1e-6);
    });
  });

  it('has PyTorch names, shapes and init bound 1/sqrt(inFeatures); bias optional', () => {
    const lin = new rk.nn.Linear(16, 5);
    expect(lin.namedParameters().map(([n, p]) => `${n}:${p.shape.join('x')}`)).toEqual(['weight:5x16', 'bias:5']);
    const all = lin.parameters().flatMap(read);
    expect(Math.max(...all.map(Math.abs))).toBeLessThanOrEqual(0.25);
    expect(Math.max(...all.map(Math.abs))).toBeGreaterThan(0.2);
    expect(new rk.nn.Linear(4, 3, { bias: false }).namedParameters().map(([n]) => n)).toEqual(['weight']);
    expect(lin.to('cpu')).toBe(lin);
  });

  it('gradient of x matches finite differences; weight and bias gradients match gᵀx and Σg', () => {
    const lin = new rk.nn.Linear(4, 3);
    gradcheck((x) => lin.forward(x), [input([2, 5, 4], 1)]);
    const x = uniform(6 * 4, 2);
    const g = uniform(6 * 3, 3);
    const fresh = new rk.nn.Linear(4, 3);
    rk.tidy(() => rk.sum(rk.mul(fresh.forward(rk.tensor(x, { shape: [6, 4] })), rk.tensor(g, { shape: [6, 3] }))).backward());
    const dW = [0, 1, 2].flatMap((o) => [0, 1, 2, 3].map((i) => [0, 1, 2, 3, 4, 5].reduce((acc, r) => acc + g[r * 3 + o]! * x[r * 4 + i]!, 0)));
    const db = [0, 1, 2].map((o) => [0, 1, 2, 3, 4, 5].reduce((acc, r) => acc + g[r * 3 + o]!, 0));
    expectClose(read(fresh.weight.grad!), dW, 1e-5);
    expectClose(read(fresh.bias!.grad!), db, 1e-5);
  });

  it('rejects bad sizes and inputs', () => {
    expect(() => new rk.nn.Linear(0, 2)).toThrow(/inFeatures must be a positive integer/);
    expect(() => new rk.nn.Linear(2, 2, { bais: false } as rk.nn.LinearOptions)).toThrow(/unknown option 'bais'/);
    const lin = new rk.nn.Linear(3, 2);
    expect(() => lin.forward(rk.ones([2, 4]))).toThrow(/expected \[\.\.\., 3\]/);
    expect(() => lin.forward(rk.ones([]))).toThrow(rk.ShapeError);
  });
});

describe('nn.Sequential', () => {
  it('chains layers, names parameters by position, and backpropagates through all', () => {
    const a = new rk.nn.Linear(3, 4);
    const b = new rk.nn.Linear(4, 2);
    const seq = new rk.nn.Sequential(a, b);
    expect(seq.namedParameters().map(([n]) => n)).toEqual(['0.weight', '0.bias', '1.weight', '1.bias']);
    rk.tidy(() => {
      const x = rk.tensor(uniform(6, 5), { shape: [2, 3] });
      expectClose(read(seq.forward(x)), read(b.forward(a.forward(x))), 0);
    });
    gradcheck((x) => seq.forward(x) as rk.Tensor<'float32'>, [input([2, 3], 6)]);
    expect(seq.train(false).training).toBe(false);
    expect(a.training).toBe(false);
    expect(() => new rk.nn.Sequential({} as rk.nn.TensorModule)).toThrow(/layers\[0\] must be a module/);
  });
});

describe('nn.Embedding and nn.SequenceClassifier', () => {
  it('Embedding looks rows up and initialises from N(0, 1)', () => {
    const emb = new rk.nn.Embedding(500, 8);
    const w = read(emb.weight);
    const mean = w.reduce((a, b) => a + b, 0) / w.length;
    const variance = w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(variance - 1)).toBeLessThan(0.08);
    rk.tidy(() => {
      const out = emb.forward(rk.tensor(new Int32Array([3, 499]), { shape: [1, 2] }));
      expect(out.shape).toEqual([1, 2, 8]);
      expect(read(out)).toEqual([...w.slice(3 * 8, 4 * 8), ...w.slice(499 * 8, 500 * 8)]);
      expect(() => emb.forward(rk.tensor(new Int32Array([500])))).toThrow(rk.IndexError);
    });
    expect(() => new rk.nn.Embedding(0, 3)).toThrow(rk.ArgumentError);
  });

  it('SequenceClassifier pools the last states or the mean over valid steps', () => {
    const ids = rk.tensor(new Int32Array([1, 2, 3, 4, 5, 0]), { shape: [2, 3] });
    const lengths = Int32Array.from([3, 2]);
    for (const pooling of ['last', 'mean'] as const) {
      rk.seed(5);
      const model = new rk.nn.SequenceClassifier({ vocabSize: 6, numClasses: 3, embeddingDim: 4, hiddenSize: 5, numLayers: 2, pooling });
      expect(model.namedParameters().map(([n]) => n.split('.')[0])).toContain('head');
      rk.tidy(() => {
        const logits = model.forward(ids, { lengths });
        expect(logits.shape).toEqual([2, 3]);
        // The same computation spelled out with the parts.
        const { output, state } = model.rnn.forward(model.embedding.forward(ids), { lengths });
        const pooled =
          pooling === 'last'
            ? rk.concat([state.h.narrow(0, 2, 1).reshape([2, 5]), state.h.narrow(0, 3, 1).reshape([2, 5])], 1)
            : rk.div(rk.sum(output, 1), rk.tensor([[3], [2]]));
        expectClose(read(logits), read(model.head.forward(pooled)), 1e-6);
      });
    }
    expect(() => new rk.nn.SequenceClassifier({ vocabSize: 6, numClasses: 3, pooling: 'min' as 'last' })).toThrow(/pooling must be one of 'last', 'mean', 'max'/);
  });

  it("SequenceClassifier pooling 'max' takes each feature's maximum over the valid steps only", () => {
    const B = 3;
    const T = 4;
    const H = 2 * 5; // bidirectional
    const ids = rk.tensor(new Int32Array([1, 2, 3, 4, 5, 0, 0, 0, 2, 2, 0, 0]), { shape: [B, T] });
    const lengths = Int32Array.from([4, 1, 2]);
    rk.seed(7);
    const model = new rk.nn.SequenceClassifier({ vocabSize: 6, numClasses: 3, embeddingDim: 4, hiddenSize: 5, pooling: 'max' });
    expect(model.pooling).toBe('max');
    rk.tidy(() => {
      const out = read(model.rnn.forward(model.embedding.forward(ids), { lengths }).output);
      // By hand: the max over t < lengths[b] of output[b, t, f].
      const pooled: number[] = [];
      let paddingWouldWin = false;
      for (let b = 0; b < B; b++) {
        for (let f = 0; f < H; f++) {
          let m = -Infinity;
          for (let t = 0; t < lengths[b]!; t++) m = Math.max(m, out[(b * T + t) * H + f]!);
          pooled.push(m);
          if (lengths[b]! < T && m < 0) paddingWouldWin = true;
        }
      }
      // The padded steps (zeros) would beat some all-negative feature: the test can tell.
      expect(paddingWouldWin).toBe(true);
      const logits = model.forward(ids, { lengths });
      expectClose(read(logits), read(model.head.forward(rk.tensor(pooled, { shape: [B, H] }))), 1e-6);
      // Without lengths every step is valid: a plain max over time.
      const full = new Int32Array(B).fill(T);
      const all = read(model.rnn.forward(model.embedding.forward(ids), { lengths: full }).output);
      const pooledAll = Array.from({ length: B * H }, (_, i) => {
        const b = Math.floor(i / H);
        const f = i % H;
        return Math.max(...Array.from({ length: T }, (_, t) => all[(b * T + t) * H + f]!));
      });
      expectClose(read(model.forward(ids)), read(model.head.forward(rk.tensor(pooledAll, { shape: [B, H] }))), 1e-6);
    });
    // The gradient reaches the parameters through the valid steps.
    rk.tidy(() => {
      rk.sum(model.forward(ids, { lengths })).backward();
      const g = read(model.embedding.weight.grad!);
      expect(g.some((v) => v !== 0)).toBe(true);
      expect(g.every(Number.isFinite)).toBe(true);
    });
    for (const p of model.parameters()) p.grad?.dispose();
  });
});
