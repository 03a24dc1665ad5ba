// fit({ accumulateSteps: k }): k batches of b rows take one optimizer step equal to one batch of
// k·b rows without accumulation (a classifier on sequences of equal length, no dropout); a partial
// group at the end of an epoch steps with its losses scaled 1/k; callbacks and schedules see
// optimizer steps; logged losses are the unscaled ones.

import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { expectClose, uniform } from '../helpers.js';

/** n sequences of 6 ids in 1..9, class = whether the first id is small. */
function examples(n: number, seed: number): rk.train.Example[] {
  const values = uniform(n * 6, seed, 1, 10).map(Math.floor);
  return Array.from({ length: n }, (_, i) => {
    const input = values.slice(i * 6, i * 6 + 6);
    return { input, target: Number(input[0]! <= 4) };
  });
}

function model(seed: number): rk.nn.SequenceClassifier {
  rk.seed(seed);
  return new rk.nn.SequenceClassifier({ vocabSize: 10, numClasses: 2, embeddingDim: 6, hiddenSize: 8, numLayers: 2 });
}

const loss = (logits: rk.Tensor<'float32'>, batch: rk.train.Batch) => rk.crossEntropy(logits, batch.targets);
const weights = (m: rk.nn.Module): number[][] => m.parameters().map((p) => Array.from(p.dataSync()));

/** Records the loss each onStepEnd reports, and the step numbers. */
function stepLog(): { steps: number[]; losses: number[]; callback: rk.train.Callback } {
  const steps: number[] = [];
  const losses: number[] = [];
  return { steps, losses, callback: { onStepEnd: (step, value) => void (steps.push(step), losses.push(value)) } };
}

describe('fit accumulateSteps', () => {
  // SGD: a step proportional to the gradient, so a wrong loss scale shows (Adam would hide it).
  for (const variant of ['SGD', 'SGD + clipGradNorm', 'SGD + GradScaler', 'Adam'] as const) {
    it(`${variant}: 4 batches of 8 accumulated step as one batch of 32`, async () => {
      const data = examples(64, 1);
      const extra = {
        ...(variant === 'SGD + clipGradNorm' ? { clipGradNorm: 0.05 } : {}), // small enough to clip every step
        ...(variant === 'SGD + GradScaler' ? { gradScaler: true } : {}),
      };
      const optimizer = (m: rk.nn.Module) =>
        variant === 'Adam' ? new rk.optim.Adam(m.parameters(), { lr: 0.01 }) : new rk.optim.SGD(m.parameters(), { lr: 0.5, momentum: 0.5 });
      const accumulated = model(5);
      const a = stepLog();
      const historyA = await rk.train.fit(accumulated, {
        data: new rk.train.SequenceDataset(data, { batchSize: 8, shuffle: false }),
        epochs: 3, accumulateSteps: 4, optimizer: optimizer(accumulated), loss, progress: 'off',
        callbacks: [a.callback], ...extra,
      });
      const whole = model(5);
      const b = stepLog();
      await rk.train.fit(whole, {
        data: new rk.train.SequenceDataset(data, { batchSize: 32, shuffle: false }),
        epochs: 3, optimizer: optimizer(whole), loss, progress: 'off',
        callbacks: [b.callback], ...extra,
      });
      expect(a.steps).toEqual([1, 2, 3, 4, 5, 6]);
      expect(b.steps).toEqual([1, 2, 3, 4, 5, 6]);
      // The mean of four unscaled batch losses is the loss of the batch of 32.
      expectClose(a.losses, b.losses, 2e-6);
      // The epoch's loss is the mean of its unscaled batch losses (not of the 1/k-scaled ones).
      expectClose(historyA.epochs.map((e) => e.loss), [0, 1, 2].map((e) => (a.losses[2 * e]! + a.losses[2 * e + 1]!) / 2), 2e-6);
      const wa = weights(accumulated);
      const wb = weights(whole);
      wa.forEach((w, i) => expectClose(w, wb[i]!, 2e-6));
      // and training moved them (the comparison is not of two untouched models)
      expect(Math.max(...wa[0]!.map((v, i) => Math.abs(v - weights(model(5))[0]![i]!)))).toBeGreaterThan(1e-3);
    });
  }

  it('a partial group at the end of an epoch steps with its losses scaled 1/k; lrSchedule per step follows optimizer steps', async () => {
    // 5 batches of 8, k = 2: steps [1, 2], [3, 4], [5] — the last as SGD on batch 5 at half the rate.
    const data = examples(40, 2);
    const accumulated = model(8);
    const optimizer = new rk.optim.SGD(accumulated.parameters(), { lr: 0.1 });
    let scheduled = 0;
    const a = stepLog();
    await rk.train.fit(accumulated, {
      data: new rk.train.SequenceDataset(data, { batchSize: 8, shuffle: false }),
      epochs: 1, accumulateSteps: 2, optimizer, loss, progress: 'off',
      callbacks: [a.callback, rk.train.lrSchedule({ step: () => void scheduled++ }, { per: 'step' })],
    });
    expect(a.steps).toEqual([1, 2, 3]);
    expect(scheduled).toBe(3);

    const reference = model(8);
    await rk.train.fit(reference, {
      data: new rk.train.SequenceDataset(data.slice(0, 32), { batchSize: 16, shuffle: false }),
      epochs: 1, optimizer: new rk.optim.SGD(reference.parameters(), { lr: 0.1 }), loss, progress: 'off',
    });
    const last = stepLog();
    await rk.train.fit(reference, {
      data: new rk.train.SequenceDataset(data.slice(32), { batchSize: 8, shuffle: false }),
      epochs: 1, optimizer: new rk.optim.SGD(reference.parameters(), { lr: 0.05 }), loss, progress: 'off', callbacks: [last.callback],
    });
    expectClose([a.losses[2]!], last.losses, 1e-6); // the partial step's logged loss is batch 5's, unscaled
    const wr = weights(reference);
    weights(accumulated).forEach((w, i) => expectClose(w, wr[i]!, 2e-6));
  });

  it('a bad accumulateSteps is an ArgumentError naming options.accumulateSteps', async () => {
    const m = model(1);
    const base = {
      data: new rk.train.SequenceDataset(examples(8, 3), { batchSize: 4 }), epochs: 1,
      optimizer: new rk.optim.SGD(m.parameters(), { lr: 0.1 }), loss, progress: 'off' as const,
    };
    for (const [value, message] of [
      [0, /fit: options\.accumulateSteps must be >= 1 \(batches per optimizer step\), got 0/],
      [-2, /fit: options\.accumulateSteps must be >= 1 \(batches per optimizer step\), got -2/],
      [1.5, /fit: options\.accumulateSteps must be a finite integer, got 1\.5/],
      ['4', /fit: options\.accumulateSteps must be a finite integer, got/],
    ] as const) {
      await expect(rk.train.fit(m, { ...base, accumulateSteps: value as number })).rejects.toThrow(rk.ArgumentError);
      await expect(rk.train.fit(m, { ...base, accumulateSteps: value as number })).rejects.toThrow(message);
    }
  });
});
