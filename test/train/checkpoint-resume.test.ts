// Exact resume: a run with parameter groups, a warm-up cosine schedule stepped every step and a
// GradScaler (an fp16 layer; the CPU computes float32) is checkpointed after 2 of 4 epochs; fresh
// objects resumed from the file continue with the same per-epoch losses and final parameters, bit
// for bit, as the uninterrupted run. The scale starts so high that steps overflow and are skipped,
// so a scaler that forgot its state would train differently (checked too).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';

/** Ids 1..9, length 4..11; the class says whether the first and the last id are small. */
function examples(n: number, seed: number): rk.train.Example[] {
  let s = seed >>> 0;
  const random = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  return Array.from({ length: n }, () => {
    const input = Array.from({ length: 4 + Math.floor(random() * 8) }, () => 1 + Math.floor(random() * 9));
    return { input, target: 2 * Number(input[0]! <= 4) + Number(input.at(-1)! <= 4) };
  });
}

const SCALER = { initScale: 2 ** 126, growthInterval: 3 };

function setup(initSeed: number) {
  rk.seed(initSeed);
  const model = new rk.nn.SequenceClassifier({
    vocabSize: 10, numClasses: 4, embeddingDim: 6, hiddenSize: 8, numLayers: 2, dropout: 0.2, precision: 'fp16',
  });
  const rnn = new Set(model.rnn.parameters());
  const optimizer = new rk.optim.AdamW(
    [{ params: [...rnn] }, { params: model.parameters().filter((p) => !rnn.has(p)), lr: 0.004, weightDecay: 0 }],
    { lr: 0.02, weightDecay: 0.01 },
  );
  const schedule = new rk.optim.CosineWithWarmup(optimizer, { warmupSteps: 4, totalSteps: 16, minLr: 1e-4 });
  return { model, optimizer, schedule, scaler: new rk.optim.GradScaler(SCALER) };
}
type Run = ReturnType<typeof setup>;

const fitOptions = (run: Run, epochs: number, callbacks: rk.train.Callback[] = [], initialEpoch = 0, initialStep = 0) => ({
  data: new rk.train.SequenceDataset(examples(128, 5), { batchSize: 32, seed: 1 }), // 4 steps per epoch
  loss: (logits: rk.Tensor<'float32'>, batch: rk.train.Batch) => rk.crossEntropy(logits, batch.targets),
  progress: 'off' as const,
  epochs,
  initialEpoch,
  initialStep,
  optimizer: run.optimizer,
  gradScaler: run.scaler,
  callbacks: [rk.train.lrSchedule(run.schedule, { per: 'step' }), ...callbacks],
});

const paramsOf = (run: Run): number[][] => run.model.parameters().map((p) => Array.from(p.dataSync()));
const lrsOf = (run: Run): number[] => run.optimizer.paramGroups.map((g) => g.lr);

const dir = mkdtempSync(join(tmpdir(), 'rnnkit-exact-resume-'));
afterAll(() => rmSync(dir, { recursive: true }));

describe('exact resume with a schedule and a GradScaler', () => {
  it('2 epochs + checkpoint + resume into fresh objects + 2 epochs == 4 epochs: losses, parameters, lrs and scale bit for bit', async () => {
    const whole = setup(11);
    const scales: number[] = [];
    /** The step numbers onStepEnd and the context report, in order. */
    const stepLog = (steps: number[]): rk.train.Callback => ({ onStepEnd: (step, _loss, context) => void steps.push(step, context.step) });
    const wholeSteps: number[] = [];
    const uninterrupted = await rk.train.fit(whole.model, fitOptions(whole, 4, [{ onStepEnd: () => void scales.push(whole.scaler.getScale()) }, stepLog(wholeSteps)]));

    const path = join(dir, 'run.safetensors');
    const first = setup(11);
    const head = await rk.train.fit(
      first.model,
      fitOptions(first, 2, [rk.train.checkpoint(path, first.optimizer, { schedule: first.schedule, gradScaler: first.scaler })]),
    );
    rk.seed(999); // anything drawn in between must not matter
    const second = setup(12); // other weights, a fresh schedule and scaler: the checkpoint replaces them all
    expect(second.scaler.getScale()).toBe(2 ** 126);
    const { initialEpoch, initialStep } = await rk.train.resume(path, second.model, second.optimizer, { schedule: second.schedule, gradScaler: second.scaler });
    expect([initialEpoch, initialStep]).toEqual([2, 8]);
    expect(second.schedule.lastEpoch).toBe(8);
    expect(lrsOf(second)).toEqual(lrsOf(first));
    expect(second.scaler.stateDict()).toEqual(first.scaler.stateDict());
    expect(paramsOf(second)).toEqual(paramsOf(first));
    const restSteps: number[] = [];
    const rest = await rk.train.fit(second.model, fitOptions(second, 4, [stepLog(restSteps)], initialEpoch, initialStep));
    // Step numbers continue: the resumed run's steps 9..16 are the uninterrupted run's.
    expect(wholeSteps).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15, 16, 16]);
    expect(restSteps).toEqual(wholeSteps.slice(16));

    const losses = [...head.epochs, ...rest.epochs].map((e) => e.loss);
    expect(losses).toEqual(uninterrupted.epochs.map((e) => e.loss));
    expect([...head.epochs, ...rest.epochs].map((e) => e.lr)).toEqual(uninterrupted.epochs.map((e) => e.lr));
    expect(paramsOf(second)).toEqual(paramsOf(whole));
    expect(lrsOf(second)).toEqual(lrsOf(whole));
    expect(second.scaler.stateDict()).toEqual(whole.scaler.stateDict());
    // The run exercised both: the scale backed off (skipped steps) and grew again; the groups' lrs differ.
    expect(scales.some((v, i) => i > 0 && v < scales[i - 1]!)).toBe(true);
    expect(scales.some((v, i) => i > 0 && v > scales[i - 1]!)).toBe(true);
    expect(new Set(lrsOf(first)).size).toBe(2); // at the checkpoint (both reach minLr at the end)

    // A scaler that lost its state (back at 2^126) skips other steps: the curve differs.
    const forgetful = setup(12);
    const { initialEpoch: again } = await rk.train.resume(path, forgetful.model, forgetful.optimizer, {
      schedule: forgetful.schedule,
      gradScaler: new rk.optim.GradScaler(SCALER),
    });
    const drifted = await rk.train.fit(forgetful.model, fitOptions(forgetful, 4, [], again));
    expect(drifted.epochs.map((e) => e.loss)).not.toEqual(rest.epochs.map((e) => e.loss));
  });

  it('resume() refuses a schedule or scaler the checkpoint does not match, before loading anything', async () => {
    const path = join(dir, 'with-schedule.safetensors');
    const run = setup(3);
    await rk.train.fit(run.model, fitOptions(run, 1, [rk.train.checkpoint(path, run.optimizer, { schedule: run.schedule })]));
    const fresh = setup(4);
    const before = paramsOf(fresh);
    const lrs = lrsOf(fresh);
    await expect(rk.train.resume(path, fresh.model, fresh.optimizer)).rejects.toThrow(rk.CheckpointError);
    await expect(rk.train.resume(path, fresh.model, fresh.optimizer)).rejects.toThrow(/holds the state of a schedule; pass the run's schedule as options\.schedule/);
    await expect(rk.train.resume(path, fresh.model, fresh.optimizer, { schedule: fresh.schedule, gradScaler: fresh.scaler })).rejects.toThrow(
      /options\.gradScaler was given, but .* holds no gradScaler state/,
    );
    expect(paramsOf(fresh)).toEqual(before);
    expect(lrsOf(fresh)).toEqual(lrs);
    expect(fresh.schedule.lastEpoch).toBe(0);
    expect(() => rk.train.checkpoint(path, run.optimizer, { schedule: {} as never })).toThrow(/options\.schedule must be an optim schedule/);
    expect(() => rk.train.checkpoint(path, run.optimizer, { gradScaler: true as never })).toThrow(rk.ArgumentError);
    await expect(rk.train.resume(path, fresh.model, fresh.optimizer, { scheduler: fresh.schedule } as never)).rejects.toThrow(/unknown option 'scheduler'/);
    await rk.train.resume(path, fresh.model, fresh.optimizer, { schedule: fresh.schedule });
    expect(fresh.schedule.lastEpoch).toBe(4);
    expect(lrsOf(fresh)).toEqual(lrsOf(run));
  });

  it('a step checkpoint holds the schedule and scaler of its step, and resume() restarts its epoch', async () => {
    const path = join(dir, 'steps.safetensors');
    const run = setup(6);
    let atStep6: { params: number[][]; scaler: rk.optim.GradScalerState; lrs: number[] } | null = null;
    const snapshot: rk.train.Callback = {
      onStepEnd: (step) => {
        if (step === 6) atStep6 = { params: paramsOf(run), scaler: run.scaler.stateDict(), lrs: lrsOf(run) };
      },
    };
    // 4 steps per epoch and a save every 3 steps: the last one is step 6, inside epoch 1.
    const options = { every: 99, everySteps: 3, schedule: run.schedule, gradScaler: run.scaler };
    await rk.train.fit(run.model, fitOptions(run, 2, [snapshot, rk.train.checkpoint(path, run.optimizer, options)]));
    const { metadata, tensors } = await rk.io.load(path);
    Object.values(tensors).forEach((t) => t.dispose());
    // Taken at step 6, in epoch 1, which began after step 4: the resumed run redoes steps 5...
    expect(metadata).toMatchObject({ epoch: 0, step: 6, initialStep: 4, partial: true, schedule: { lastEpoch: 6 } });
    const fresh = setup(7);
    const { initialEpoch, initialStep } = await rk.train.resume(path, fresh.model, fresh.optimizer, { schedule: fresh.schedule, gradScaler: fresh.scaler });
    expect([initialEpoch, initialStep]).toEqual([1, 4]);
    expect(paramsOf(fresh)).toEqual(atStep6!.params);
    expect(fresh.scaler.stateDict()).toEqual(atStep6!.scaler);
    expect(lrsOf(fresh)).toEqual(atStep6!.lrs);
    expect(fresh.schedule.lastEpoch).toBe(6);
  });

  it('fit() checks initialStep; resume() refuses a checkpoint whose initialStep is not a whole number', async () => {
    const run = setup(8);
    for (const bad of [-1, 1.5, Number.NaN, '2']) {
      await expect(rk.train.fit(run.model, { ...fitOptions(run, 1), initialStep: bad as number })).rejects.toThrow(/fit: options\.initialStep must be/);
    }
    const path = join(dir, 'bad-step.safetensors');
    await rk.io.save(path, { model: run.model, optimizer: run.optimizer, metadata: { epoch: 0, random: 1, log: null, initialStep: -2 } });
    await expect(rk.train.resume(path, run.model, run.optimizer)).rejects.toThrow(rk.CheckpointError);
    await expect(rk.train.resume(path, run.model, run.optimizer)).rejects.toThrow(/initialStep must be a whole number >= 0, got -2/);
    // A checkpoint of an older version (no initialStep) resumes at step 0.
    await rk.io.save(path, { model: run.model, optimizer: run.optimizer, metadata: { epoch: 0, random: 1, log: null } });
    expect((await rk.train.resume(path, run.model, run.optimizer)).initialStep).toBe(0);
  });
});
