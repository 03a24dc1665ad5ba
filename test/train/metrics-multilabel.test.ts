// Multi-label metrics (micro-F1, subset accuracy) against hand-counted values; the class-id
// metrics refuse multi-hot targets and the multi-label ones refuse class ids.

import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';

// Predicted labels at threshold 0.5 (logit >= 0): row0 {0, 2}, row1 {1}, row2 {}, row3 {0, 1, 2}.
const logits = () =>
  rk.tensor([
    [2, -1, 0],
    [-3, 0.5, -0.1],
    [-1, -2, -5],
    [4, 1, 3],
  ]);
// True labels: row0 {0, 2}, row1 {1, 2}, row2 {}, row3 {0}. Soft 0.6 counts as a label, 0.4 not.
const targets = () =>
  rk.tensor([
    [1, 0, 1],
    [0, 1, 0.6],
    [0, 0.4, 0],
    [1, 0, 0],
  ]);

describe('multi-label metrics', () => {
  it('micro-F1 sums TP, FP, FN over every label of every example', async () => {
    const f1 = new rk.train.MicroF1();
    expect(f1.name).toBe('microF1');
    expect(f1.compute()).toBeNaN();
    await f1.update(logits(), targets());
    // TP: row0 2, row1 1, row3 1 = 4; FP: row3 {1, 2} = 2; FN: row1 {2} = 1 → 8 / 11.
    expect(f1.compute()).toBeCloseTo(8 / 11, 12);
    // A second batch accumulates: row [5, 5, 5] vs {1}: TP 1, FP 2 → 2·5 / (2·5 + 4 + 1) = 10 / 15.
    await f1.update(rk.tensor([[5, 5, 5]]), rk.tensor([[0, 1, 0]]));
    expect(f1.compute()).toBeCloseTo(10 / 15, 12);
    f1.reset();
    expect(f1.compute()).toBeNaN();
    // No true and no predicted label anywhere: 0, as scikit-learn's zero_division default.
    await f1.update(rk.tensor([[-1, -1]]), rk.zeros([1, 2]));
    expect(f1.compute()).toBe(0);
  });

  it('subset accuracy counts the examples with every label right', async () => {
    const acc = new rk.train.SubsetAccuracy();
    expect(acc.name).toBe('subsetAccuracy');
    await acc.update(logits(), targets());
    // row0 exact, row1 misses 2, row2 exact (no labels), row3 has two extra.
    expect(acc.compute()).toBe(2 / 4);
  });

  it('threshold moves the cut on sigmoid(logit); [batch, time, classes] rows count one by one', async () => {
    // sigmoid(0.5) = 0.622, sigmoid(2) = 0.881: threshold 0.7 drops row1's label 1 and row0's label 2.
    const acc = new rk.train.SubsetAccuracy({ threshold: 0.7 });
    await acc.update(logits(), targets());
    expect(acc.compute()).toBe(1 / 4); // only row2 is still exact
    const f1 = new rk.train.MicroF1();
    await f1.update(rk.reshape(logits(), [2, 2, 3]), rk.reshape(targets(), [2, 2, 3]));
    expect(f1.compute()).toBeCloseTo(8 / 11, 12);
  });

  it('rejects targets of the other kind, mismatched shapes and bad options with typed errors', async () => {
    const f1 = new rk.train.MicroF1();
    await expect(f1.update(logits(), rk.tensor(new Int32Array([0, 1, 2, 0])))).rejects.toThrow(rk.DTypeError);
    await expect(f1.update(logits(), rk.tensor(new Int32Array([0, 1, 2, 0])))).rejects.toThrow(/microF1: targets must be float32 multi-hot labels \[\.\.\., classes\], got int32/);
    await expect(f1.update(logits(), rk.zeros([4, 2]))).rejects.toThrow(rk.ShapeError);
    await expect(f1.update(logits(), rk.zeros([4, 2]))).rejects.toThrow(/targets \[4, 2\] must have the shape of logits \[4, 3\]/);
    const acc = new rk.train.Accuracy();
    await expect(acc.update(logits(), targets())).rejects.toThrow(rk.DTypeError);
    await expect(acc.update(logits(), targets())).rejects.toThrow(/accuracy: targets must be int32 class ids, got float32/);
    for (const threshold of [0, 1, -0.5, Number.NaN]) {
      expect(() => new rk.train.SubsetAccuracy({ threshold })).toThrow(rk.ArgumentError);
      expect(() => new rk.train.SubsetAccuracy({ threshold })).toThrow(/SubsetAccuracy: options.threshold must be a number in \(0, 1\)/);
    }
    expect(() => new rk.train.MicroF1({ cut: 0.5 } as rk.train.MultiLabelMetricOptions)).toThrow(/MicroF1: unknown option 'cut'/);
  });
});
