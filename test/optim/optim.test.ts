// Optimizers on real layers, state dicts, memory, clipping and the errors of bad arguments.

import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { native } from '../../lib/native.js';
import { expectClose, settledMemory, uniform } from '../helpers.js';

function lstm(seed: number): rk.nn.LSTM {
  rk.seed(seed);
  return new rk.nn.LSTM({ inputSize: 4, hiddenSize: 5, numLayers: 2, bidirectional: true });
}

/** Sets every parameter's grad to seeded values (untracked by any tidy scope). */
function setGrads(params: readonly rk.Tensor<'float32'>[], seed: number): void {
  params.forEach((p, i) => {
    p.grad?.dispose();
    p.grad = rk.keep(rk.tensor(uniform(p.size, seed * 1000 + i), { shape: p.shape as number[] }));
  });
}

function snapshot(params: readonly rk.Tensor<'float32'>[]): Float32Array[] {
  return params.map((p) => p.dataSync().slice());
}

describe('optimizers on an nn.LSTM (parameters are views into one flat buffer)', () => {
  it('SGD updates every parameter view in place: p - lr * grad, and the forward output follows', () => {
    const model = lstm(1);
    const params = model.parameters();
    const x = rk.tensor(uniform(3 * 6 * 4, 7), { shape: [3, 6, 4] });
    const w = rk.tensor(uniform(3 * 6 * 10, 8), { shape: [3, 6, 10] });
    rk.tidy(() => rk.sum(rk.mul(model.forward(x).output, w)).backward());
    const before = snapshot(params);
    const grads = params.map((p) => p.grad!.dataSync().slice());
    const opt = new rk.optim.SGD(params, { lr: 0.1 });
    opt.step();
    params.forEach((p, i) => {
      const expected = before[i]!.map((v, k) => Math.fround(v - Math.fround(0.1) * grads[i]![k]!));
      expectClose(p.dataSync(), expected, 1e-7);
    });
    // The layer's own forward sees the new weights: same as a fresh LSTM loaded with them.
    const ref = lstm(2);
    ref.loadStateDict(model.stateDict());
    rk.tidy(() => {
      const out = rk.noGrad(() => model.forward(x).output.dataSync());
      const want = rk.noGrad(() => ref.forward(x).output.dataSync());
      expect(Array.from(out)).toEqual(Array.from(want));
      const original = lstm(1);
      const old = rk.noGrad(() => original.forward(x).output.dataSync());
      expect(Array.from(out)).not.toEqual(Array.from(old));
      original.parameters().forEach((p) => p.dispose());
    });
    opt.zeroGrad();
    expect(params.every((p) => p.grad === null)).toBe(true);
    opt.dispose();
    [x, w, ...params, ...ref.parameters()].forEach((t) => t.dispose());
  });

  it('trains: the loss falls over steps with Adam and gradient clipping, and memory stays flat over 50 steps', async () => {
    const model = lstm(3);
    const params = model.parameters();
    const x = rk.tensor(uniform(4 * 5 * 4, 11), { shape: [4, 5, 4] });
    const target = rk.tensor(uniform(4 * 5 * 10, 12, -0.5, 0.5), { shape: [4, 5, 10] });
    const opt = new rk.optim.Adam(params, { lr: 1e-2 });
    const sched = new rk.optim.CosineWithWarmup(opt, { warmupSteps: 5, totalSteps: 50, minLr: 1e-3 });
    const losses: number[] = [];
    let norm = 0;
    const trainStep = (): void => {
      rk.tidy(() => {
        const out = model.forward(x).output;
        const loss = rk.mse(out, target);
        loss.backward();
        norm = rk.optim.clipGradNorm(params, 1.0).item();
        opt.step();
        opt.zeroGrad();
        sched.step();
        losses.push(loss.item());
      });
    };
    trainStep();
    const baseline = await settledMemory();
    for (let i = 1; i < 50; i++) trainStep();
    const after = await settledMemory();
    expect(after).toEqual(baseline);
    expect(norm).toBeGreaterThan(0);
    expect(losses[49]!).toBeLessThan(losses[0]! * 0.8);
    expect(opt.lr).toBeCloseTo(1e-3, 12);
    opt.dispose();
    [x, target, ...params].forEach((t) => t.dispose());
  });

  it('a state dict carries training on exactly: 5 + (save, load into a new optimizer) + 5 steps == 10 steps, bit for bit', () => {
    const kinds: ((p: rk.Tensor<'float32'>[]) => rk.optim.Optimizer)[] = [
      (p) => new rk.optim.Adam(p, { lr: 1e-2, weightDecay: 0.01 }),
      (p) => new rk.optim.AdamW(p, { lr: 1e-2 }),
      (p) => new rk.optim.SGD(p, { lr: 0.05, momentum: 0.9, nesterov: true }),
      (p) => new rk.optim.RMSprop(p, { lr: 1e-2, momentum: 0.5, centered: true }),
      (p) => new rk.optim.Adagrad(p, { lr: 0.1, lrDecay: 0.01, initialAccumulatorValue: 0.1 }),
    ];
    for (const make of kinds) {
      const a = lstm(4);
      const b = lstm(4);
      const pa = a.parameters();
      const pb = b.parameters();
      const optA = make(pa);
      const optB = make(pb);
      const schedA = new rk.optim.StepLR(optA, { stepSize: 3, gamma: 0.5 });
      const schedB = new rk.optim.StepLR(optB, { stepSize: 3, gamma: 0.5 });
      for (let s = 0; s < 10; s++) {
        // A parameter without a gradient at some steps: its own step count lags.
        setGrads(pa, s);
        if (s === 2) {
          pa[1]!.grad!.dispose();
          pa[1]!.grad = null;
        }
        optA.step();
        schedA.step();
      }
      for (let s = 0; s < 5; s++) {
        setGrads(pb, s);
        if (s === 2) {
          pb[1]!.grad!.dispose();
          pb[1]!.grad = null;
        }
        optB.step();
        schedB.step();
      }
      const saved = optB.stateDict();
      const savedSched = schedB.stateDict();
      optB.dispose();
      const optC = make(pb);
      optC.loadStateDict(saved);
      Object.values(saved.state).forEach((t) => t.dispose()); // the optimizer keeps its own copies
      const schedC = new rk.optim.StepLR(optC, { stepSize: 3, gamma: 0.5 });
      schedC.loadStateDict(savedSched);
      expect(optC.stepCount(0)).toBe(5);
      expect(optC.stepCount(1)).toBe(4);
      for (let s = 5; s < 10; s++) {
        setGrads(pb, s);
        optC.step();
        schedC.step();
      }
      expect(optC.lr).toBe(optA.lr);
      const ra = snapshot(pa);
      const rb = snapshot(pb);
      ra.forEach((v, i) => expect(Array.from(rb[i]!), `${optA.constructor.name} param ${i}`).toEqual(Array.from(v)));
      rk.tidy(() => {
        const { state: sa, paramGroups } = optA.stateDict();
        const { state: sc, paramGroups: groupsC } = optC.stateDict();
        expect(groupsC).toEqual(paramGroups);
        expect(Object.keys(sc).sort()).toEqual(Object.keys(sa).sort());
        for (const k of Object.keys(sa)) expect(Array.from(sc[k]!.dataSync()), k).toEqual(Array.from(sa[k]!.dataSync()));
      });
      optA.zeroGrad();
      optC.zeroGrad();
      optA.dispose();
      optC.dispose();
      [...pa, ...pb].forEach((t) => t.dispose());
    }
  });

  it('loadStateDict checks names, shapes and dtypes first, with CheckpointError', () => {
    const p = [rk.zeros([2, 3], { requiresGrad: true }), rk.zeros([4], { requiresGrad: true })];
    const adam = new rk.optim.Adam(p);
    setGrads(p, 1);
    adam.step();
    const good = adam.stateDict();
    const rms = new rk.optim.RMSprop(p);
    expect(() => rms.loadStateDict(good)).toThrow(rk.CheckpointError);
    const fresh = new rk.optim.Adam(p);
    const bad = (patch: Record<string, rk.Tensor | undefined>): rk.optim.OptimizerStateDict => {
      const out: Record<string, rk.Tensor> = { ...good.state };
      for (const [k, v] of Object.entries(patch)) {
        if (v === undefined) delete out[k];
        else out[k] = v;
      }
      return { state: out, paramGroups: good.paramGroups };
    };
    const wrongShape = rk.zeros([3, 2]);
    const wrongDtype = rk.zeros([2, 3], { dtype: 'int32' });
    const zeroStep = rk.tensor(Int32Array.of(0), { shape: [] });
    expect(() => fresh.loadStateDict(bad({ '0.exp_avg': wrongShape }))).toThrow(/shape \[3, 2\]/);
    expect(() => fresh.loadStateDict(bad({ '0.exp_avg': wrongDtype }))).toThrow(rk.CheckpointError);
    expect(() => fresh.loadStateDict(bad({ '0.exp_avg_sq': undefined }))).toThrow(/lacks 0\.exp_avg_sq/);
    expect(() => fresh.loadStateDict(bad({ '2.exp_avg': wrongShape }))).toThrow(/unexpected entry '2\.exp_avg'/);
    expect(() => fresh.loadStateDict(bad({ '0.momentum': wrongShape }))).toThrow(rk.CheckpointError);
    expect(() => fresh.loadStateDict(bad({ '0.step': zeroStep }))).toThrow(/step must be an integer >= 1/);
    // Nothing was loaded by the failures.
    expect(Object.keys(rk.tidy(() => fresh.stateDict().state))).toEqual([]);
    fresh.loadStateDict(good);
    expect(fresh.stepCount(0)).toBe(1);
    [wrongShape, wrongDtype, zeroStep, ...Object.values(good.state)].forEach((t) => t.dispose());
    [adam, rms, fresh].forEach((o) => o.dispose());
    adam.zeroGrad();
    p.forEach((t) => t.dispose());
  });
});

describe('clipping', () => {
  it('clipGradNorm scales every gradient (views of an LSTM gradient buffer too) and returns the norm before clipping', () => {
    const model = lstm(5);
    const params = model.parameters();
    setGrads(params, 3);
    const all = params.flatMap((p) => Array.from(p.grad!.dataSync()));
    const total = Math.sqrt(all.reduce((s, v) => s + v * v, 0));
    const norm = rk.optim.clipGradNorm(params, 2.0);
    expect(norm.item()).toBeCloseTo(total, 4);
    const after = params.flatMap((p) => Array.from(p.grad!.dataSync()));
    const coef = 2.0 / (total + 1e-6);
    expectClose(after, all.map((v) => v * coef), 1e-6);
    const measured = rk.optim.clipGradNorm(params, Infinity);
    expect(measured.item()).toBeCloseTo(2.0, 5);
    expect(rk.optim.clipGradNorm([], 1).item()).toBe(0);
    norm.dispose();
    measured.dispose();
    params.forEach((p) => {
      p.grad?.dispose();
      p.dispose();
    });
  });

  it('clipGradValue clamps in place and keeps NaN', () => {
    const p = rk.zeros([4], { requiresGrad: true });
    p.grad = rk.tensor([-3, 0.25, NaN, 7]);
    rk.optim.clipGradValue([p], 1);
    const got = Array.from(p.grad.dataSync());
    expect(got.slice(0, 2)).toEqual([-1, 0.25]);
    expect(Number.isNaN(got[2]!)).toBe(true);
    expect(got[3]).toBe(1);
    p.grad.dispose();
    p.dispose();
  });

  it('rejects gradients that alias each other or reach an element twice', () => {
    const base = rk.zeros([6]);
    const a = rk.zeros([4], { requiresGrad: true });
    const b = rk.zeros([4], { requiresGrad: true });
    a.grad = base.narrow(0, 0, 4);
    b.grad = base.narrow(0, 2, 4);
    expect(() => rk.optim.clipGradNorm([a, b], 1)).toThrow(/share memory/);
    expect(() => rk.optim.clipGradValue([a, b], 1)).toThrow(rk.ArgumentError);
    // Measuring only writes nothing, so aliasing is fine then.
    const n = rk.optim.clipGradNorm([a, b], Infinity);
    expect(n.item()).toBe(0);
    [n, a.grad, b.grad, base, a, b].forEach((t) => t.dispose());
  });
});

describe('bad arguments', () => {
  const p = (): rk.Tensor<'float32'> => rk.zeros([2], { requiresGrad: true });

  it('rejects bad parameters with typed errors', () => {
    expect(() => new rk.optim.SGD([], { lr: 0.1 })).toThrow(/params is empty/);
    expect(() => new rk.optim.Adam(5 as never)).toThrow(rk.ArgumentError);
    const noGrad = rk.zeros([2]);
    new rk.optim.Adam([noGrad]).dispose(); // a frozen parameter is accepted (and skipped while frozen)
    const int = rk.zeros([2], { dtype: 'int32' });
    expect(() => new rk.optim.Adam([int as never])).toThrow(rk.DTypeError);
    const q = p();
    expect(() => new rk.optim.Adam([q, q])).toThrow(/more than once/);
    const gone = p();
    gone.dispose();
    expect(() => new rk.optim.Adam([gone])).toThrow(rk.DisposedError);
    [noGrad, int, q].forEach((t) => t.dispose());
  });

  it('rejects bad options, naming them', () => {
    const q = p();
    expect(() => new rk.optim.SGD([q], { lr: -1 })).toThrow(/options\.lr must be a finite number >= 0, got -1/);
    expect(() => new rk.optim.SGD([q], { lr: NaN })).toThrow(/options\.lr/);
    expect(() => new rk.optim.SGD([q], undefined as never)).toThrow(/options\.lr is required/);
    expect(() => new rk.optim.SGD([q], { lr: 0.1, nesterov: true })).toThrow(/options\.nesterov needs momentum > 0/);
    expect(() => new rk.optim.SGD([q], { lr: 0.1, momentun: 0.9 } as never)).toThrow(/unknown option 'momentun'/);
    expect(() => new rk.optim.Adam([q], { betas: [0.9, 1] })).toThrow(/options\.betas\[1\] must be a finite number in \[0, 1\), got 1/);
    expect(() => new rk.optim.Adam([q], { betas: [-0.1, 0.9] })).toThrow(/options\.betas\[0\]/);
    expect(() => new rk.optim.Adam([q], { betas: [0.9] as never })).toThrow(/options\.betas must be \[beta1, beta2\]/);
    expect(() => new rk.optim.Adam([q], { amsgrad: true } as never)).toThrow(/unknown option 'amsgrad'/);
    expect(() => new rk.optim.AdamW([q], { weightDecay: -1 })).toThrow(/options\.weightDecay/);
    expect(() => new rk.optim.RMSprop([q], { alpha: Infinity })).toThrow(/options\.alpha/);
    expect(() => new rk.optim.Adagrad([q], { lrDecay: -0.1 })).toThrow(/options\.lrDecay/);
    const opt = new rk.optim.Adam([q]);
    expect(() => (opt.lr = -0.5)).toThrow(rk.ArgumentError);
    expect(() => new rk.optim.StepLR(opt, { stepSize: 0 })).toThrow(/stepSize must be >= 1/);
    expect(() => new rk.optim.CosineWithWarmup(opt, { warmupSteps: 5, totalSteps: 5 })).toThrow(/totalSteps must be > warmupSteps/);
    expect(() => new rk.optim.ReduceLROnPlateau(opt, { mode: 'up' as never })).toThrow(/options\.mode/);
    expect(() => new rk.optim.ReduceLROnPlateau(opt, { factor: 1 })).toThrow(/options\.factor/);
    expect(() => new rk.optim.ReduceLROnPlateau(opt).step()).toThrow(/metric must be a number/);
    expect(() => new rk.optim.StepLR({} as never, { stepSize: 1 })).toThrow(/optimizer must be an Optimizer/);
    expect(() => rk.optim.clipGradNorm([q], -1)).toThrow(/maxNorm/);
    expect(() => rk.optim.clipGradNorm([q], 1, 0)).toThrow(/normType/);
    expect(() => rk.optim.clipGradValue([q], NaN)).toThrow(/clipValue/);
    opt.dispose();
    expect(() => opt.step()).toThrow(rk.DisposedError);
    q.dispose();
  });

  it('step() checks gradients (shape, disposed) and never writes on failure', () => {
    const q = rk.tensor([1, 2], { requiresGrad: true });
    const opt = new rk.optim.SGD([q], { lr: 1 });
    q.grad = rk.zeros([3]);
    expect(() => opt.step()).toThrow(rk.ShapeError);
    q.grad.dispose();
    expect(() => opt.step()).toThrow(rk.DisposedError);
    // A gradient that is a view of the parameter itself would be read while written.
    q.grad = q.reshape([2]);
    expect(() => opt.step()).toThrow(/share memory/);
    q.grad.dispose();
    q.grad = null;
    expect(opt.stepCount(0)).toBe(0);
    expect(Array.from(q.dataSync())).toEqual([1, 2]);
    // A broadcast (stride-0) gradient is only read: fine for a step, but not clipped in place.
    const one = rk.tensor([0.5]);
    q.grad = new rk.Tensor<'float32'>(native.view(one.handleFor('test', 'one'), [2], [0], 0));
    opt.step();
    expect(Array.from(q.dataSync())).toEqual([0.5, 1.5]);
    expect(() => rk.optim.clipGradNorm([q], 0.1)).toThrow(/reaches some elements twice/);
    expect(rk.tidy(() => rk.optim.clipGradNorm([q], Infinity).item())).toBeCloseTo(Math.SQRT1_2, 6);
    [one, q.grad, q].forEach((t) => t.dispose());
    opt.dispose();
  });

  it('parameters no gradient reaches are skipped, and a step with none does nothing', () => {
    const a = rk.tensor([1], { requiresGrad: true });
    const b = rk.tensor([1], { requiresGrad: true });
    const opt = new rk.optim.Adam([a, b], { lr: 0.1 });
    opt.step();
    expect(Object.keys(rk.tidy(() => opt.stateDict().state))).toEqual([]);
    a.grad = rk.tensor([1]);
    opt.step();
    expect(a.dataSync()[0]).toBeCloseTo(0.9, 6);
    expect(b.dataSync()[0]).toBe(1);
    expect([opt.stepCount(0), opt.stepCount(1)]).toEqual([1, 0]);
    opt.zeroGrad();
    opt.dispose();
    a.dispose();
    b.dispose();
  });
});

describe('native optimizerStep validation', () => {
  it('gives typed errors for wrong lists, state counts and hyperparameters', async () => {
    const { fromNative } = await import('../../lib/errors.js');
    const t = (n: number) => native.full([n], 0, 'float32', 'cpu');
    const p = t(3);
    const g = t(3);
    const m = t(3);
    const v = t(3);
    const call = (fn: () => void): unknown => {
      try {
        fn();
      } catch (err) {
        return fromNative(err);
      }
      return null;
    };
    expect(call(() => native.optimizerStep('adam', [p], [g], [[m]], { lr: 0.1 }, [1]))).toBeInstanceOf(rk.ArgumentError);
    expect(String(call(() => native.optimizerStep('adam', [p], [g], [[m]], { lr: 0.1 }, [1])))).toMatch(/exp_avg, exp_avg_sq/);
    expect(call(() => native.optimizerStep('adam', [p], [g, g], [[m, v]], { lr: 0.1 }, [1]))).toBeInstanceOf(rk.ArgumentError);
    expect(call(() => native.optimizerStep('adam', [p], [t(4)], [[m, v]], { lr: 0.1 }, [1]))).toBeInstanceOf(rk.ShapeError);
    expect(call(() => native.optimizerStep('adam', [p], [g], [[m, v]], { lr: NaN }, [1]))).toBeInstanceOf(rk.ArgumentError);
    expect(call(() => native.optimizerStep('adam', [p], [g], [[m, v]], { lr: 0.1, beta2: 1 }, [1]))).toBeInstanceOf(rk.ArgumentError);
    expect(call(() => native.optimizerStep('adam', [p], [g], [[m, v]], { lr: 0.1 }, [0]))).toBeInstanceOf(rk.ArgumentError);
    expect(call(() => native.optimizerStep('adam', [p], [g], [[m, m]], { lr: 0.1 }, [1]))).toBeInstanceOf(rk.ArgumentError);
    expect(call(() => native.optimizerStep('lion' as never, [p], [g], [[]], { lr: 0.1 }, [1]))).toBeInstanceOf(rk.ArgumentError);
    const i32 = native.full([3], 0, 'int32', 'cpu');
    expect(call(() => native.optimizerStep('sgd', [i32], [g], [[]], { lr: 0.1 }, [1]))).toBeInstanceOf(rk.DTypeError);
    expect(call(() => native.optimizerStep('sgd', [p], [g], [[]], { lr: 0.1, momentum: 0.9 }, [1]))).toBeInstanceOf(rk.ArgumentError);
    const strided = native.view(t(6), [3], [2], 0);
    expect(String(call(() => native.optimizerStep('sgd', [strided], [g], [[]], { lr: 0.1 }, [1])))).toMatch(/contiguous/);
    expect(call(() => native.optimizerStep('sgd', [p], [g], [[]], { lr: 0.1 }, [1]))).toBeNull();
    [p, g, m, v, i32, strided].forEach((h) => h.dispose());
  });
});
