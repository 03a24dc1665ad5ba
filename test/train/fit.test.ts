// fit() end to end: a stacked bidirectional LSTM classifier, written against the public API, must
// learn a task that needs memory of both ends of each sequence.

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
