// fit() end to end: a stacked bidirectional LSTM classifier, written against the public API, must
// learn a task that needs memory of both ends of each sequence.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { settledMemory } from '../helpers.js';

/**
 * Sequences of ids 1..9 of length 6..24; the class (0..3) is whether the FIRST id is small
 * (1..4) and whether the LAST id is small: only a model that carries both ends gets it right.
 */
function bothEnds(n: number, seed: number): rk.train.Example[] {
  const random = (() => {
    let s = seed >>> 0;
    return () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 4294967296;
    };
  })();
  return Array.from({ length: n }, () => {
    const len = 6 + Math.floor(random() * 19);
    const input = Array.from({ length: len }, () => 1 + Math.floor(random() * 9));
    const target = 2 * Number(input[0]! <= 4) + Number(input[len - 1]! <= 4);
    return { input, target };
  });
}

describe('fit', () => {
  it('trains a BiLSTM classifier to >= 99% validation accuracy on a both-ends task', async () => {
    rk.seed(7);
    const model = new rk.nn.SequenceClassifier({
      vocabSize: 10, numClasses: 4, embeddingDim: 16, hiddenSize: 32, numLayers: 2, bidirectional: true,
    });
    const optimizer = new rk.optim.Adam(model.parameters(), { lr: 0.01 });
    const data = new rk.train.SequenceDataset(bothEnds(2000, 1), { batchSize: 32, seed: 3 });
    const validationData = new rk.train.SequenceDataset(bothEnds(500, 2), { batchSize: 100, shuffle: false });
    const before = await settledMemory();
    const history = await rk.train.fit(model, {
      data,
      validationData,
      epochs: 12,
      optimizer,
      loss: (logits, batch) => rk.crossEntropy(logits, batch.targets),
      metrics: [new rk.train.Accuracy()],
      clipGradNorm: 5,
      progress: 'off',
      callbacks: [
        {
          onEpochEnd: (log, ctx) => {
            if ((log.valMetrics?.accuracy ?? 0) >= 0.995) ctx.stop('validation accuracy reached 99.5%');
          },
        },
      ],
    });
    const last = history.epochs.at(-1)!;
    expect(last.valMetrics!.accuracy).toBeGreaterThanOrEqual(0.99);
    expect(last.loss).toBeLessThan(0.5 * Math.log(4)); // well below chance (ln 4)
    // Nothing but the optimizer's state and the gradients of the last step stays alive.
    optimizer.zeroGrad();
    const after = await settledMemory();
    const stateBytes = model.parameters().reduce((acc, p) => acc + 2 * 4 * p.size, 0); // Adam: m and v
    expect(after.bytes - before.bytes).toBeLessThanOrEqual(stateBytes + 4096);
  });
});

describe('checkpoints, resume and callbacks', () => {
  const setup = (initSeed: number) => {
    rk.seed(initSeed);
    const model = new rk.nn.SequenceClassifier({
      vocabSize: 10, numClasses: 4, embeddingDim: 8, hiddenSize: 12, numLayers: 2, dropout: 0.2,
    });
    return { model, optimizer: new rk.optim.Adam(model.parameters(), { lr: 0.01 }) };
  };
  const options = () => ({
    data: new rk.train.SequenceDataset(bothEnds(256, 4), { batchSize: 32, seed: 1 }),
    loss: (logits: rk.Tensor<'float32'>, batch: rk.train.Batch) => rk.crossEntropy(logits, batch.targets),
    progress: 'off' as const,
  });

  it('a run resumed from a checkpoint continues with the same loss curve, bit for bit', async () => {
    const whole = setup(11);
    const uninterrupted = await rk.train.fit(whole.model, { ...options(), epochs: 4, optimizer: whole.optimizer });

    const dir = mkdtempSync(join(tmpdir(), 'rnnkit-resume-'));
    const path = join(dir, 'run.safetensors');
    const first = setup(11);
    await rk.train.fit(first.model, {
      ...options(), epochs: 2, optimizer: first.optimizer, callbacks: [rk.train.checkpoint(path, first.optimizer)],
    });
    rk.seed(999); // anything drawn in between must not matter
    const second = setup(12); // different initial weights: the checkpoint replaces them
    const { initialEpoch } = await rk.train.resume(path, second.model, second.optimizer);
    expect(initialEpoch).toBe(2);
    const rest = await rk.train.fit(second.model, { ...options(), epochs: 4, initialEpoch, optimizer: second.optimizer });
    expect(rest.epochs.map((e) => e.epoch)).toEqual([2, 3]);
    expect(rest.epochs.map((e) => e.loss)).toEqual(uninterrupted.epochs.slice(2).map((e) => e.loss));
    rmSync(dir, { recursive: true });
  });

  it('earlyStopping stops after `patience` epochs without improvement; lrSchedule steps the rate', async () => {
    const { model, optimizer } = setup(3);
    const schedule = new rk.optim.StepLR(optimizer, { stepSize: 1, gamma: 0.5 });
    const history = await rk.train.fit(model, {
      ...options(),
      epochs: 6,
      optimizer,
      callbacks: [
        rk.train.lrSchedule(schedule),
        // 'loss' must fall by more than 100 per epoch: it never does, so the first epoch sets the
        // best and training stops after the second (patience 2 would allow a third)
        rk.train.earlyStopping({ monitor: 'loss', patience: 1, minDelta: 100 }),
      ],
    });
    expect(history.epochs.length).toBe(2);
    expect(history.stoppedEarly).toMatch(/loss did not improve for 1 epoch \(best /);
    expect(history.epochs.map((e) => e.lr)).toEqual([0.01, 0.005]);
    expect(optimizer.lr).toBe(0.0025);
  });

  it('step checkpoints save mid-epoch; resume() from one restarts that epoch', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rnnkit-steps-'));
    const path = join(dir, 'steps.safetensors');
    const { model, optimizer } = setup(6);
    // 8 batches per epoch; a save every 3 steps: the last one is step 15, inside epoch 1.
    await rk.train.fit(model, { ...options(), epochs: 2, optimizer, callbacks: [rk.train.checkpoint(path, optimizer, { every: 99, everySteps: 3 })] });
    const { metadata, tensors } = await rk.io.load(path);
    for (const t of Object.values(tensors)) t.dispose();
    expect(metadata).toMatchObject({ step: 15, epoch: 0, partial: true });
    const again = setup(7);
    expect((await rk.train.resume(path, again.model, again.optimizer)).initialEpoch).toBe(1);
    rmSync(dir, { recursive: true });
  });

  it('keeps the event loop responsive while training', async () => {
    const { model, optimizer } = setup(5);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const started = performance.now();
    await rk.train.fit(model, { ...options(), epochs: 2, optimizer });
    clearInterval(timer);
    const elapsed = performance.now() - started;
    // A timer every 5 ms fires at least once per 25 ms of training: the loop never stalls long.
    expect(ticks).toBeGreaterThan(elapsed / 25);
  });

  it('rejects bad options', async () => {
    const { model, optimizer } = setup(1);
    await expect(rk.train.fit(model, { ...options(), epochs: 0, optimizer })).rejects.toThrow(/epochs must be >= 1/);
    await expect(rk.train.fit(model, { ...options(), epochs: 2, initialEpoch: 2, optimizer })).rejects.toThrow(/initialEpoch must be in 0..1/);
    await expect(rk.train.fit(model, { ...options(), epochs: 1, optimizer, clipGradNorm: -1 })).rejects.toThrow(/clipGradNorm must be a positive number/);
    await expect(rk.train.fit(model, { ...options(), epochs: 1, optimizer, batchSize: 3 } as unknown as rk.train.FitOptions)).rejects.toThrow(/unknown option 'batchSize'/);
    const err = await rk.train.fit(model, { ...options(), epochs: 1, optimizer, loss: () => 0.5 as unknown as rk.Tensor<'float32'> }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(rk.ArgumentError);
    expect((err as Error).message).toBe("fit: options.loss must return the batch's loss as a one-element Tensor, got 0.5");
    expect(() => rk.train.checkpoint('x', optimizer, { every: 0 })).toThrow(/every must be >= 1/);
  });
});
