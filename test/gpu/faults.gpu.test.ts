// GPU faults (issue "Reliability", point 6): an allocation larger than the card throws
// OutOfMemoryError, the next training step still works and gives the CPU's numbers, and after 20
// rounds the device's memory is back at its baseline. Skipped, with the reason, without a GPU.

import { expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { expectClose, settledMemory, uniform } from '../helpers.js';
import { cuda, describeGpu } from './helpers.js';

const VOCAB = 50;
const BATCH = 4;
const TIME = 6;
const LENGTHS = Int32Array.from([6, 3, 5, 1]);

/** One Adam step of a small BiLSTM classifier on `device` from a seeded init: the loss. */
async function trainingStep(device: rk.Device): Promise<number> {
  rk.seed(7);
  const model = new rk.nn.SequenceClassifier({
    vocabSize: VOCAB, numClasses: 3, embeddingDim: 8, hiddenSize: 16, numLayers: 2, bidirectional: true,
  }).to(device);
  const optimizer = new rk.optim.Adam(model.parameters(), { lr: 1e-2 });
  const ids = rk.tensor(Int32Array.from(uniform(BATCH * TIME, 3, 1, VOCAB - 1), Math.floor), { shape: [BATCH, TIME], device });
  const targets = rk.tensor(Int32Array.from([0, 2, 1, 2]), { shape: [BATCH], device });
  let last = NaN;
  for (let step = 0; step < 2; step++) {
    optimizer.zeroGrad();
    const loss = rk.tidy(() => rk.crossEntropy(model.forward(ids, { lengths: LENGTHS }), targets));
    loss.backward();
    optimizer.step();
    last = (await loss.data())[0]!;
    loss.dispose();
  }
  optimizer.zeroGrad();
  optimizer.dispose();
  for (const t of [...model.parameters(), ids, targets]) t.dispose();
  return last;
}

/** Asks for twice the card's memory; the error must be an OutOfMemoryError (thrown or on read). */
async function allocateTooMuch(device: rk.Device): Promise<unknown> {
  const total = rk.backends().find((b) => b.device === device)?.gpu?.totalMemory ?? 2 ** 40;
  const elements = Math.ceil((2 * total) / 4);
  try {
    const huge = rk.full([elements], 1, { device });
    try {
      await huge.data();
    } finally {
      huge.dispose();
    }
  } catch (err) {
    return err;
  }
  return null;
}

describeGpu('GPU out of memory', () => {
  it('throws OutOfMemoryError, the next training step still works, memory returns to its baseline (20 rounds)', async () => {
    const device = cuda();
    const expected = await trainingStep('cpu');
    await trainingStep(device); // warm-up: cuDNN/cuBLAS handles and pools exist from here on
    const baseline = (await settledMemory()).byDevice[device];
    for (let round = 0; round < 20; round++) {
      const err = await allocateTooMuch(device);
      expect(err, `round ${round}`).toBeInstanceOf(rk.OutOfMemoryError);
      const loss = await trainingStep(device);
      expectClose([loss], [expected], 1e-4);
      const now = (await settledMemory()).byDevice[device];
      expect(now, `round ${round}`).toEqual(baseline);
    }
  });
});
