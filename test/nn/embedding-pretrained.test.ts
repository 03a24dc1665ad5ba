// nn.Embedding.fromPretrained (PyTorch's Embedding.from_pretrained): the weight is a copy of the
// given table, frozen by default, the padding row kept as given but cut from the gradient, no
// random draws; unfrozen, its gradient is the exact scatter-add of the output gradient.

import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { expectClose, uniform } from '../helpers.js';

const read = (t: rk.Tensor): number[] => Array.from(t.dataSync());
const TABLE = Float32Array.from(uniform(5 * 3, 11));

/** d/dW of sum(W[ids] * w): row r gets the sum of w's rows where ids == r (a lookup is linear), summed in float64. */
function scatterAdd(ids: Int32Array, w: number[], rows: number, dim: number, paddingIdx: number | null): number[] {
  const out = new Array<number>(rows * dim).fill(0);
  ids.forEach((id, k) => {
    if (id === paddingIdx) return;
    for (let j = 0; j < dim; j++) out[id * dim + j] = out[id * dim + j]! + w[k * dim + j]!;
  });
  return out;
}

describe('nn.Embedding.fromPretrained', () => {
  it('copies a Tensor or a Float32Array and is frozen by default, as PyTorch', () => {
    const given = rk.tensor(TABLE, { shape: [5, 3] });
    const emb = rk.nn.Embedding.fromPretrained(given);
    given.dispose(); // the weight is a copy: the caller's tensor stays the caller's
    expect([emb.numEmbeddings, emb.embeddingDim, emb.paddingIdx]).toEqual([5, 3, null]);
    expect(read(emb.weight)).toEqual(Array.from(TABLE));
    expect(emb.weight.requiresGrad).toBe(false);
    expect(emb.parameters()).toEqual([emb.weight]);
    const fromArray = rk.nn.Embedding.fromPretrained(TABLE, { shape: [5, 3], freeze: false });
    expect(fromArray.weight.requiresGrad).toBe(true);
    expect(fromArray.weight.shape).toEqual([5, 3]);
    expect(read(fromArray.weight)).toEqual(Array.from(TABLE));
    const ids = new Int32Array([4, 0, 2, 2]);
    const out = fromArray.forward(rk.tensor(ids, { shape: [2, 2] }));
    expect(out.shape).toEqual([2, 2, 3]);
    expect(read(out)).toEqual([...ids].flatMap((i) => Array.from(TABLE.subarray(i * 3, i * 3 + 3))));
  });

  it('draws no random values: the seeded generator goes on as if it had not been called', () => {
    rk.seed(5);
    const direct = read(new rk.nn.Embedding(3, 2).weight);
    rk.seed(5);
    rk.nn.Embedding.fromPretrained(TABLE, { shape: [5, 3] });
    expect(read(new rk.nn.Embedding(3, 2).weight)).toEqual(direct);
  });

  it('keeps the padding row as given (negative counts from the end) and gives it no gradient', () => {
    const emb = rk.nn.Embedding.fromPretrained(TABLE, { shape: [5, 3], paddingIdx: -4, freeze: false });
    expect(emb.paddingIdx).toBe(1);
    expect(read(emb.weight).slice(3, 6)).toEqual(Array.from(TABLE.subarray(3, 6)));
    const ids = new Int32Array([1, 3, 1, 0, 4, 3]);
    const w = uniform(ids.length * 3, 99);
    rk.tidy(() => rk.sum(rk.mul(emb.forward(rk.tensor(ids)), rk.tensor(w, { shape: [ids.length, 3] }))).backward());
    expectClose(read(emb.weight.grad!), scatterAdd(ids, w, 5, 3, 1), 1e-6);
  });

  it('frozen, it gets no gradient and an optimizer holding it leaves it; unfrozen, it trains', () => {
    rk.seed(1);
    const emb = rk.nn.Embedding.fromPretrained(TABLE, { shape: [5, 3] });
    const head = new rk.nn.Linear(3, 2);
    const optimizer = new rk.optim.Adam([...emb.parameters(), ...head.parameters()], { lr: 0.1 });
    const ids = rk.tensor(new Int32Array([0, 2, 4, 2]));
    const targets = rk.tensor(new Int32Array([0, 1, 1, 0]));
    const step = (): void => {
      optimizer.zeroGrad();
      rk.tidy(() => rk.crossEntropy(head.forward(emb.forward(ids)), targets).backward());
      optimizer.step();
    };
    const headBefore = read(head.weight);
    step();
    expect(emb.weight.grad).toBeNull();
    expect(read(emb.weight)).toEqual(Array.from(TABLE));
    expect(read(head.weight)).not.toEqual(headBefore);

    emb.unfreeze();
    expect(emb.weight.requiresGrad).toBe(true);
    const w = uniform(4 * 3, 3);
    rk.tidy(() => rk.sum(rk.mul(emb.forward(ids), rk.tensor(w, { shape: [4, 3] }))).backward());
    expectClose(read(emb.weight.grad!), scatterAdd(ids.dataSync() as Int32Array, w, 5, 3, null), 1e-6);
    optimizer.step();
    const moved = read(emb.weight);
    expect(moved.slice(3, 6)).toEqual(Array.from(TABLE.subarray(3, 6))); // id 1 was never looked up
    expect(moved.slice(0, 3)).not.toEqual(Array.from(TABLE.subarray(0, 3)));
  });

  it('bad inputs are typed errors naming the argument', () => {
    const cases: [unknown, unknown, new (m: string) => Error, RegExp][] = [
      [rk.tensor(new Int32Array(6), { shape: [2, 3] }), undefined, rk.DTypeError, /embeddings must be float32, got int32/],
      [rk.tensor([1, 2, 3]), undefined, rk.ShapeError, /embeddings must have shape \[numEmbeddings, embeddingDim\], both >= 1, got \[3\]/],
      [rk.tensor(new Float32Array(0), { shape: [0, 3] }), undefined, rk.ShapeError, /both >= 1, got \[0, 3\]/],
      [rk.tensor(TABLE, { shape: [5, 3] }), { shape: [5, 3] }, rk.ArgumentError, /options\.shape is for a Float32Array; a Tensor brings its own shape \[5, 3\]/],
      [TABLE, undefined, rk.ArgumentError, /options\.shape \[numEmbeddings, embeddingDim\] is required with a Float32Array/],
      [TABLE, { shape: [4, 3] }, rk.ShapeError, /options\.shape \[4, 3\] holds 12 values, the Float32Array has 15/],
      [TABLE, { shape: [15] }, rk.ShapeError, /got \[15\]/],
      [TABLE, { shape: [5, -3] }, rk.ArgumentError, /options\.shape\[1\] must be >= 0, got -3/],
      [[[1, 2]], undefined, rk.ArgumentError, /embeddings must be a float32 Tensor or a Float32Array, got/],
      [TABLE, { shape: [5, 3], paddingIdx: 5 }, rk.ArgumentError, /options\.paddingIdx must be in \[-5, 5\) \(numEmbeddings = 5\), got 5/],
      [TABLE, { shape: [5, 3], freeze: 'yes' }, rk.ArgumentError, /options\.freeze must be true or false/],
      [TABLE, { shape: [5, 3], sparse: true }, rk.ArgumentError, /unknown option 'sparse' \(known: freeze, paddingIdx, shape\)/],
    ];
    for (const [embeddings, options, Cls, message] of cases) {
      let err: unknown = null;
      try {
        rk.nn.Embedding.fromPretrained(embeddings as Float32Array, options as rk.nn.FromPretrainedOptions);
      } catch (e) {
        err = e;
      }
      expect(err, String(message)).toBeInstanceOf(Cls);
      expect((err as Error).message).toMatch(/^nn\.Embedding\.fromPretrained: /);
      expect((err as Error).message).toMatch(message);
    }
  });
});
