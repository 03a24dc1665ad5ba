// Forward values of every op against hand-computed cases and plain-JS float64 references.

import { describe, expect, it } from 'vitest';
import * as rk from '../lib/index.js';
import { tensor } from '../lib/index.js';
import { expectClose, numel, uniform } from './helpers.js';

const read = (t: rk.Tensor): number[] => Array.from(t.dataSync());

/** Plain-JS batched matmul reference: a [B, M, K] @ b [B, K, N]. */
function refMatmul(a: number[], b: number[], B: number, M: number, K: number, N: number, bBatch = B): number[] {
  const out: number[] = [];
  for (let z = 0; z < B; z++) {
    const bz = bBatch === 1 ? 0 : z;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let acc = 0;
        for (let k = 0; k < K; k++) acc += a[z * M * K + i * K + k]! * b[bz * K * N + k * N + j]!;
        out.push(acc);
      }
    }
  }
  return out;
}

function refLogSoftmaxRows(x: number[], C: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < x.length / C; r++) {
    const row = x.slice(r * C, r * C + C);
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((acc, v) => acc + Math.exp(v - m), 0));
    out.push(...row.map((v) => v - lse));
  }
  return out;
}

describe('elementwise', () => {
  it('add/sub/mul/div broadcast like numpy', () => {
    rk.tidy(() => {
      const a = tensor([[1, 2, 3], [4, 5, 6]]);
      const col = tensor([[10], [20]]);
      const row = tensor([1, 2, 4]);
      expect(read(rk.add(a, col))).toEqual([11, 12, 13, 24, 25, 26]);
      expect(read(rk.sub(a, row))).toEqual([0, 0, -1, 3, 3, 2]);
      expect(read(rk.mul(col, row))).toEqual([10, 20, 40, 20, 40, 80]);
      expectClose(read(rk.div(a, row)), [1, 1, 0.75, 4, 2.5, 1.5]);
      expect(rk.add(col, row).shape).toEqual([2, 3]);
    });
  });

  it('takes numbers as scalar operands on either side', () => {
    rk.tidy(() => {
      const a = tensor([1, 2, 4]);
      expect(read(rk.add(a, 1))).toEqual([2, 3, 5]);
      expect(read(rk.sub(10, a))).toEqual([9, 8, 6]);
      expect(read(rk.mul(a, -2))).toEqual([-2, -4, -8]);
      expect(read(rk.div(1, a))).toEqual([1, 0.5, 0.25]);
    });
  });

  it('does int32 arithmetic in int32', () => {
    rk.tidy(() => {
      const a = tensor(new Int32Array([5, -7, 9]));
      const r = rk.mul(rk.add(a, 1), 3);
      expect(r.dtype).toBe('int32');
      expect(read(r)).toEqual([18, -18, 30]);
      expect(() => rk.add(a, 0.5)).toThrow(rk.DTypeError);
      expect(() => rk.div(a as unknown as rk.Tensor<'float32'>, a as unknown as rk.Tensor<'float32'>)).toThrow(rk.DTypeError);
      expect(() => rk.add(a, tensor([1, 2, 3]) as unknown as rk.Tensor<'int32'>)).toThrow(rk.DTypeError);
    });
  });

  it('works on strided views (a transposed operand)', () => {
    rk.tidy(() => {
      const a = tensor([[1, 2], [3, 4], [5, 6]]);
      const b = tensor([[10, 20, 30], [40, 50, 60]]);
      expect(read(rk.add(a.transpose(), b))).toEqual([11, 23, 35, 42, 54, 66]);
      expect(read(rk.mul(b.slice([0, 1], [2, 2]), tensor([2, 3])))).toEqual([40, 90, 100, 180]);
    });
  });

  it('unary math matches Math.*', () => {
    const xs = [-2, -0.5, 0, 0.3, 1.7];
    const pos = [0.1, 0.5, 1, 2.5, 9];
    rk.tidy(() => {
      const x = tensor(xs);
      const p = tensor(pos);
      expectClose(read(rk.tanh(x)), xs.map(Math.tanh), 1e-6);
      expectClose(read(rk.sigmoid(x)), xs.map((v) => 1 / (1 + Math.exp(-v))), 1e-6);
      expectClose(read(rk.relu(x)), xs.map((v) => Math.max(Math.fround(v), 0)), 0);
      expectClose(read(rk.exp(x)), xs.map(Math.exp), 1e-5, 1e-6);
      expectClose(read(rk.log(p)), pos.map(Math.log), 1e-6);
      expectClose(read(rk.neg(x)), xs.map((v) => -Math.fround(v)), 0);
      expect(read(rk.log(tensor([0, -1])))).toEqual([-Infinity, NaN]);
    });
  });

  it('rejects shapes that do not broadcast', () => {
    rk.tidy(() => {
      expect(() => rk.add(rk.ones([2, 3]), rk.ones([4]))).toThrow(rk.ShapeError);
      expect(() => rk.add(rk.ones([2, 3]), rk.ones([4]))).toThrow(/\[2, 3\].*\[4\]/);
      expect(() => rk.mul(rk.ones([2]), 'x' as unknown as number)).toThrow(/mul: b must be a Tensor or a number/);
      expect(() => rk.tanh(tensor(new Int32Array([1])) as unknown as rk.Tensor<'float32'>)).toThrow(rk.DTypeError);
    });
  });
});

describe('reductions', () => {
  it('sum and mean over chosen axes, with keepDims', () => {
    rk.tidy(() => {
      const x = tensor([[[1, 2], [3, 4], [5, 6]], [[7, 8], [9, 10], [11, 12]]]); // [2, 3, 2]
      expect(read(rk.sum(x))).toEqual([78]);
      expect(rk.sum(x).shape).toEqual([]);
      expect(read(rk.sum(x, 1))).toEqual([9, 12, 27, 30]);
      expect(read(rk.sum(x, [0, 2]))).toEqual([18, 26, 34]);
      const k = rk.mean(x, [-1], { keepDims: true });
      expect(k.shape).toEqual([2, 3, 1]);
      expect(read(k)).toEqual([1.5, 3.5, 5.5, 7.5, 9.5, 11.5]);
      // transposed view: element [i, j, k] is x[k, j, i]; mean over k = 2j + i + 4
      expect(read(rk.mean(x.transpose(0, 2), 2))).toEqual([4, 6, 8, 5, 7, 9]);
      const i = rk.sum(tensor(new Int32Array([1, 2, 3, 4])));
      expect(i.dtype).toBe('int32');
      expect(read(i)).toEqual([10]);
    });
  });

  it('sums many float32 values accurately (float64 accumulation)', () => {
    rk.tidy(() => {
      const n = 1_000_000;
      expect(rk.sum(rk.full([n], 0.1)).item()).toBeCloseTo(n * Math.fround(0.1), 1);
    });
  });

  it('rejects bad axes', () => {
    rk.tidy(() => {
      const x = rk.ones([2, 3]);
      expect(() => rk.sum(x, 2)).toThrow(/sum: axis\[0\] 2 is out of range for a tensor of rank 2/);
      expect(() => rk.sum(x, [0, -2])).toThrow(/repeats an axis/);
      expect(() => rk.mean(x, NaN)).toThrow(rk.ArgumentError);
      expect(() => rk.mean(tensor(new Int32Array([1])) as unknown as rk.Tensor<'float32'>)).toThrow(rk.DTypeError);
    });
  });
});

describe('softmax and logSoftmax', () => {
  it('match a float64 reference along the last and a middle axis', () => {
    const vals = uniform(24, 3, -4, 4);
    const ref = refLogSoftmaxRows(vals, 4);
    rk.tidy(() => {
      const x = tensor(vals, { shape: [2, 3, 4] });
      expectClose(read(rk.logSoftmax(x)), ref, 1e-5);
      expectClose(read(rk.softmax(x, -1)), ref.map(Math.exp), 1e-6);
      // axis 1: compare against the reference on the permuted layout
      const moved = read(x.permute([0, 2, 1]).contiguous());
      const refMid = refLogSoftmaxRows(moved, 3);
      const got = read(rk.logSoftmax(x, 1).permute([0, 2, 1]).contiguous());
      expectClose(got, refMid, 1e-5);
    });
  });

  it('stays finite for huge logits', () => {
    rk.tidy(() => {
      expectClose(read(rk.softmax(tensor([1000, 1000, -1000]))), [0.5, 0.5, 0], 1e-7);
    });
  });
});

describe('matmul', () => {
  it('multiplies 2-D, batched, broadcast-batch and transposed operands', () => {
    const [B, M, K, N] = [3, 4, 5, 2];
    const a = uniform(B * M * K, 1);
    const b = uniform(B * K * N, 2);
    const b1 = uniform(K * N, 3);
    rk.tidy(() => {
      const ta = tensor(a, { shape: [B, M, K] });
      expectClose(read(rk.matmul(ta, tensor(b, { shape: [B, K, N] }))), refMatmul(a, b, B, M, K, N), 1e-5);
      const bcast = rk.matmul(ta, tensor(b1, { shape: [K, N] }));
      expect(bcast.shape).toEqual([B, M, N]);
      expectClose(read(bcast), refMatmul(a, b1, B, M, K, N, 1), 1e-5);
      const a2 = a.slice(0, M * K);
      // (Kᵀ stored as [N, K]) transposed view as the right operand
      const bt = tensor(read(tensor(b1, { shape: [K, N] }).transpose().contiguous()), { shape: [N, K] });
      expectClose(read(rk.matmul(tensor(a2, { shape: [M, K] }), bt.transpose())), refMatmul(a2, b1, 1, M, K, N), 1e-5);
    });
  });

  it('rejects mismatched inner sizes and non-float operands', () => {
    rk.tidy(() => {
      expect(() => rk.matmul(rk.ones([2, 3]), rk.ones([4, 5]))).toThrow(rk.ShapeError);
      expect(() => rk.matmul(rk.ones([2, 3]), rk.ones([4, 5]))).toThrow(/matmul: .*3.*4/);
      expect(() => rk.matmul(rk.ones([2, 3, 4]), rk.ones([3, 4, 5]))).toThrow(rk.ShapeError);
      expect(() => rk.matmul(rk.ones([3]), rk.ones([3, 1]))).toThrow(rk.ShapeError);
      const deep = new Array<number>(13).fill(1);
      expect(() => rk.matmul(rk.ones(deep), rk.ones([1, 1]))).toThrow(/rank 13, at most 12/);
      const i = tensor(new Int32Array(4), { shape: [2, 2] }) as unknown as rk.Tensor<'float32'>;
      expect(() => rk.matmul(i, i)).toThrow(rk.DTypeError);
    });
  });
});

describe('concat and gather', () => {
  it('concat joins along any axis', () => {
    rk.tidy(() => {
      const a = tensor([[1, 2], [3, 4]]);
      const b = tensor([[5], [6]]);
      expect(read(rk.concat([a, b], 1))).toEqual([1, 2, 5, 3, 4, 6]);
      expect(read(rk.concat([a, a.transpose()], 0))).toEqual([1, 2, 3, 4, 1, 3, 2, 4]);
      expect(() => rk.concat([a, b], 0)).toThrow(rk.ShapeError);
      expect(() => rk.concat([])).toThrow(/non-empty array/);
      expect(() => rk.concat([a, tensor(new Int32Array([1, 2]), { shape: [1, 2] }) as unknown as rk.Tensor<'float32'>])).toThrow(rk.DTypeError);
    });
  });

  it('gather picks rows for indices of any shape', () => {
    rk.tidy(() => {
      const table = tensor([[0, 1], [10, 11], [20, 21]]);
      const idx = tensor(new Int32Array([2, 0, 2, 1]), { shape: [2, 2] });
      const g = rk.gather(table, idx);
      expect(g.shape).toEqual([2, 2, 2]);
      expect(read(g)).toEqual([20, 21, 0, 1, 20, 21, 10, 11]);
    });
  });

  it('gather reports an out-of-range index at once, with its position', () => {
    rk.tidy(() => {
      const table = rk.ones([3, 2]);
      const bad = tensor(new Int32Array([0, 1, 3]));
      expect(() => rk.gather(table, bad)).toThrow(rk.IndexError);
      expect(() => rk.gather(table, bad)).toThrow(/indices\[2\] = 3 is out of range \[0, 3\)/);
      expect(() => rk.gather(table, tensor(new Int32Array([-1])))).toThrow(rk.IndexError);
      expect(() => rk.gather(table, tensor([0]) as unknown as rk.Tensor<'int32'>)).toThrow(rk.DTypeError);
    });
  });
});

describe('losses', () => {
  const C = 5;
  const logits = uniform(4 * C, 7, -3, 3);
  const targets = [1, 4, 0, 3];
  const logp = refLogSoftmaxRows(logits, C);
  const perRow = targets.map((t, r) => -logp[r * C + t]!);

  it('crossEntropy: mean, sum and none against a float64 reference', () => {
    rk.tidy(() => {
      const x = tensor(logits, { shape: [4, C] });
      const t = tensor(new Int32Array(targets));
      expectClose(read(rk.crossEntropy(x, t)), [perRow.reduce((a, b) => a + b) / 4], 1e-5);
      expectClose(read(rk.crossEntropy(x, t, { reduction: 'sum' })), [perRow.reduce((a, b) => a + b)], 1e-5);
      expectClose(read(rk.crossEntropy(x, t, { reduction: 'none' })), perRow, 1e-5);
    });
  });

  it('crossEntropy: ignoreIndex rows count for nothing; class axis is the last one', () => {
    rk.tidy(() => {
      const x = tensor(logits, { shape: [2, 2, C] });
      const t = tensor(new Int32Array([1, -100, 0, 3]), { shape: [2, 2] });
      const mean = (perRow[0]! + perRow[2]! + perRow[3]!) / 3;
      expectClose(read(rk.crossEntropy(x, t)), [mean], 1e-5);
      const none = rk.crossEntropy(x, t, { reduction: 'none' });
      expect(none.shape).toEqual([2, 2]);
      expectClose(read(none), [perRow[0]!, 0, perRow[2]!, perRow[3]!], 1e-5);
      const t7 = tensor(new Int32Array([7, 7, 7, 7]), { shape: [2, 2] });
      expect(read(rk.crossEntropy(x, t7, { ignoreIndex: 7 }))[0]).toBeNaN();
    });
  });

  it('crossEntropy rejects bad targets and options', () => {
    rk.tidy(() => {
      const x = tensor(logits, { shape: [4, C] });
      expect(() => rk.crossEntropy(x, tensor(new Int32Array([0, 5, 0, 0])))).toThrow(rk.IndexError);
      expect(() => rk.crossEntropy(x, tensor(new Int32Array([0, 5, 0, 0])))).toThrow(/targets\[1\] = 5 is out of range \[0, 5\)/);
      expect(() => rk.crossEntropy(x, tensor(new Int32Array([0, 1])))).toThrow(rk.ShapeError);
      expect(() => rk.crossEntropy(x, tensor([0, 1, 2, 3]) as unknown as rk.Tensor<'int32'>)).toThrow(rk.DTypeError);
      const t = tensor(new Int32Array(targets));
      expect(() => rk.crossEntropy(x, t, { reduction: 'avg' as 'mean' })).toThrow(/reduction must be one of 'mean', 'sum', 'none'/);
      expect(() => rk.crossEntropy(x, t, { ignoreIndex: NaN })).toThrow(/ignoreIndex must be a finite integer/);
    });
  });

  it('mse: mean, sum and none', () => {
    rk.tidy(() => {
      const p = tensor([1, 2, 3, 4]);
      const q = tensor([2, 2, 1, 0]);
      expect(read(rk.mse(p, q))).toEqual([(1 + 0 + 4 + 16) / 4]);
      expect(read(rk.mse(p, q, { reduction: 'sum' }))).toEqual([21]);
      expect(read(rk.mse(p, q, { reduction: 'none' }))).toEqual([1, 0, 4, 16]);
      expect(() => rk.mse(p, rk.ones([2, 2]))).toThrow(rk.ShapeError);
    });
  });
});

describe('larger shapes', () => {
  it('a 64x300 by 300x70 matmul equals the float64 reference', () => {
    const [M, K, N] = [64, 300, 70];
    const a = uniform(M * K, 11);
    const b = uniform(K * N, 12);
    rk.tidy(() => {
      const got = read(rk.matmul(tensor(a, { shape: [M, K] }), tensor(b, { shape: [K, N] })));
      expectClose(got, refMatmul(a, b, 1, M, K, N), 1e-4);
      expect(got.length).toBe(numel([M, N]));
    });
  });
});
