// dropout and nn.Dropout: mask statistics, exact scaling, seeding, eval mode, gradients, errors.

import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { native } from '../../lib/native.js';
import { expectClose, gradcheck, input, settledMemory, uniform } from '../helpers.js';

const read = (t: rk.Tensor): number[] => Array.from(t.dataSync());

describe('dropout', () => {
  it('keeps a fraction 1-p of 100k elements (within 4 standard errors) and scales kept ones by exactly 1/(1-p)', () => {
    const n = 100_000;
    const p = 0.3;
    const scale = Math.fround(1 / (1 - p));
    rk.tidy(() => {
      rk.seed(1);
      const x = rk.tensor(uniform(n, 7, 0.5, 2));
      const xs = read(x);
      const y = read(rk.dropout(x, p));
      let kept = 0;
      for (let i = 0; i < n; i++) {
        if (y[i] === 0) continue;
        kept++;
        // float32 x times the float32 scale, rounded once: exactly what the kernel computes.
        if (y[i] !== Math.fround(xs[i]! * scale)) throw new Error(`element ${i}: ${y[i]} is neither 0 nor x * 1/(1-p)`);
      }
      const se = Math.sqrt((p * (1 - p)) / n);
      expect(Math.abs(kept / n - (1 - p))).toBeLessThan(4 * se);
      // Dropped elements are spread out, not clustered: the first and second halves agree too.
      const half = y.slice(0, n / 2).filter((v) => v !== 0).length / (n / 2);
      expect(Math.abs(half - (1 - p))).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / (n / 2)));
    });
  });

  it('the native op returns the mask (0 or 1/(1-p)) and output = x * mask, on strided views too', () => {
    const p = 0.5;
    rk.tidy(() => {
      const x = rk.tensor(uniform(12, 3), { shape: [3, 4] });
      const xt = x.transpose(); // [4, 3], non-contiguous
      const { output, mask } = native.dropout(xt.handleFor('test', 'x'), p, 1234);
      const out = new rk.Tensor<'float32'>(output);
      const m = new rk.Tensor<'float32'>(mask);
      expect(m.shape).toEqual([4, 3]);
      const mv = read(m);
      const xv = read(xt);
      expect(mv.every((v) => v === 0 || v === 2)).toBe(true);
      expect(mv.some((v) => v === 0) && mv.some((v) => v === 2)).toBe(true);
      expect(read(out)).toEqual(xv.map((v, i) => Math.fround(v * mv[i]!)));
      // The mask depends on (seed, row-major index) only: the same seed on a contiguous copy agrees.
      const again = native.dropout(rk.contiguous(xt).handleFor('test', 'x'), p, 1234);
      const m2 = new rk.Tensor<'float32'>(again.mask);
      new rk.Tensor<'float32'>(again.output).dispose();
      expect(read(m2)).toEqual(mv);
    });
  });

  it('the same seed gives the same mask; another seed another', () => {
    rk.tidy(() => {
      const x = rk.ones([1000]);
      rk.seed(42);
      const a = read(rk.dropout(x, 0.4));
      const b = read(rk.dropout(x, 0.4));
      rk.seed(42);
      const c = read(rk.dropout(x, 0.4));
      expect(c).toEqual(a);
      expect(b).not.toEqual(a);
    });
  });

  it('is the identity when not training, for p = 0, and for nn.Dropout in eval mode', () => {
    rk.tidy(() => {
      const x = rk.tensor(uniform(20, 5), { shape: [4, 5] });
      const xs = read(x);
      const evalOut = rk.dropout(x, 0.9, { training: false });
      expect(evalOut).not.toBe(x);
      expect(evalOut.shape).toEqual([4, 5]);
      expect(read(evalOut)).toEqual(xs);
      expect(read(rk.dropout(x, 0))).toEqual(xs);
      const layer = new rk.nn.Dropout(0.5);
      expect(layer.p).toBe(0.5);
      expect(new rk.nn.Dropout().p).toBe(0.5);
      const trained = read(layer.forward(x));
      expect(trained.some((v) => v === 0)).toBe(true);
      expect(trained.filter((v) => v !== 0).length).toBeGreaterThan(0);
      layer.eval();
      expect(read(layer.forward(x))).toEqual(xs);
      layer.train();
      expect(read(layer.forward(x)).some((v) => v === 0)).toBe(true);
    });
  });

  it('backward is grad * mask (finite differences with a fixed mask)', () => {
    // Re-seeding inside fn gives every evaluation (backward pass and probes) the same mask.
    gradcheck((x) => {
      rk.seed(3);
      return rk.dropout(x, 0.4);
    }, [input([3, 5], 1)]);
    // Eval mode passes the gradient through unchanged.
    gradcheck((x) => rk.dropout(x, 0.4, { training: false }), [input([2, 3], 2)]);
    // The gradient of sum(dropout(x)) is the mask itself.
    rk.tidy(() => {
      const x = rk.tensor(uniform(50, 9), { requiresGrad: true });
      rk.seed(8);
      const mask = read(rk.noGrad(() => rk.dropout(rk.ones([50]), 0.25)));
      rk.seed(8);
      rk.sum(rk.dropout(x, 0.25)).backward();
      expectClose(read(x.grad!), mask, 0);
      x.grad!.dispose();
    });
  });

  it('nn.Dropout backpropagates through its mask', () => {
    const layer = new rk.nn.Dropout(0.3);
    gradcheck((x) => {
      rk.seed(17);
      return layer.forward(x);
    }, [input([4, 3], 4)]);
  });

  it('frees its mask with the graph', async () => {
    const before = await settledMemory();
    rk.tidy(() => {
      const x = rk.tensor(uniform(64, 1), { requiresGrad: true });
      rk.sum(rk.dropout(x, 0.5)).backward();
      x.grad!.dispose();
      x.dispose();
    });
    const after = await settledMemory();
    expect(after.tensors).toBe(before.tensors);
    expect(after.bytes).toBe(before.bytes);
  });

  it('rejects bad arguments with typed errors naming them', () => {
    rk.tidy(() => {
      const x = rk.ones([3]);
      for (const p of [1, -0.1, 1.5, Number.NaN, Infinity]) {
        expect(() => rk.dropout(x, p)).toThrow(rk.ArgumentError);
        expect(() => rk.dropout(x, p)).toThrow(/dropout: p must be a probability in \[0, 1\)/);
      }
      expect(() => rk.dropout(x, '0.5' as unknown as number)).toThrow(/dropout: p must be .*got/);
      expect(() => rk.dropout(rk.tensor(new Int32Array([1, 2])) as unknown as rk.Tensor<'float32'>, 0.5)).toThrow(rk.DTypeError);
      expect(() => rk.dropout([1, 2] as unknown as rk.Tensor<'float32'>, 0.5)).toThrow(/dropout: x must be a Tensor/);
      expect(() => rk.dropout(x, 0.5, { training: 'yes' as unknown as boolean })).toThrow(/dropout: options.training must be true or false/);
      expect(() => rk.dropout(x, 0.5, { train: true } as unknown as rk.DropoutOptions)).toThrow(/unknown option 'train'/);
      expect(() => new rk.nn.Dropout(1)).toThrow(rk.ArgumentError);
      expect(() => new rk.nn.Dropout(-1)).toThrow(/nn.Dropout: p must be a probability in \[0, 1\), got -1/);
      // The native op checks too.
      const h = x.handleFor('test', 'x');
      expect(() => native.dropout(h, 1, 0)).toThrow(/dropout: p must be in \[0, 1\), got 1/);
      expect(() => native.dropout(h, 0.5, Number.NaN)).toThrow(/dropout: seed must be a finite number/);
    });
  });
});
