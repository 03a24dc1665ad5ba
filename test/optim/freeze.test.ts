// Freezing: requiresGrad = false on a parameter (or Module.freeze()) stops its gradient, optimizers
// accept it and skip it (its bytes stay exactly as they were, even with weight decay), clipping and
// the GradScaler leave it out; after unfreezing it trains, its optimizer state created at its first
// real step (checked against Adam's first-step formula). RNN parameters are views into one flat
// buffer: freezing one view must leave exactly its bytes alone while the others train.

import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { expectClose, uniform } from '../helpers.js';

const bytesOf = (ps: readonly rk.Tensor[]): number[][] => ps.map((p) => Array.from(p.dataSync()));

function model(seed: number) {
  rk.seed(seed);
  const lstm = new rk.nn.LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true });
  const head = new rk.nn.Linear(8, 2);
  const x = rk.tensor(uniform(2 * 5 * 3, seed + 1), { shape: [2, 5, 3] });
  const target = rk.tensor(uniform(2 * 5 * 2, seed + 2), { shape: [2, 5, 2] });
  const loss = (): rk.Tensor<'float32'> => rk.mse(head.forward(lstm.forward(x).output), target);
  const dispose = (): void => [x, target, ...lstm.parameters(), ...head.parameters()].forEach((t) => t.dispose());
  return { lstm, head, x, loss, dispose };
}

describe('freezing parameters', () => {
  it('one frozen RNN weight (a view of the flat buffer) keeps its bytes under AdamW with weight decay; the rest trains; unfrozen, it starts fresh', () => {
    const { lstm, head, loss, dispose } = model(1);
    const params = [...lstm.parameters(), ...head.parameters()];
    const frozen = lstm.stateDict().weight_hh_l0_reverse!;
    const k = params.indexOf(frozen);
    frozen.requiresGrad = false;
    const opt = new rk.optim.AdamW(params, { lr: 0.01, weightDecay: 0.1 });
    const before = bytesOf(params);
    for (let s = 0; s < 3; s++) {
      opt.zeroGrad();
      rk.tidy(() => loss().backward());
      expect(frozen.grad).toBeNull(); // backward computes nothing into it
      opt.step();
    }
    const after = bytesOf(params);
    expect(after[k]).toEqual(before[k]);
    params.forEach((_, i) => {
      if (i !== k) expect(after[i], `params[${i}] trains`).not.toEqual(before[i]);
    });
    expect(opt.stepCount(k)).toBe(0);
    expect(params.map((_, i) => opt.stepCount(i)).filter((n) => n === 3).length).toBe(params.length - 1);
    expect(Object.keys(rk.tidy(() => opt.stateDict().state)).filter((key) => key.startsWith(`${k}.`))).toEqual([]);

    // Unfrozen: its first step is Adam's first (m = (1 - b1) g, v = (1 - b2) g², step 1), decay included.
    frozen.requiresGrad = true;
    opt.zeroGrad();
    rk.tidy(() => loss().backward());
    const g = frozen.grad!.dataSync().slice();
    const p0 = frozen.dataSync().slice();
    opt.step();
    rk.tidy(() => {
      const { state } = opt.stateDict();
      expect(state[`${k}.step`]!.item()).toBe(1);
      expectClose(state[`${k}.exp_avg`]!.dataSync(), Array.from(g, (v) => 0.1 * v), 1e-8);
      expectClose(state[`${k}.exp_avg_sq`]!.dataSync(), Array.from(g, (v) => 0.001 * v * v), 1e-10);
    });
    // p = p * (1 - lr wd) - lr * g / (|g| + eps): bias corrections cancel at step 1.
    expectClose(frozen.dataSync(), Array.from(p0, (v, i) => v * (1 - 0.01 * 0.1) - (0.01 * g[i]!) / (Math.abs(g[i]!) + 1e-8)), 1e-6);
    expect(opt.stepCount(k)).toBe(1);
    opt.zeroGrad();
    opt.dispose();
    dispose();
  });

  it('module.freeze() of a whole LSTM: no tape node, all its bytes kept, the head trains; unfreeze() trains it again', () => {
    const { lstm, head, x, loss, dispose } = model(2);
    const opt = new rk.optim.Adam(lstm.parameters().concat(head.parameters()), { lr: 0.01 });
    rk.tidy(() => {
      expect(lstm.forward(x).output.gradFn).not.toBeNull();
    });
    expect(lstm.freeze()).toBe(lstm);
    expect(lstm.parameters().every((p) => !p.requiresGrad)).toBe(true);
    expect(head.parameters().every((p) => p.requiresGrad)).toBe(true);
    // Nothing needs its gradients: it records nothing, so backward does no work for it.
    rk.tidy(() => {
      const out = lstm.forward(x).output;
      expect(out.gradFn).toBeNull();
      expect(out.requiresGrad).toBe(false);
    });
    const lstmBefore = bytesOf(lstm.parameters());
    const headBefore = bytesOf(head.parameters());
    for (let s = 0; s < 3; s++) {
      opt.zeroGrad();
      rk.tidy(() => loss().backward());
      opt.step();
    }
    expect(bytesOf(lstm.parameters())).toEqual(lstmBefore);
    expect(bytesOf(head.parameters())).not.toEqual(headBefore);
    expect(lstm.parameters().every((p) => p.grad === null)).toBe(true);

    // Frozen, but its input needs a gradient: it still records (for dx) and its weights get none.
    const xg = rk.tensor(uniform(2 * 5 * 3, 9), { shape: [2, 5, 3], requiresGrad: true });
    rk.tidy(() => rk.sum(lstm.forward(xg).output).backward());
    expect(xg.grad).not.toBeNull();
    expect(lstm.parameters().every((p) => p.grad === null)).toBe(true);

    expect(lstm.unfreeze()).toBe(lstm);
    opt.zeroGrad();
    rk.tidy(() => loss().backward());
    opt.step();
    const lstmAfter = bytesOf(lstm.parameters());
    lstmAfter.forEach((v, i) => expect(v, `lstm params[${i}] trains after unfreeze()`).not.toEqual(lstmBefore[i]));
    opt.zeroGrad();
    opt.dispose();
    [xg.grad!, xg].forEach((t) => t.dispose());
    dispose();
  });

  it('a frozen parameter with a stale gradient: the optimizer, clipGradNorm, clipGradValue and the GradScaler leave it out', async () => {
    const a = rk.tensor([1, 2], { requiresGrad: true });
    const b = rk.tensor([5, 5], { requiresGrad: true });
    a.grad = rk.tensor([3, 4]);
    b.grad = rk.tensor([100, -100]);
    b.requiresGrad = false;
    const norm = rk.optim.clipGradNorm([a, b], 1);
    expect(norm.item()).toBeCloseTo(5, 6); // a's gradient only
    expectClose(a.grad.dataSync(), [3 / (5 + 1e-6), 4 / (5 + 1e-6)], 1e-7);
    expect(Array.from(b.grad.dataSync())).toEqual([100, -100]);
    expect(rk.optim.clipGradNorm(b, 1).item()).toBe(0);
    rk.optim.clipGradValue([a, b], 0.5);
    expect(Array.from(b.grad.dataSync())).toEqual([100, -100]);

    const opt = new rk.optim.SGD([a, b], { lr: 1 });
    opt.step();
    expect(Array.from(b.dataSync())).toEqual([5, 5]);
    expect([opt.stepCount(0), opt.stepCount(1)]).toEqual([1, 0]);

    // An inf in a frozen parameter's stale gradient does not make the scaler skip the step.
    const scaler = new rk.optim.GradScaler({ initScale: 2 });
    b.grad.dispose();
    b.grad = rk.tensor([Infinity, 1]);
    a.grad.dispose();
    a.grad = rk.tensor([2, 2]);
    const before = Array.from(a.dataSync());
    expect(await scaler.step(opt)).toBe(true);
    scaler.update();
    expectClose(a.dataSync(), [before[0]! - 1, before[1]! - 1], 1e-7); // unscaled by 2, lr 1
    expect(Array.from(b.grad.dataSync())).toEqual([Infinity, 1]);
    expect(Array.from(b.dataSync())).toEqual([5, 5]);
    [norm, a.grad, b.grad, a, b].forEach((t) => t.dispose());
    opt.dispose();
  });
});
