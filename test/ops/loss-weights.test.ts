// crossEntropy's weight option: a value worked out by hand, agreement with the fused kernel for
// equal weights, finite differences through the composed backward, and every bad input.

import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { expectClose, gradcheck, input, uniform } from '../helpers.js';

const read = (t: rk.Tensor): number[] => Array.from(t.dataSync());

const B = 3;
const T = 4;
const C = 5;
const lengths = [4, 1, 2];
// Past each length: junk (out of range) that lengths must ignore.
const targetsValues = [0, 4, 2, 1, 3, 77, -5, 99, 2, 2, 1000, -1];
const classWeights = [0.5, 2, 1, 0.25, 3];

describe('crossEntropy weight', () => {
  it("matches PyTorch's formula worked out by hand", () => {
    rk.tidy(() => {
      // logits [1, 2, 3] -> -logp = [2.4076059644, 1.4076059644, 0.4076059644]; weights [2, 1, 0.5].
      const x = rk.tensor([[1, 2, 3], [1, 2, 3]]);
      const weight = rk.tensor([2, 1, 0.5]);
      const t = rk.tensor(new Int32Array([0, 2]));
      // 'none': w[y]·(-logp[y]) = [4.8152119288, 0.2038029822].
      expectClose(read(rk.crossEntropy(x, t, { weight, reduction: 'none' })), [4.8152119288, 0.2038029822], 1e-6);
      // 'mean' divides by w[0] + w[2] = 2.5: 5.019014911 / 2.5 = 2.0076059644.
      expectClose(read(rk.crossEntropy(x, t, { weight })), [2.0076059644], 1e-6);
      // Smoothing 0.3: each row adds (0.3 / 3)·Σ_c w_c·(-logp_c) = 0.1·6.4266178932, the target term
      // is scaled by 0.7: [0.7·4.8152119288 + 0.6426617893, 0.7·0.2038029822 + 0.6426617893].
      const none = [0.7 * 4.8152119288 + 0.64266178932, 0.7 * 0.2038029822 + 0.64266178932];
      expectClose(read(rk.crossEntropy(x, t, { weight, labelSmoothing: 0.3, reduction: 'none' })), none, 1e-6);
      expectClose(read(rk.crossEntropy(x, t, { weight, labelSmoothing: 0.3 })), [(none[0]! + none[1]!) / 2.5], 1e-6);
    });
  });

  it('equal weights give the fused kernel\'s loss and gradient; scaling them leaves mean unchanged', () => {
    const logits = uniform(B * T * C, 5, -3, 3);
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      for (const eps of [0, 0.2]) {
        rk.tidy(() => {
          const t = rk.tensor(Int32Array.from(targetsValues), { shape: [B, T] });
          const run = (weight?: number): { loss: number[]; grad: number[] } => {
            const x = rk.tensor(logits, { shape: [B, T, C], requiresGrad: true });
            const loss = rk.crossEntropy(x, t, { reduction, labelSmoothing: eps, lengths, ...(weight === undefined ? {} : { weight: rk.full([C], weight) }) });
            rk.sum(loss).backward();
            return { loss: read(loss), grad: read(x.grad!) };
          };
          const fused = run();
          const ones = run(1);
          expectClose(ones.loss, fused.loss, 1e-5, 1e-6);
          expectClose(ones.grad, fused.grad, 1e-6, 1e-5);
          if (reduction === 'mean') expectClose(run(3).loss, fused.loss, 1e-5, 1e-6);
          else expectClose(run(3).loss, fused.loss.map((v) => 3 * v), 1e-5, 1e-6);
        });
      }
    }
  });

  it('gradients match finite differences', () => {
    const weight = rk.tensor(classWeights);
    const t = rk.tensor(Int32Array.from(targetsValues), { shape: [B, T] });
    const t2 = rk.tensor(new Int32Array([0, 3, 2, 1, 2, 4]), { shape: [2, 3] });
    const opts = { eps: 1e-2, atol: 2e-3, rtol: 2e-2 };
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      gradcheck((x) => rk.crossEntropy(x, t, { weight, reduction, lengths, labelSmoothing: 0.4 }), [input([B, T, C], 41, -2, 2)], opts);
      gradcheck((x) => rk.crossEntropy(x, t2, { weight, reduction, ignoreIndex: 2 }), [input([2, 3, 5], 42, -2, 2)], opts);
      gradcheck((x) => rk.crossEntropy(x, rk.tensor(new Int32Array([1, 0, 4])), { weight, reduction, labelSmoothing: 1 }), [input([3, 5], 43, -2, 2)], opts);
    }
    weight.dispose();
    t.dispose();
    t2.dispose();
  });

  it('every target ignored gives NaN for mean, 0 for sum (as PyTorch)', () => {
    rk.tidy(() => {
      const x = rk.tensor(uniform(6, 2), { shape: [1, 2, 3] });
      const t = rk.tensor(new Int32Array([-100, 1]), { shape: [1, 2] });
      const weight = rk.tensor([1, 2, 3]);
      expect(Number.isNaN(read(rk.crossEntropy(x, t, { weight, lengths: [1], labelSmoothing: 0.1 }))[0]!)).toBe(true);
      expect(read(rk.crossEntropy(x, t, { weight, lengths: [1], reduction: 'sum' }))).toEqual([0]);
    });
  });

  it('rejects bad weights and targets with typed errors naming the argument', () => {
    rk.tidy(() => {
      const x = rk.tensor(uniform(B * T * C, 3), { shape: [B, T, C] });
      const t = rk.tensor(Int32Array.from(targetsValues.map((v) => (v >= 0 && v < C ? v : 0))), { shape: [B, T] });
      const ce = (options: rk.CrossEntropyOptions, targets: rk.Tensor<'int32'> = t) => () => rk.crossEntropy(x, targets, options);
      expect(ce({ weight: rk.tensor([1, 2, 3]) })).toThrow(rk.ShapeError);
      expect(ce({ weight: rk.tensor([1, 2, 3]) })).toThrow(/crossEntropy: options.weight must have shape \[5\] \(one weight per class of logits \[3, 4, 5\]\), got \[3\]/);
      expect(ce({ weight: rk.ones([1, 5]) })).toThrow(/options.weight must have shape \[5\]/);
      expect(ce({ weight: rk.tensor(new Int32Array([1, 1, 1, 1, 1])) as unknown as rk.Tensor<'float32'> })).toThrow(rk.DTypeError);
      expect(ce({ weight: rk.tensor(new Int32Array([1, 1, 1, 1, 1])) as unknown as rk.Tensor<'float32'> })).toThrow(/options.weight must be float32/);
      expect(ce({ weight: [1, 1, 1, 1, 1] as unknown as rk.Tensor<'float32'> })).toThrow(rk.ArgumentError);
      expect(ce({ weight: [1, 1, 1, 1, 1] as unknown as rk.Tensor<'float32'> })).toThrow(/crossEntropy: options.weight must be a Tensor, got an array of length 5/);
      expect(ce({ weight: rk.ones([5], { requiresGrad: true }) })).toThrow(/options.weight requires grad/);
      const disposed = rk.ones([5]);
      disposed.dispose();
      expect(ce({ weight: disposed })).toThrow(rk.DisposedError);
      // Targets inside the lengths are range-checked; junk past them is not.
      const bad = Int32Array.from(targetsValues);
      bad[4] = 9;
      const weight = rk.tensor(classWeights);
      expect(ce({ weight, lengths }, rk.tensor(bad, { shape: [B, T] }))).toThrow(rk.IndexError);
      expect(ce({ weight, lengths }, rk.tensor(bad, { shape: [B, T] }))).toThrow(/crossEntropy: targets\[1, 0\] = 9 is out of range \[0, 5\)/);
      expect(ce({ weight, lengths }, rk.tensor(Int32Array.from(targetsValues), { shape: [B, T] }))).not.toThrow();
      expect(ce({ weight }, rk.tensor(new Int32Array(B * T), { shape: [B * T] }))).toThrow(rk.ShapeError);
      expect(ce({ weight }, rk.tensor(new Int32Array(B * T), { shape: [B * T] }))).toThrow(/targets \[12\] must have the shape of logits \[3, 4, 5\] without its class axis/);
      expect(ce({ weight }, rk.zeros([B, T]) as unknown as rk.Tensor<'int32'>)).toThrow(rk.DTypeError);
    });
  });
});
