// Metrics against hand-computed values.

import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';

const logits = () =>
  rk.tensor([
    [2, 1, 0], // predicts 0
    [0, 3, 1], // predicts 1
    [1, 0, 5], // predicts 2
    [4, 0, 3], // predicts 0
    [0, 2, 2.5], // predicts 2
  ]);
const targets = () => rk.tensor(new Int32Array([0, 1, 0, 2, -100]));

describe('metrics', () => {
  it('accuracy and top-k count only non-ignored targets', async () => {
    const acc = new rk.train.Accuracy();
    const top2 = new rk.train.TopKAccuracy(2);
    await acc.update(logits(), targets());
    await top2.update(logits(), targets());
    expect(acc.name).toBe('accuracy');
    expect(acc.compute()).toBe(2 / 4);
    // top-2: row0 ✓, row1 ✓, row2 (target 0 scores 1, second highest) ✓, row3 (target 2 scores 3) ✓
    expect(top2.compute()).toBe(1);
    acc.reset();
    expect(acc.compute()).toBeNaN();
  });

  it('macro-F1 averages per-class F1 over the classes seen', async () => {
    const f1 = new rk.train.MacroF1();
    await f1.update(logits(), targets());
    // class 0: tp 1 (row0), fp 1 (row3), fn 1 (row2) → 2/4; class 1: tp 1 → 1; class 2: fp 1 (row2), fn 1 (row3) → 0
    expect(f1.compute()).toBeCloseTo((0.5 + 1 + 0) / 3, 12);
  });

  it('perplexity is exp of the mean cross-entropy', async () => {
    const ppl = new rk.train.Perplexity();
    const x = [[1, 2], [0, 0]];
    await ppl.update(rk.tensor(x), rk.tensor(new Int32Array([1, 0])));
    const ce = [Math.log(Math.exp(1) + Math.exp(2)) - 2, Math.log(2)];
    expect(ppl.compute()).toBeCloseTo(Math.exp((ce[0]! + ce[1]!) / 2), 6);
  });

  it('rejects mismatched shapes, out-of-range targets and bad options', async () => {
    const acc = new rk.train.Accuracy();
    await expect(acc.update(logits(), rk.tensor(new Int32Array([0, 1])))).rejects.toThrow(rk.ShapeError);
    await expect(acc.update(logits(), rk.tensor(new Int32Array([0, 1, 3, 0, 0])))).rejects.toThrow(/targets\[2\] = 3 is out of range \[0, 3\)/);
    expect(() => new rk.train.TopKAccuracy(0)).toThrow(rk.ArgumentError);
    expect(() => new rk.train.MacroF1({ ignore: 1 } as rk.train.MetricOptions)).toThrow(/unknown option 'ignore'/);
  });
});
