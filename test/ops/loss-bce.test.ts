// bceWithLogits: values worked out by hand (log 2 at 0, ±100 without overflow), the gradient at
// exactly x = 0, finite differences for logits, targets, weight and posWeight, and bad inputs.

import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { expectClose, gradcheck, input, settledMemory, uniform } from '../helpers.js';

const read = (t: rk.Tensor): number[] => Array.from(t.dataSync());

describe('bceWithLogits', () => {
  it('matches values worked out by hand, with no overflow at ±100', () => {
    rk.tidy(() => {
      // x = 0: log 2 whatever the target. x = ±100: 0 when right, 100 when wrong.
      const x = rk.tensor([[0, 0, 100, -100, 100, -100]], { requiresGrad: true });
      const y = rk.tensor([[1, 0, 1, 0, 0, 1]]);
      const loss = rk.bceWithLogits(x, y, { reduction: 'none' });
      expectClose(read(loss), [Math.LN2, Math.LN2, 0, 0, 100, 100], 1e-6);
      loss.backward({ gradient: rk.ones([1, 6]) });
      // d/dx = σ(x) − y: exactly ∓1/2 at 0 (the kink of |x| must not leak in).
      expectClose(read(x.grad!), [-0.5, 0.5, 0, 0, 1, -1], 1e-7);
      // Soft target 0.25 at x = 1: −[0.25·log σ(1) + 0.75·log(1 − σ(1))] = 1.0632616875.
      expectClose(read(rk.bceWithLogits(rk.tensor([1]), rk.tensor([0.25]))), [1.0632616875], 1e-6);
      // posWeight 3 scales the positive term: 3·log(1 + e^-1) = 0.9398064; weight 0.5 halves it.
      const pos = rk.bceWithLogits(rk.tensor([[1, 1]]), rk.tensor([[1, 0]]), { posWeight: rk.tensor([3, 3]), weight: rk.tensor([0.5]), reduction: 'sum' });
      expectClose(read(pos), [0.5 * (3 * 0.31326168752 + 1.31326168752)], 1e-6);
    });
  });

  it('reductions: mean over every element, sum, none keeps the shape', () => {
    rk.tidy(() => {
      const x = rk.tensor(uniform(24, 7, -3, 3), { shape: [2, 3, 4] });
      const y = rk.tensor(uniform(24, 8, 0, 1), { shape: [2, 3, 4] });
      const none = read(rk.bceWithLogits(x, y, { reduction: 'none' }));
      expect(none).toHaveLength(24);
      const total = none.reduce((a, b) => a + b, 0);
      expectClose(read(rk.bceWithLogits(x, y, { reduction: 'sum' })), [total], 1e-5);
      expectClose(read(rk.bceWithLogits(x, y)), [total / 24], 1e-6);
    });
  });

  it('gradients match finite differences for logits, targets, weight and posWeight', () => {
    const opts = { eps: 1e-2, atol: 2e-3, rtol: 2e-2 };
    const targets = rk.tensor(uniform(12, 3, 0, 1), { shape: [3, 4] });
    const weight = rk.tensor([0.5, 1, 2], { shape: [3, 1] });
    const posWeight = rk.tensor([0.5, 1, 2, 4]);
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      gradcheck((x) => rk.bceWithLogits(x, targets, { reduction }), [input([3, 4], 51, -4, 4)], opts);
      gradcheck((x) => rk.bceWithLogits(x, targets, { reduction, weight, posWeight }), [input([3, 4], 52, -4, 4)], opts);
      gradcheck((x, y) => rk.bceWithLogits(x, y, { reduction, posWeight }), [input([3, 4], 53, -3, 3), input([3, 4], 54, 0, 1)], opts);
      gradcheck((x, w, pw) => rk.bceWithLogits(x, targets, { reduction, weight: w, posWeight: pw }), [
        input([3, 4], 55, -3, 3),
        input([4], 56, 0.2, 2),
        input([4], 57, 0.2, 3),
      ], opts);
    }
    for (const t of [targets, weight, posWeight]) t.dispose();
  });

  it('leaves no tensors behind, forward and backward, with or without weights (crossEntropy weight too)', async () => {
    const x = rk.tensor(uniform(12, 9, -3, 3), { shape: [3, 4], requiresGrad: true });
    const y = rk.tensor(uniform(12, 10, 0, 1), { shape: [3, 4] });
    const weight = rk.tensor([1, 2, 3], { shape: [3, 1] });
    const posWeight = rk.tensor([0.5, 1, 2, 4]);
    const classes = rk.tensor(new Int32Array([0, 3, 1]));
    const step = (): void => {
      rk.bceWithLogits(x, y).backward();
      rk.bceWithLogits(x, y, { weight, posWeight, reduction: 'sum' }).backward();
      rk.crossEntropy(x, classes, { weight: posWeight, labelSmoothing: 0.1 }).backward();
      x.grad!.dispose();
      x.grad = null;
    };
    step();
    const baseline = await settledMemory();
    for (let i = 0; i < 5; i++) step();
    expect(await settledMemory()).toEqual(baseline);
    for (const t of [x, y, weight, posWeight, classes]) t.dispose();
  });

  it('rejects bad inputs with typed errors naming the argument', () => {
    rk.tidy(() => {
      const x = rk.zeros([3, 4]);
      const y = rk.zeros([3, 4]);
      const bce = (a: unknown, b: unknown, o?: unknown) => () => rk.bceWithLogits(a as rk.Tensor<'float32'>, b as rk.Tensor<'float32'>, o as rk.BceWithLogitsOptions);
      expect(bce(x, rk.zeros([3, 4], { dtype: 'int32' }))).toThrow(rk.DTypeError);
      expect(bce(x, rk.zeros([3, 4], { dtype: 'int32' }))).toThrow(/bceWithLogits: targets must be float32 labels \(multi-hot 0\/1 or soft labels in \[0, 1\]; class indices go to crossEntropy\), got int32/);
      expect(bce(rk.zeros([3, 4], { dtype: 'int32' }), y)).toThrow(/bceWithLogits: logits must be float32/);
      expect(bce(x, rk.zeros([3]))).toThrow(rk.ShapeError);
      expect(bce(x, rk.zeros([3]))).toThrow(/bceWithLogits: targets \[3\] must have the shape of logits \[3, 4\]/);
      expect(bce(x, [0, 1])).toThrow(/bceWithLogits: targets must be a Tensor, got an array of length 2/);
      expect(bce(x, y, { posWeight: rk.ones([3]) })).toThrow(rk.ShapeError);
      expect(bce(x, y, { posWeight: rk.ones([3]) })).toThrow(/bceWithLogits: options.posWeight must have shape \[4\] \(one weight per class, the last axis of logits \[3, 4\]\), got \[3\]/);
      expect(bce(x, y, { posWeight: rk.ones([3, 4]) })).toThrow(/options.posWeight must have shape \[4\]/);
      expect(bce(x, y, { posWeight: rk.ones([4], { dtype: 'int32' }) })).toThrow(rk.DTypeError);
      expect(bce(x, y, { posWeight: 2 })).toThrow(/options.posWeight must be a Tensor/);
      expect(bce(x, y, { weight: rk.ones([2]) })).toThrow(rk.ShapeError);
      expect(bce(x, y, { weight: rk.ones([2]) })).toThrow(/bceWithLogits: options.weight \[2\] must broadcast to the logits' shape \[3, 4\]/);
      expect(bce(x, y, { weight: rk.ones([2, 3, 4]) })).toThrow(/options.weight \[2, 3, 4\] must broadcast/);
      expect(bce(x, y, { weight: rk.ones([4], { dtype: 'int32' }) })).toThrow(/options.weight must be float32/);
      expect(bce(x, y, { reduction: 'avg' })).toThrow(rk.ArgumentError);
      expect(bce(x, y, { reduction: 'avg' })).toThrow(/bceWithLogits: options.reduction must be one of 'mean', 'sum', 'none', got 'avg'/);
      expect(bce(x, y, { pos_weight: rk.ones([4]) })).toThrow(/bceWithLogits: unknown option 'pos_weight'/);
      expect(bce(x, y, 'mean')).toThrow(/bceWithLogits: options must be an object/);
    });
  });
});
