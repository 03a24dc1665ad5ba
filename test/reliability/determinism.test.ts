// Deterministic mode on CPU: two runs of 100 training steps of a small 2-layer BiLSTM classifier
// with dropout (between the layers and on the embeddings) give bit-identical losses, compared as
// float32 bit patterns. The second run starts with other tensors alive, so its buffers sit at
// other addresses. A run with another seed must differ (the comparison can fail).

import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { uniform } from '../helpers.js';

const STEPS = 100;
const BATCH = 8;
const TIME = 10;
const VOCAB = 40;

/** Token ids, lengths and labels of one batch: fixed data, independent of rnnkit's generator. */
function batch(step: number): { ids: Int32Array; lengths: Int32Array; labels: Int32Array } {
  const u = uniform(BATCH * TIME + 2 * BATCH, 1000 + step, 0, 1);
  const ids = Int32Array.from(u.slice(0, BATCH * TIME), (v) => Math.floor(v * VOCAB));
  const lengths = Int32Array.from(u.slice(BATCH * TIME, BATCH * TIME + BATCH), (v) => 1 + Math.floor(v * TIME));
  // The label depends on the tokens, so the model can learn it: is the first token in the upper half?
  const labels = Int32Array.from({ length: BATCH }, (_, b) => (ids[b * TIME]! >= VOCAB / 2 ? 1 : 0));
  return { ids, lengths, labels };
}

/** The loss of every step, as float32 bit patterns. */
function train(seedValue: number, steps = STEPS): Uint32Array {
  rk.setDeterministic(true, { seed: seedValue });
  const model = new rk.nn.SequenceClassifier({ vocabSize: VOCAB, numClasses: 2, embeddingDim: 8, hiddenSize: 12, numLayers: 2, bidirectional: true, dropout: 0.3 });
  const optimizer = new rk.optim.Adam(model.parameters(), { lr: 0.01 });
  const bits = new Uint32Array(steps);
  const losses = new Float32Array(bits.buffer);
  for (let step = 0; step < steps; step++) {
    const { ids, lengths, labels } = batch(step);
    losses[step] = rk.tidy(() => {
      const x = rk.tensor(ids, { shape: [BATCH, TIME] });
      const logits = model.forward(x, { lengths });
      const loss = rk.crossEntropy(rk.dropout(logits, 0.1), rk.tensor(labels));
      optimizer.zeroGrad();
      loss.backward();
      optimizer.step();
      return loss.item();
    });
  }
  optimizer.dispose();
  for (const p of model.parameters()) {
    p.grad?.dispose();
    p.grad = null;
  }
  return bits;
}

describe('deterministic mode (CPU)', () => {
  it(`two runs of ${STEPS} BiLSTM training steps with dropout give bit-identical losses`, () => {
    const first = train(7);
    const ballast = rk.zeros([1234 + 17]); // the second run's buffers land elsewhere
    const second = train(7);
    ballast.dispose();
    expect(rk.isDeterministic()).toBe(true);
    expect(Array.from(second)).toEqual(Array.from(first));

    // The runs are real training: the loss falls, and another seed gives other losses.
    const losses = new Float32Array(first.buffer);
    const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
    expect(mean(losses.subarray(STEPS - 20))).toBeLessThan(mean(losses.subarray(0, 20)));
    const other = train(8, 10);
    expect(Array.from(other)).not.toEqual(Array.from(first.subarray(0, 10)));
    rk.setDeterministic(false);
    expect(rk.isDeterministic()).toBe(false);
  });

  it('seeds an unseeded generator with 0 and keeps a seed set by seed()', () => {
    rk.seed(123);
    rk.setDeterministic(true);
    const state = rk.getRandomState();
    expect(state).toBe(123);
    rk.setDeterministic(true, { seed: 5 });
    expect(rk.getRandomState()).toBe(5);
    rk.setDeterministic(false);
    expect(() => rk.setDeterministic('yes' as never)).toThrow(rk.ArgumentError);
    expect(() => rk.setDeterministic(true, { seed: 1.5 })).toThrow(/^setDeterministic: options\.seed must be a finite integer, got 1\.5$/);
    expect(() => rk.setDeterministic(true, { sead: 1 } as never)).toThrow(/unknown option 'sead'/);
  });
});
