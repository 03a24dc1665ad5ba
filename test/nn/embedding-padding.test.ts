// nn.Embedding's paddingIdx (PyTorch's padding_idx): zero row at init, no gradient for it, so an
// optimizer never moves it; negative indices count from the end; bad values are typed errors.

import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { native } from '../../lib/native.js';
import { expectClose, uniform } from '../helpers.js';

const read = (t: rk.Tensor): number[] => Array.from(t.dataSync());

/**
 * d/dW of L = sum(embedding(ids) * w) by central finite differences on every table entry, in
 * float64 accumulation (the lookup is linear, so this is exact up to rounding).
 */
function numericGrad(values: number[], shape: [number, number], ids: Int32Array, idsShape: number[], w: number[], eps = 1e-2): number[] {
  const probe = (vals: number[]): number =>
    rk.tidy(() => {
      const y = rk.gather(rk.tensor(vals, { shape }), rk.tensor(ids, { shape: idsShape })).dataSync();
      let acc = 0;
      for (let k = 0; k < y.length; k++) acc += y[k]! * w[k]!;
      return acc;
    });
  return values.map((v, j) => {
    const up = values.slice();
    up[j] = v + eps;
    const down = values.slice();
    down[j] = v - eps;
    return (probe(up) - probe(down)) / (2 * eps);
  });
}

describe('nn.Embedding paddingIdx', () => {
  it('initialises the padding row to zeros and leaves the other rows N(0, 1)', () => {
    rk.seed(3);
    const plain = read(new rk.nn.Embedding(6, 4).weight);
    rk.seed(3);
    const emb = new rk.nn.Embedding(6, 4, { paddingIdx: 2 });
    expect(emb.paddingIdx).toBe(2);
    const w = read(emb.weight);
    expect(w.slice(8, 12)).toEqual([0, 0, 0, 0]);
    // Same draws as without padding, except the zeroed row.
    expect([...w.slice(0, 8), ...w.slice(12)]).toEqual([...plain.slice(0, 8), ...plain.slice(12)]);
    expect(new rk.nn.Embedding(6, 4).paddingIdx).toBeNull();
  });

  it('counts a negative paddingIdx from the end, as PyTorch', () => {
    expect(new rk.nn.Embedding(6, 4, { paddingIdx: -1 }).paddingIdx).toBe(5);
    expect(new rk.nn.Embedding(6, 4, { paddingIdx: -6 }).paddingIdx).toBe(0);
    const emb = new rk.nn.Embedding(5, 3, { paddingIdx: -2 });
    expect(read(emb.weight).slice(9, 12)).toEqual([0, 0, 0]);
  });

  it('gives the padding row no gradient; the other rows match finite differences', () => {
    const emb = new rk.nn.Embedding(5, 3, { paddingIdx: 1 });
    // Make the padding row non-zero, so the lookup does depend on it: only the gradient is cut.
    rk.tidy(() => emb.loadStateDict({ weight: rk.tensor(uniform(15, 4), { shape: [5, 3] }) }));
    const values = read(emb.weight);
    const ids = new Int32Array([1, 3, 1, 0, 4, 3, 1, 2]);
    const w = uniform(ids.length * 3, 99);
    rk.tidy(() => {
      const out = emb.forward(rk.tensor(ids, { shape: [2, 4] }));
      expect(read(out).slice(0, 3)).toEqual(values.slice(3, 6)); // the lookup itself is unchanged
      rk.sum(rk.mul(out, rk.tensor(w, { shape: [2, 4, 3] }))).backward();
    });
    const analytic = read(emb.weight.grad!);
    const numeric = numericGrad(values, [5, 3], ids, [2, 4], w);
    expect(numeric.slice(3, 6).some((v) => Math.abs(v) > 0.1)).toBe(true); // the padding row is used
    expect(analytic.slice(3, 6)).toEqual([0, 0, 0]);
    expectClose(analytic, numeric.map((v, j) => (j >= 3 && j < 6 ? 0 : v)), 1e-3);
    emb.weight.grad!.dispose();
  });

  it('an optimizer never moves the padding row', () => {
    rk.seed(11);
    const emb = new rk.nn.Embedding(7, 4, { paddingIdx: 0 });
    const before = read(emb.weight);
    const opt = new rk.optim.Adam(emb.parameters(), { lr: 0.1 });
    for (let step = 0; step < 3; step++) {
      opt.zeroGrad();
      rk.tidy(() => {
        const out = emb.forward(rk.tensor(new Int32Array([0, 0, 3, 5, 0, 6]), { shape: [2, 3] }));
        rk.sum(rk.mul(out, out)).backward();
      });
      opt.step();
    }
    const after = read(emb.weight);
    expect(after.slice(0, 4)).toEqual([0, 0, 0, 0]);
    expect(after.slice(12, 16)).not.toEqual(before.slice(12, 16)); // row 3 trained
    expect(after.slice(4, 8)).toEqual(before.slice(4, 8)); // row 1 unused
    opt.zeroGrad();
  });

  it('leaves rk.gather as it was (two arguments, every row gets its gradient)', () => {
    expect(rk.gather.length).toBe(2);
    rk.tidy(() => {
      const table = rk.tensor(uniform(6, 1), { shape: [3, 2], requiresGrad: true });
      rk.sum(rk.gather(table, rk.tensor(new Int32Array([0, 0, 2])))).backward();
      expect(read(table.grad!)).toEqual([2, 2, 0, 0, 1, 1]);
      table.grad!.dispose();
    });
  });

  it('rejects bad paddingIdx values with typed errors naming it', () => {
    expect(() => new rk.nn.Embedding(4, 2, { paddingIdx: 4 })).toThrow(rk.ArgumentError);
    expect(() => new rk.nn.Embedding(4, 2, { paddingIdx: 4 })).toThrow(/nn.Embedding: options.paddingIdx must be in \[-4, 4\) \(numEmbeddings = 4\), got 4/);
    expect(() => new rk.nn.Embedding(4, 2, { paddingIdx: -5 })).toThrow(/options.paddingIdx must be in \[-4, 4\)/);
    expect(() => new rk.nn.Embedding(4, 2, { paddingIdx: 1.5 })).toThrow(/nn.Embedding: options.paddingIdx must be a finite integer/);
    expect(() => new rk.nn.Embedding(4, 2, { paddingIdx: '0' as unknown as number })).toThrow(rk.ArgumentError);
    expect(() => new rk.nn.Embedding(4, 2, { padding_idx: 0 } as unknown as rk.nn.EmbeddingOptions)).toThrow(/unknown option 'padding_idx'/);
    // The native backward checks its paddingIdx against numRows.
    rk.tidy(() => {
      const g = rk.ones([2, 3]).handleFor('test', 'grad');
      const ids = rk.tensor(new Int32Array([0, 1])).handleFor('test', 'indices');
      expect(() => native.gatherBackward(g, ids, 4, 4)).toThrow(/gatherBackward: paddingIdx must be in \[0, numRows = 4\), got 4/);
      expect(() => native.gatherBackward(g, ids, 4, -1)).toThrow(/paddingIdx must be in/);
      expect(() => native.gatherBackward(g, ids, 4, 0.5)).toThrow(/gatherBackward: paddingIdx must be/);
      const out = new rk.Tensor<'float32'>(native.gatherBackward(g, ids, 4, 1));
      expect(read(out)).toEqual([1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    });
  });
});
