// nn.LanguageModel: shapes, weight tying, stepping with a carried state, and learning a sequence.

import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { expectClose } from '../helpers.js';

const read = (t: rk.Tensor): number[] => Array.from(t.dataSync());

describe('nn.LanguageModel', () => {
  it('gives [batch, time, vocab] logits; tied weights reuse the embedding table', () => {
    rk.seed(1);
    const lm = new rk.nn.LanguageModel({ vocabSize: 7, embeddingDim: 6, hiddenSize: 6, numLayers: 2, tieWeights: true });
    expect(lm.namedParameters().map(([n]) => n)).not.toContain('head.weight');
    expect(lm.namedParameters().map(([n]) => n)).toContain('head_bias');
    rk.tidy(() => {
      const ids = rk.tensor(new Int32Array([1, 2, 3, 4, 5, 6]), { shape: [2, 3] });
      const { logits, state } = lm.run(ids);
      expect(logits.shape).toEqual([2, 3, 7]);
      const { output } = lm.rnn.forward(lm.embedding.forward(ids));
      const manual = rk.add(rk.matmul(output, lm.embedding.weight.transpose()), lm.headBias!);
      expectClose(read(logits), read(manual), 1e-6);
      expect(state.h.shape).toEqual([2, 2, 6]);
    });
    expect(() => new rk.nn.LanguageModel({ vocabSize: 7, embeddingDim: 4, hiddenSize: 6, tieWeights: true })).toThrow(/tieWeights needs embeddingDim \(4\) equal to hiddenSize \(6\)/);
  });

  it('stepping with the carried state equals running the whole sequence', () => {
    rk.seed(2);
    const lm = new rk.nn.LanguageModel({ vocabSize: 9, embeddingDim: 5, hiddenSize: 8, numLayers: 2 });
    lm.eval();
    rk.tidy(() => {
      const ids = rk.tensor(new Int32Array([3, 1, 4, 1, 5, 8, 2, 6]), { shape: [1, 8] });
      const whole = read(lm.run(ids).logits);
      let state: rk.nn.RecurrentState | undefined;
      const steps: number[] = [];
      for (let t = 0; t < 8; t++) {
        const out = lm.run(ids.narrow(1, t, 1).contiguous(), state ? { state } : {});
        steps.push(...read(out.logits));
        state = out.state;
      }
      expectClose(steps, whole, 1e-5);
    });
  });

  it('learns a repeating sequence with fit()', async () => {
    rk.seed(3);
    const cycle = [1, 2, 3, 4, 5];
    const ids = Int32Array.from({ length: 400 }, (_, i) => cycle[i % cycle.length]!);
    const lm = new rk.nn.LanguageModel({ vocabSize: 6, embeddingDim: 8, hiddenSize: 16 });
    const history = await rk.train.fit(lm, {
      data: rk.data.textWindows(ids, { time: 10, batchSize: 8, seed: 0 }),
      epochs: 12,
      optimizer: new rk.optim.Adam(lm.parameters(), { lr: 0.02 }),
      loss: (logits, batch) => rk.crossEntropy(logits, batch.targets),
      progress: 'off',
    });
    expect(history.epochs.at(-1)!.loss).toBeLessThan(0.1);
  });
});
