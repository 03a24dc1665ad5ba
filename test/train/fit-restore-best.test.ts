// earlyStopping({ restoreBestWeights }): when training ends, stopped early or not (Keras 3), the
// model holds the weights of the best epoch bit for bit, and the copies are freed.

import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { settledMemory, uniform } from '../helpers.js';

function examples(n: number, seed: number): rk.train.Example[] {
  const v = uniform(n * 5, seed, 1, 10).map(Math.floor);
  return Array.from({ length: n }, (_, i) => ({ input: v.slice(i * 5, i * 5 + 5), target: Number(v[i * 5]! <= 4) }));
}

/**
 * A run whose monitored 'score' follows `scores` epoch by epoch (set on the log before
 * earlyStopping reads it), recording each epoch's weights after it.
 */
async function run(scores: number[], stopping: rk.train.EarlyStoppingOptions, epochs = scores.length) {
  rk.seed(4);
  const model = new rk.nn.SequenceClassifier({ vocabSize: 10, numClasses: 2, embeddingDim: 4, hiddenSize: 6 });
  const snapshots: Float32Array[][] = [];
  const optimizer = new rk.optim.Adam(model.parameters(), { lr: 0.05 });
  const history = await rk.train.fit(model, {
    data: new rk.train.SequenceDataset(examples(64, 1), { batchSize: 16, seed: 2 }),
    epochs, optimizer, progress: 'off',
    loss: (logits, batch) => rk.crossEntropy(logits, batch.targets),
    callbacks: [
      {
        onEpochEnd: (log) => {
          log.metrics.score = scores[log.epoch]!;
          snapshots.push(model.parameters().map((p) => p.dataSync().slice()));
        },
      },
      rk.train.earlyStopping({ monitor: 'score', mode: 'min', ...stopping }),
    ],
  });
  return { model, optimizer, history, snapshots, final: model.parameters().map((p) => p.dataSync()) };
}

describe('earlyStopping restoreBestWeights', () => {
  it('stopped early: the final weights are the best epoch\'s, bit for bit', async () => {
    const { history, snapshots, final } = await run([3, 1, 2, 4, 5, 0], { patience: 3, restoreBestWeights: true });
    expect(history.epochs).toHaveLength(5); // epochs 2, 3, 4 did not improve on epoch 1
    expect(history.stoppedEarly).toMatch(/score did not improve for 3 epochs \(best 1\)/);
    expect(final).toEqual(snapshots[1]);
    expect(final).not.toEqual(snapshots[4]);
  });

  it('not stopped: the best epoch is restored at the end too (Keras 3)', async () => {
    const { history, snapshots, final } = await run([2, 0.5, 3], { patience: 5, restoreBestWeights: true });
    expect(history.stoppedEarly).toBeUndefined();
    expect(final).toEqual(snapshots[1]);
    expect(final).not.toEqual(snapshots[2]);
  });

  it('without restoreBestWeights the model keeps the last epoch\'s weights', async () => {
    const { snapshots, final } = await run([3, 1, 2, 4], { patience: 2 });
    expect(final).toEqual(snapshots[3]);
  });

  it('keeps one copy of the weights while training and frees it at the end', async () => {
    const first = await run([3, 2, 1, 4], { patience: 9, restoreBestWeights: true });
    first.optimizer.zeroGrad();
    const before = await settledMemory();
    let during = 0;
    const stopping = rk.train.earlyStopping({ monitor: 'score', mode: 'min', restoreBestWeights: true });
    const model = first.model;
    await rk.train.fit(model, {
      data: new rk.train.SequenceDataset(examples(32, 3), { batchSize: 16, seed: 2 }),
      epochs: 3, optimizer: first.optimizer, progress: 'off',
      loss: (logits, batch) => rk.crossEntropy(logits, batch.targets),
      callbacks: [
        { onEpochEnd: (log) => void (log.metrics.score = [3, 1, 2][log.epoch]!) },
        stopping,
        { onEpochEnd: async () => { first.optimizer.zeroGrad(); await rk.sync(); during = rk.memory().tensors; } },
      ],
    });
    first.optimizer.zeroGrad();
    await rk.sync(); // no garbage collection: a copy left to finalizers would count
    const after = rk.memory();
    expect(during - before.tensors).toBe(model.parameters().length); // the one copy of the best weights
    expect(after.tensors).toBe(before.tensors);
    expect(after.bytes).toBe(before.bytes);
  });

  it('a non-boolean restoreBestWeights is an ArgumentError naming it', () => {
    expect(() => rk.train.earlyStopping({ restoreBestWeights: 'yes' as unknown as boolean })).toThrow(rk.ArgumentError);
    expect(() => rk.train.earlyStopping({ restoreBestWeights: 'yes' as unknown as boolean })).toThrow(/earlyStopping: options\.restoreBestWeights must be true or false, got/);
  });
});
