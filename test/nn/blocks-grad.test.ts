// Finite differences for the composed layers' backward passes (every one comes from the tape):
// input gradients through gradcheck, parameter gradients by perturbing each parameter entry
// through loadStateDict. float32 forward, float64 accumulation of the probe, eps 1e-2.

import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { layerNorm } from '../../lib/ops/norm.js';
import { conv1d } from '../../lib/ops/conv.js';
import { expectClose, gradcheck, input, uniform } from '../helpers.js';

/**
 * Checks every parameter gradient of `module` for L = sum(f() * w) against central differences,
 * each entry moved by ±eps in a copy of the state dict (the layer itself is never modified in place).
 */
function paramGradcheck(module: rk.nn.Module, f: () => rk.Tensor<'float32'>, { eps = 1e-2, atol = 1e-3, rtol = 1e-2 } = {}): void {
  for (const p of module.parameters()) {
    p.grad?.dispose(); // what an earlier gradcheck through the module left
    p.grad = null;
  }
  let w: rk.Tensor<'float32'> | null = null;
  rk.tidy(() => {
    const out = f();
    w = rk.keep(rk.tensor(uniform(out.size, 77), { shape: [...out.shape] }));
    rk.sum(rk.mul(out, w)).backward();
  });
  const loss = (): number => rk.noGrad(() => rk.tidy(() => rk.sum(rk.mul(f(), w!)).item()));
  const original = Object.fromEntries(module.namedParameters().map(([n, p]) => [n, Array.from(p.dataSync())]));
  const load = (name: string, values: number[]) =>
    rk.tidy(() => module.loadStateDict({ [name]: rk.tensor(values, { shape: [...module.stateDict()[name]!.shape] }) }, { strict: false }));
  for (const [name, p] of module.namedParameters()) {
    expect(p.grad, `${name} got no gradient`).not.toBeNull();
    const analytic = Array.from(p.grad!.dataSync());
    const base = original[name]!;
    const numeric = base.map((v, j) => {
      const moved = base.slice();
      moved[j] = v + eps;
      load(name, moved);
      const up = loss();
      moved[j] = v - eps;
      load(name, moved);
      const down = loss();
      return (up - down) / (2 * eps);
    });
    load(name, base);
    expectClose(analytic, numeric, atol, rtol);
    p.grad!.dispose();
    p.grad = null;
  }
  (w as rk.Tensor | null)?.dispose();
}

describe('LayerNorm backward', () => {
  it('matches finite differences in x, weight and bias (one and two normalized axes)', () => {
    gradcheck((x, wt, b) => layerNorm(x, 1, wt, b, 1e-5), [input([3, 2, 5], 1, -2, 2), input([5], 2, 0.5, 1.5), input([5], 3)]);
    gradcheck((x, wt) => layerNorm(x, 2, wt, null, 1e-5), [input([2, 3, 4], 4, -2, 2), input([3, 4], 5, 0.5, 1.5)]);
    gradcheck((x) => layerNorm(x, 1, null, null, 1e-3), [input([4, 6], 6)]);
  });

  it('module parameters: finite differences', () => {
    rk.seed(1);
    const ln = new rk.nn.LayerNorm(4);
    ln.loadStateDict({ weight: rk.tensor(uniform(4, 8, 0.5, 1.5)), bias: rk.tensor(uniform(4, 9)) });
    const x = rk.tensor(uniform(12, 10, -2, 2), { shape: [3, 4] });
    paramGradcheck(ln, () => ln.forward(x));
  });
});

describe('Conv1d backward', () => {
  const geometries = [
    { stride: 1, padding: [0, 0] as const, dilation: 1, groups: 1 },
    { stride: 2, padding: [1, 1] as const, dilation: 1, groups: 1 },
    { stride: 3, padding: [2, 2] as const, dilation: 2, groups: 2 },
    { stride: 1, padding: [1, 2] as const, dilation: 1, groups: 1 },
  ];
  for (const g of geometries) {
    it(`matches finite differences in x, weight and bias (stride ${g.stride}, padding ${g.padding.join('+')}, dilation ${g.dilation}, groups ${g.groups})`, () => {
      const cin = 4;
      const cout = 2 * g.groups;
      gradcheck((x, w, b) => conv1d(x, w, b, g), [input([2, cin, 9], 11), input([cout, cin / g.groups, 3], 12), input([cout], 13)]);
    });
  }

  it('the module (unbatched input, no bias): finite differences in x and weight', () => {
    rk.seed(2);
    const conv = new rk.nn.Conv1d(3, 2, 2, { padding: 'same', bias: false });
    gradcheck((x) => conv.forward(x), [input([3, 6], 14)]);
    const x = rk.tensor(uniform(18, 15), { shape: [3, 6] });
    paramGradcheck(conv, () => conv.forward(x));
  });
});

describe('MultiheadAttention backward', () => {
  it('matches finite differences in query, key and value with a key padding mask and an attention mask', () => {
    rk.seed(3);
    const mha = new rk.nn.MultiheadAttention(4, 2, { kdim: 3, vdim: 5 });
    const attnMask = rk.tensor(uniform(3 * 4, 16), { shape: [3, 4] });
    gradcheck(
      (q, k, v) => {
        const { output, weights } = mha.forward(q, k, v, { lengths: [4, 2], attnMask });
        return rk.concat([output.reshape([-1]), weights!.reshape([-1])]);
      },
      [input([2, 3, 4], 17), input([2, 4, 3], 18), input([2, 4, 5], 19)],
    );
  });

  it('sequence first, self-attention, per-head weights: finite differences in the input and every parameter', () => {
    rk.seed(4);
    const mha = new rk.nn.MultiheadAttention(4, 2, { batchFirst: false });
    // PyTorch zeroes the biases at init: random ones make their gradients count.
    mha.loadStateDict({ in_proj_bias: rk.tensor(uniform(12, 20)), 'out_proj.bias': rk.tensor(uniform(4, 21)) }, { strict: false });
    const f = (x: rk.Tensor<'float32'>) => {
      const { output, weights } = mha.forward(x, x, x, { averageAttnWeights: false, lengths: [3, 2] });
      return rk.concat([output.reshape([-1]), weights!.reshape([-1])]);
    };
    gradcheck(f, [input([3, 2, 4], 22)]);
    const x = rk.tensor(uniform(24, 23), { shape: [3, 2, 4] });
    paramGradcheck(mha, () => f(x));
  });
});

describe('AttentionPooling backward', () => {
  it('matches finite differences in x and every parameter, with lengths', () => {
    rk.seed(5);
    const pool = new rk.nn.AttentionPooling(3, { hiddenSize: 4 });
    const f = (x: rk.Tensor<'float32'>) => {
      const { output, weights } = pool.attend(x, { lengths: [4, 1, 3] });
      return rk.concat([output.reshape([-1]), weights.reshape([-1])]);
    };
    gradcheck(f, [input([3, 4, 3], 24, -2, 2)]);
    const x = rk.tensor(uniform(36, 25, -2, 2), { shape: [3, 4, 3] });
    paramGradcheck(pool, () => f(x));
  });
});
