// optim.GradScaler on the CPU: scaled backward and unscale give the plain gradients exactly
// (scales are powers of two), steps with inf/NaN gradients are skipped with PyTorch's
// backoff/growth rules, clipping after unscale() sees the true gradients, and fit() trains
// through a scaler with the same losses as without one.

import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { expectClose, uniform } from '../helpers.js';

const { GradScaler, SGD } = rk.optim;

function lstm(seed: number): rk.nn.LSTM {
  rk.seed(seed);
  return new rk.nn.LSTM({ inputSize: 3, hiddenSize: 4, bidirectional: true });
}

const x = rk.keep(rk.tensor(uniform(2 * 5 * 3, 11), { shape: [2, 5, 3] }));
const w = rk.keep(rk.tensor(uniform(2 * 5 * 8, 12), { shape: [2, 5, 8] }));

/** sum(output * w): a loss whose gradients reach every parameter. */
const lossOf = (model: rk.nn.LSTM): rk.Tensor<'float32'> => rk.sum(rk.mul(model.forward(x, { lengths: [5, 3] }).output, w));

const read = (params: readonly rk.Tensor<'float32'>[]): number[][] => params.map((p) => Array.from(p.dataSync()));
const readGrads = (params: readonly rk.Tensor<'float32'>[]): number[][] => params.map((p) => Array.from(p.grad!.dataSync()));

function setGrads(params: readonly rk.Tensor<'float32'>[], seed: number, poison?: number): number[][] {
  return params.map((p, i) => {
    const values = uniform(p.size, seed * 100 + i);
    if (i === 1 && poison !== undefined) values[2] = poison;
    p.grad?.dispose();
    p.grad = rk.keep(rk.tensor(values, { shape: p.shape as number[] }));
    return values;
  });
}

describe('optim.GradScaler', () => {
  it('scale(loss).backward() gives scale × the gradients, and unscale() gives back exactly the unscaled run’s', () => {
    const plain = lstm(1);
    const scaled = lstm(1);
    rk.tidy(() => lossOf(plain).backward());
    const want = readGrads(plain.parameters());
    const scaler = new GradScaler({ initScale: 2 ** 12 });
    const opt = new SGD(scaled.parameters(), { lr: 0.1 });
    rk.tidy(() => scaler.scale(lossOf(scaled)).backward());
    readGrads(scaled.parameters()).forEach((g, i) => expect(g).toEqual(want[i]!.map((v) => v * 2 ** 12)));
    scaler.unscale(opt);
    expect(readGrads(scaled.parameters())).toEqual(want);
    expect(want.flat().some((v) => v !== 0)).toBe(true);
  });

  it('skips the step when a gradient holds inf or NaN and backs the scale off; clean steps update and grow it', async () => {
    const model = lstm(2);
    const params = model.parameters();
    const opt = new SGD(params, { lr: 0.5 });
    const scaler = new GradScaler({ initScale: 8, growthInterval: 2, growthFactor: 2, backoffFactor: 0.5 });
    const start = read(params);

    setGrads(params, 3, Infinity);
    expect(await scaler.step(opt)).toBe(false);
    scaler.update();
    expect(read(params)).toEqual(start);
    expect([scaler.getScale(), scaler.growthTracker]).toEqual([4, 0]);

    setGrads(params, 4, NaN);
    expect(await scaler.step(opt)).toBe(false);
    scaler.update();
    expect(read(params)).toEqual(start);
    expect([scaler.getScale(), scaler.growthTracker]).toEqual([2, 0]);

    // A clean step: p - lr * g / scale, with the scale (2) the gradients were made with.
    const g = setGrads(params, 5);
    expect(await scaler.step(opt)).toBe(true);
    scaler.update();
    read(params).forEach((p, i) => {
      const expected = start[i]!.map((v, k) => Math.fround(v - Math.fround(0.5) * Math.fround(g[i]![k]! / 2)));
      expectClose(p, expected, 1e-7);
    });
    expect([scaler.getScale(), scaler.growthTracker]).toEqual([2, 1]);

    // growthInterval (2) clean steps in a row: the scale doubles and the count restarts.
    setGrads(params, 6);
    expect(await scaler.step(opt)).toBe(true);
    scaler.update();
    expect([scaler.getScale(), scaler.growthTracker]).toEqual([4, 0]);

    // A bad step resets the count of clean steps.
    setGrads(params, 7);
    await scaler.step(opt);
    scaler.update();
    setGrads(params, 8, -Infinity);
    await scaler.step(opt);
    scaler.update();
    expect([scaler.getScale(), scaler.growthTracker]).toEqual([2, 0]);
    opt.dispose();
  });

  it('unscale() before clipGradNorm clips the true gradients: same norm and same step as the unscaled run', async () => {
    const plain = lstm(9);
    const scaled = lstm(9);
    const optPlain = new SGD(plain.parameters(), { lr: 0.3 });
    const optScaled = new SGD(scaled.parameters(), { lr: 0.3 });
    rk.tidy(() => lossOf(plain).backward());
    const normPlain = rk.optim.clipGradNorm(plain.parameters(), 0.05);
    optPlain.step();

    const scaler = new GradScaler();
    rk.tidy(() => scaler.scale(lossOf(scaled)).backward());
    scaler.unscale(optScaled);
    const normScaled = rk.optim.clipGradNorm(scaled.parameters(), 0.05);
    expect(await scaler.step(optScaled)).toBe(true);
    scaler.update();

    expect(normScaled.item()).toBe(normPlain.item());
    expect(normPlain.item()).toBeGreaterThan(0.05); // the clipping acted
    expect(read(scaled.parameters())).toEqual(read(plain.parameters()));
    normPlain.dispose();
    normScaled.dispose();
  });

  it('enabled: false passes everything through', async () => {
    const model = lstm(4);
    const params = model.parameters();
    const opt = new SGD(params, { lr: 0.1 });
    const scaler = new GradScaler({ enabled: false });
    const loss = rk.tensor(3);
    expect(scaler.scale(loss)).toBe(loss);
    const start = read(params);
    const g = setGrads(params, 10, Infinity);
    expect(await scaler.step(opt)).toBe(true);
    scaler.update();
    expect(read(params)[0]).toEqual(start[0]!.map((v, k) => Math.fround(v - Math.fround(0.1) * Math.fround(g[0]![k]!))));
    expect(scaler.getScale()).toBe(2 ** 16);
  });

  it('keeps its state in a state dict and rejects bad options and out-of-order calls', async () => {
    const scaler = new GradScaler({ initScale: 64, growthInterval: 3 });
    const model = lstm(5);
    const opt = new SGD(model.parameters(), { lr: 0.1 });
    setGrads(model.parameters(), 11);
    expect(() => scaler.update()).toThrow(/call step\(optimizer\) for every unscaled optimizer before update\(\)/);
    scaler.unscale(opt);
    expect(() => scaler.unscale(opt)).toThrow(/unscale\(\) was already called for this optimizer/);
    expect(() => scaler.update()).toThrow(rk.ArgumentError);
    await scaler.step(opt);
    await expect(scaler.step(opt)).rejects.toThrow(/step\(\) already ran/);
    scaler.update();
    expect(scaler.stateDict()).toEqual({ scale: 64, growthFactor: 2, backoffFactor: 0.5, growthInterval: 3, growthTracker: 1 });

    const other = new GradScaler({ growthInterval: 3 });
    other.loadStateDict(scaler.stateDict());
    expect([other.getScale(), other.growthTracker]).toEqual([64, 1]);
    expect(() => other.loadStateDict({ ...scaler.stateDict(), scale: -1 })).toThrow(rk.CheckpointError);
    scaler.update(1024);
    expect(scaler.getScale()).toBe(1024);

    expect(() => new GradScaler({ initScale: 0 })).toThrow(/options.initScale must be a finite number > 0/);
    expect(() => new GradScaler({ growthFactor: 1 })).toThrow(/options.growthFactor must be > 1/);
    expect(() => new GradScaler({ backoffFactor: 1 })).toThrow(/options.backoffFactor must be in \(0, 1\)/);
    expect(() => new GradScaler({ growthInterval: 0.5 })).toThrow(rk.ArgumentError);
    expect(() => new GradScaler({ scale: 2 } as unknown as rk.optim.GradScalerOptions)).toThrow(/unknown option 'scale'/);
    expect(() => scaler.unscale({} as rk.optim.ScalableOptimizer)).toThrow(/optimizer must be an rnnkit optimizer/);
    opt.dispose();
  });
});

describe('fit() with loss scaling', () => {
  const examples = Array.from({ length: 24 }, (_, i) => ({ input: [1 + (i % 5), 2, 3 + (i % 3)], target: i % 2 }));

  async function run(precision: rk.RnnPrecision, gradScaler?: rk.optim.GradScaler): Promise<number[]> {
    rk.seed(21);
    const model = new rk.nn.SequenceClassifier({ vocabSize: 8, numClasses: 2, embeddingDim: 4, hiddenSize: 5, precision });
    const optimizer = new rk.optim.Adam(model.parameters(), { lr: 0.01 });
    const data = new rk.train.SequenceDataset(examples, { batchSize: 6, seed: 3 });
    const history = await rk.train.fit(model, {
      data,
      epochs: 2,
      optimizer,
      loss: (out, batch) => rk.crossEntropy(out, batch.targets),
      clipGradNorm: 1,
      progress: 'off',
      ...(gradScaler ? { gradScaler } : {}),
    });
    return history.epochs.map((e) => e.loss);
  }

  it('trains through a GradScaler with the same losses as without one (CPU: exact), updating the scale', async () => {
    const plain = await run('fp32');
    const scaler = new GradScaler({ growthInterval: 3 });
    const scaled = await run('fp32', scaler);
    expect(scaled).toEqual(plain);
    // 8 clean steps: the scale grew twice (after steps 3 and 6) and 2 clean steps are counted.
    expect([scaler.getScale(), scaler.growthTracker]).toEqual([2 ** 18, 2]);
    // An fp16 model scales by default; on the CPU (float32 math) the run is the same.
    expect(await run('fp16')).toEqual(plain);
  });

  it('an fp16 model needs an rnnkit optimizer for its loss scaling', async () => {
    const model = new rk.nn.SequenceClassifier({ vocabSize: 8, numClasses: 2, embeddingDim: 4, hiddenSize: 5, precision: 'fp16' });
    const data = new rk.train.SequenceDataset(examples, { batchSize: 6 });
    const optimizer = { step: () => undefined, zeroGrad: () => undefined, lr: 0.1 };
    const options = { data, epochs: 1, optimizer, loss: (out: rk.Tensor<'float32'>, b: rk.train.Batch) => rk.crossEntropy(out, b.targets), progress: 'off' as const };
    await expect(rk.train.fit(model, options)).rejects.toThrow(/loss scaling .* needs an rnnkit optimizer/);
    await expect(rk.train.fit(model, { ...options, gradScaler: 'yes' as unknown as boolean })).rejects.toThrow(/options.gradScaler must be true or false/);
    // Scaling switched off: a plain optimizer is fine.
    await expect(rk.train.fit(model, { ...options, gradScaler: false })).resolves.toBeDefined();
  });
});
