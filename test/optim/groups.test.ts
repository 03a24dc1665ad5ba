// Parameter groups: torch.optim with two or three groups and a schedule (test/fixtures/
// optim_groups.json, made by test/fixtures/make_optim_group_fixtures.py): parameters within 1e-6
// relative (|a - b| <= 1e-6 * max(1, |b|)) after every step, every group's lr within 1e-12
// relative. Then paramGroups, state dicts and files with groups, and the errors of bad groups.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { uniform } from '../helpers.js';

interface Encoded {
  shape: number[];
  data: string;
}
interface GroupCase {
  name: string;
  kind: 'sgd' | 'adam' | 'adamw' | 'rmsprop' | 'adagrad';
  defaults: Record<string, unknown>;
  groups: { params: number[]; options: Record<string, unknown> }[];
  schedule: { kind: 'StepLR' | 'ExponentialLR' | 'CosineWithWarmup' | 'ReduceLROnPlateau'; options: Record<string, unknown>; metrics: number[] | null };
  params: Encoded[];
  grads: (Encoded | null)[][];
  steps: { params: Encoded[]; lrs: number[] }[];
}

const fixtures = JSON.parse(readFileSync(new URL('../fixtures/optim_groups.json', import.meta.url), 'utf8')) as { cases: GroupCase[] };
const TOL = 1e-6;

const values = (e: Encoded): Float32Array => {
  const bytes = Buffer.from(e.data, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
};
const relDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return worst;
};

type AnyOptimizer = rk.optim.Optimizer<rk.optim.GroupOptions>;
type Groups = Iterable<rk.optim.ParamGroupSpec<never>>;

function makeOptimizer(kind: GroupCase['kind'], groups: unknown, defaults: Record<string, unknown>): AnyOptimizer {
  const g = groups as Groups;
  switch (kind) {
    case 'sgd':
      return new rk.optim.SGD(g, defaults as never) as unknown as AnyOptimizer;
    case 'adam':
      return new rk.optim.Adam(g, defaults) as unknown as AnyOptimizer;
    case 'adamw':
      return new rk.optim.AdamW(g, defaults) as unknown as AnyOptimizer;
    case 'rmsprop':
      return new rk.optim.RMSprop(g, defaults) as unknown as AnyOptimizer;
    case 'adagrad':
      return new rk.optim.Adagrad(g, defaults) as unknown as AnyOptimizer;
  }
}

function makeSchedule(s: GroupCase['schedule'], opt: AnyOptimizer): rk.optim.LRSchedule {
  const o = s.options as never;
  switch (s.kind) {
    case 'StepLR':
      return new rk.optim.StepLR(opt, o);
    case 'ExponentialLR':
      return new rk.optim.ExponentialLR(opt, o);
    case 'CosineWithWarmup':
      return new rk.optim.CosineWithWarmup(opt, o);
    case 'ReduceLROnPlateau':
      return new rk.optim.ReduceLROnPlateau(opt, o);
  }
}

describe('parameter groups equal torch.optim with groups and a schedule', () => {
  for (const c of fixtures.cases) {
    it(c.name, () => {
      const params = c.params.map((e) => rk.tensor(values(e), { shape: e.shape, requiresGrad: true }));
      const groups = c.groups.map((g) => ({ ...g.options, params: g.params.map((i) => params[i]!) }));
      const opt = makeOptimizer(c.kind, groups, c.defaults);
      expect(opt.paramGroups.map((g) => g.params.map((p) => params.indexOf(p)))).toEqual(c.groups.map((g) => g.params));
      const schedule = makeSchedule(c.schedule, opt);
      c.steps.forEach((expected, s) => {
        params.forEach((p, i) => {
          p.grad?.dispose();
          const g = c.grads[s]![i];
          p.grad = g ? rk.keep(rk.tensor(values(g), { shape: g.shape })) : null;
        });
        opt.step();
        schedule.step(c.schedule.metrics?.[s]);
        params.forEach((p, i) => expect(relDiff(p.dataSync(), values(expected.params[i]!)), `step ${s + 1}, params[${i}]`).toBeLessThanOrEqual(TOL));
        const lrs = opt.paramGroups.map((g) => g.lr);
        lrs.forEach((lr, g) => expect(Math.abs(lr - expected.lrs[g]!) / expected.lrs[g]!, `step ${s + 1}, group ${g} lr ${lr}`).toBeLessThanOrEqual(1e-12));
        expect(schedule.lrs).toEqual(lrs);
      });
      // The groups really differ: one shared lr would not have given these curves.
      expect(c.steps.some((step) => new Set(step.lrs).size > 1)).toBe(true);
      opt.zeroGrad();
      opt.dispose();
      params.forEach((p) => p.dispose());
    });
  }
});

const param = (n: number, seed: number): rk.Tensor<'float32'> => rk.tensor(uniform(n, seed), { shape: [n], requiresGrad: true });

function setGrads(params: readonly rk.Tensor<'float32'>[], seed: number): void {
  params.forEach((p, i) => {
    p.grad?.dispose();
    p.grad = rk.keep(rk.tensor(uniform(p.size, seed * 100 + i), { shape: [...p.shape] }));
  });
}

describe('paramGroups', () => {
  it('exposes params and every hyperparameter; lr is live per group, optimizer.lr reads the first and sets all', () => {
    const [a, b, c] = [param(3, 1), param(2, 2), param(4, 3)];
    const opt = new rk.optim.AdamW([{ params: [a, b], weightDecay: 0 }, { params: [c], lr: 1e-4, betas: [0.8, 0.9] }], { lr: 1e-3, weightDecay: 0.01 });
    expect(opt.params).toEqual([a, b, c]);
    const [g0, g1] = opt.paramGroups;
    expect({ ...g0 }).toEqual({ params: [a, b], lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, maximize: false });
    expect({ ...g1 }).toEqual({ params: [c], lr: 1e-4, betas: [0.8, 0.9], eps: 1e-8, weightDecay: 0.01, maximize: false });
    expect(opt.lr).toBe(1e-3);

    // A step with group 1's lr set to 0 leaves c where it was and moves a and b.
    g1!.lr = 0;
    const before = [a, b, c].map((p) => Array.from(p.dataSync()));
    setGrads([a, b, c], 1);
    opt.step();
    expect(Array.from(c.dataSync())).toEqual(before[2]);
    expect(Array.from(a.dataSync())).not.toEqual(before[0]);
    opt.lr = 0.5;
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.5, 0.5]);

    expect(() => (g1!.lr = -1)).toThrow(rk.ArgumentError);
    expect(() => (g1!.lr = -1)).toThrow(/AdamW\.paramGroups\[1\]\.lr: lr must be a finite number >= 0, got -1/);
    expect(() => ((g0 as { weightDecay: number }).weightDecay = 1)).toThrow(/paramGroups\[0\]\.weightDecay is read-only/);
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.5, 0.5]);
    opt.zeroGrad();
    opt.dispose();
    [a, b, c].forEach((p) => p.dispose());
  });

  it('schedules keep a base lr per group: CosineWithWarmup scales each from its own, ReduceLROnPlateau reduces each', () => {
    const [a, b] = [param(2, 4), param(2, 5)];
    const opt = new rk.optim.SGD([{ params: [a] }, { params: [b], lr: 0.01 }], { lr: 0.1 });
    const cosine = new rk.optim.CosineWithWarmup(opt, { warmupSteps: 4, totalSteps: 10 });
    expect(cosine.baseLrs).toEqual([0.1, 0.01]);
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.1 / 4, 0.01 / 4]);
    for (let s = 0; s < 6; s++) cosine.step();
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([cosine.lrAt(6, 0.1), cosine.lrAt(6, 0.01)]);
    expect(cosine.lrAt(6, 0.1)).toBeCloseTo((0.1 * (1 + Math.cos((Math.PI * 2) / 6))) / 2, 15);
    expect(() => new rk.optim.CosineWithWarmup(opt, { warmupSteps: 1, totalSteps: 3, minLr: 0.05 })).toThrow(/minLr 0.05 is above the lr .* of parameter group 1/);

    const plateauOpt = new rk.optim.SGD([{ params: [a], lr: 1 }, { params: [b], lr: 0.001 }], { lr: 0.1 });
    const plateau = new rk.optim.ReduceLROnPlateau(plateauOpt, { patience: 0, factor: 0.5, minLr: 0.0008 });
    plateau.step(1);
    plateau.step(2);
    expect(plateauOpt.paramGroups.map((g) => g.lr)).toEqual([0.5, 0.0008]);
    plateau.step(3);
    expect(plateauOpt.paramGroups.map((g) => g.lr)).toEqual([0.25, 0.0008]);
    // Through JSON (as checkpoints store it), best = Infinity of a fresh schedule becomes null and loads back.
    const freshPlateau = new rk.optim.ReduceLROnPlateau(plateauOpt, { patience: 0, factor: 0.5, minLr: 0.0008 });
    const json = JSON.parse(JSON.stringify(freshPlateau.stateDict())) as rk.optim.ScheduleState;
    expect(json.best).toBeNull();
    plateau.loadStateDict(json);
    expect(plateau.best).toBe(Infinity);
    expect(plateau.lastEpoch).toBe(0);

    // The state holds every group's lr, and loading it needs as many groups.
    const state = cosine.stateDict();
    expect(state).toEqual({ lastEpoch: 6, lrs: [cosine.lrAt(6, 0.1), cosine.lrAt(6, 0.01)], baseLrs: [0.1, 0.01] });
    const single = new rk.optim.StepLR(new rk.optim.SGD([a], { lr: 1 }), { stepSize: 1 });
    expect(() => single.loadStateDict({ lastEpoch: 6, lrs: [0.1, 0.2], baseLrs: [0.1, 0.2] })).toThrow(rk.CheckpointError);
    expect(() => single.loadStateDict({ lastEpoch: 6, lrs: [0.1, 0.2], baseLrs: [0.1, 0.2] })).toThrow(/state\.lrs must be a list of 1 learning rate/);
    [opt, plateauOpt, single.optimizer].forEach((o) => o.dispose());
    [a, b].forEach((p) => p.dispose());
  });
});

describe('state dicts and files keep the groups', () => {
  const make = (ps: rk.Tensor<'float32'>[]) =>
    new rk.optim.RMSprop([{ params: [ps[0]!, ps[1]!], momentum: 0.9 }, { params: [ps[2]!], centered: true, lr: 0.003 }], { lr: 0.01 });

  it('stateDict() holds each group (hyperparameters, parameter indices); a load restores them and continues bit for bit', async () => {
    const pa = [param(3, 6), param(2, 7), param(4, 8)];
    const pb = pa.map((p) => rk.tensor(p.dataSync(), { shape: [...p.shape], requiresGrad: true }));
    const a = make(pa);
    const b = make(pb);
    for (let s = 0; s < 3; s++) {
      setGrads(pa, s);
      setGrads(pb, s);
      a.step();
      b.step();
    }
    b.paramGroups[1]!.lr = 0.002;
    a.paramGroups[1]!.lr = 0.002;
    const { state, paramGroups } = b.stateDict();
    expect(paramGroups).toEqual([
      { params: [0, 1], lr: 0.01, alpha: 0.99, eps: 1e-8, momentum: 0.9, centered: false, weightDecay: 0, maximize: false },
      { params: [2], lr: 0.002, alpha: 0.99, eps: 1e-8, momentum: 0, centered: true, weightDecay: 0, maximize: false },
    ]);
    // Per group its own state names: momentum_buffer in group 0, grad_avg in group 1.
    expect(Object.keys(state).sort()).toEqual(
      ['0.square_avg', '0.momentum_buffer', '0.step', '1.square_avg', '1.momentum_buffer', '1.step', '2.square_avg', '2.grad_avg', '2.step'].sort(),
    );
    Object.values(state).forEach((t) => t.dispose());

    // Through a file: a new optimizer (lr 0.003 in group 1 as constructed) takes 0.002 back.
    const dir = mkdtempSync(join(tmpdir(), 'rnnkit-groups-'));
    const path = join(dir, 'groups.safetensors');
    await rk.io.save(path, { optimizer: b, metadata: { note: 'x' } });
    b.dispose();
    const c = make(pb);
    expect(c.paramGroups[1]!.lr).toBe(0.003);
    const loaded = await rk.io.load(path, { optimizer: c });
    expect(loaded.metadata).toEqual({ note: 'x' }); // the groups' reserved key is not the user's
    expect(loaded.tensors).toEqual({});
    expect(c.paramGroups[1]!.lr).toBe(0.002);
    expect(c.stepCount(2)).toBe(3);
    for (let s = 3; s < 6; s++) {
      setGrads(pa, s);
      setGrads(pb, s);
      a.step();
      c.step();
    }
    pa.forEach((p, i) => expect(Array.from(pb[i]!.dataSync()), `params[${i}]`).toEqual(Array.from(p.dataSync())));

    // Another group layout is a CheckpointError that says what differs, and loads nothing.
    const other = new rk.optim.RMSprop([{ params: [pb[0]!], momentum: 0.9 }, { params: [pb[1]!, pb[2]!], centered: true }]);
    await expect(rk.io.load(path, { optimizer: other })).rejects.toThrow(/paramGroups\[0\] holds parameters \[0, 1\] in the state, \[0\] in this optimizer/);
    const one = new rk.optim.RMSprop(pb);
    await expect(rk.io.load(path, { optimizer: one })).rejects.toThrow(/the state has 2 parameter group\(s\), this optimizer 1/);
    const adam = new rk.optim.Adam([{ params: [pb[0]!, pb[1]!] }, { params: [pb[2]!] }]);
    await expect(rk.io.load(path, { optimizer: adam })).rejects.toThrow(rk.CheckpointError);
    await expect(rk.io.load(path, { optimizer: adam })).rejects.toThrow(/paramGroups\[0\] lacks betas and has unknown alpha, momentum, centered/);
    expect(Object.keys(rk.tidy(() => other.stateDict().state))).toEqual([]);
    expect(one.lr).toBe(0.01);

    // A bad saved hyperparameter is named where it sits.
    const saved = rk.tidy(() => c.stateDict());
    const patched = { state: saved.state, paramGroups: [saved.paramGroups[0]!, { ...saved.paramGroups[1]!, alpha: -1 }] };
    expect(() => c.loadStateDict(patched)).toThrow(/paramGroups\[1\]\.alpha must be a finite number >= 0, got -1/);
    expect(() => c.loadStateDict({ ...saved.state } as never)).toThrow(/state must be \{ state, paramGroups \}/);
    Object.values(saved.state).forEach((t) => t.dispose());

    rmSync(dir, { recursive: true });
    for (const o of [a, c, other, one, adam]) {
      o.zeroGrad();
      o.dispose();
    }
    [...pa, ...pb].forEach((p) => p.dispose());
  });
});

describe('bad groups', () => {
  it('give ArgumentErrors naming the group and the key', () => {
    const [a, b] = [param(2, 9), param(2, 10)];
    expect(() => new rk.optim.Adam([{ params: [a] }, { lr: 0.1 } as never])).toThrow(/Adam: params\[1\] has no params/);
    expect(() => new rk.optim.Adam([{ params: [a] }, { params: [] }])).toThrow(/params\[1\]\.params is empty/);
    expect(() => new rk.optim.Adam([{ params: [a] }, { params: 5 as never }])).toThrow(/params\[1\]\.params must be an array/);
    expect(() => new rk.optim.Adam([{ params: [a, b] }, { params: [b] }])).toThrow(/params\[1\]\.params\[0\] appears more than once \(it is also params\[0\]\.params\[1\]\)/);
    expect(() => new rk.optim.Adam([{ params: [a], momentum: 0.9 } as never])).toThrow(/params\[0\] has unknown key 'momentum' \(known: params, lr, betas/);
    expect(() => new rk.optim.Adam([{ params: [a] }, { params: [b], lr: -1 }])).toThrow(/Adam: params\[1\]\.lr must be a finite number >= 0, got -1/);
    expect(() => new rk.optim.Adam([{ params: [a] }, { params: [b], betas: [0.9, 1] }])).toThrow(/params\[1\]\.betas\[1\] must be/);
    expect(() => new rk.optim.Adam([{ params: [a] }, { params: [b] }], { eps: -1 })).toThrow(/Adam: options\.eps must be/);
    expect(() => new rk.optim.SGD([{ params: [a], lr: 0.1 }, { params: [b] }])).toThrow(/SGD: options\.lr is required/);
    expect(() => new rk.optim.SGD([{ params: [a] }, { params: [b], nesterov: true }], { lr: 0.1 })).toThrow(/params\[1\]\.nesterov needs momentum > 0/);
    expect(() => new rk.optim.Adagrad([{ params: [a] }, { params: [b], initialAccumulatorValue: 0.1 }])).toThrow(
      /Adagrad: params\[1\]\.initialAccumulatorValue cannot be set per group/,
    );
    expect(() => new rk.optim.Adam([{ params: [a] }, b] as never)).toThrow(/params\[1\] must be a \{ params, \.\.\.options \} group/);
    expect(() => new rk.optim.Adam([{ params: [a] }], { momentum: 1 } as never)).toThrow(/unknown option 'momentum'/);
    for (const bad of [() => new rk.optim.Adam([{ params: [a] }, { lr: 0.1 } as never]), () => new rk.optim.Adam([{ params: [a], foo: 1 } as never])]) {
      expect(bad).toThrow(rk.ArgumentError);
    }
    // Every group gives lr: SGD needs no default then.
    const sgd = new rk.optim.SGD([{ params: [a], lr: 0.1 }, { params: [b], lr: 0.2 }] as never);
    expect(sgd.paramGroups.map((g) => g.lr)).toEqual([0.1, 0.2]);
    sgd.dispose();
    [a, b].forEach((p) => p.dispose());
  });
});
