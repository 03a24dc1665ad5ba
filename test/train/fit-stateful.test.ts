// fit({ stateful: true }) against a truncated-BPTT loop written out by hand (each batch starts
// from the final state of the batch before, copied through the host so no gradient can cross), for
// an LSTM and a GRU language model; stateful validation against one forward over the whole
// streams; no tensor outlives the run; bad input.

import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { expectClose, settledMemory, uniform } from '../helpers.js';

const VOCAB = 7;
/** A corpus with long-range structure: runs of one id whose length depends on the id. */
function corpus(n: number, seed: number): Int32Array {
  const r = uniform(n, seed, 0, 1);
  const ids: number[] = [];
  for (let i = 0; ids.length < n; i++) {
    const id = 1 + Math.floor(r[i % n]! * (VOCAB - 1));
    for (let k = 0; k < id && ids.length < n; k++) ids.push(id);
  }
  return Int32Array.from(ids);
}

const loss = (logits: rk.Tensor<'float32'>, batch: rk.train.Batch) => rk.crossEntropy(logits, batch.targets);

function lm(cell: 'lstm' | 'gru', seed: number): rk.nn.LanguageModel {
  rk.seed(seed);
  return new rk.nn.LanguageModel({ vocabSize: VOCAB, embeddingDim: 5, hiddenSize: 8, numLayers: 2, cell });
}

/** A detached copy of a state made through host memory (independent of fit's own detach). */
function hostCopy(state: rk.nn.RecurrentState): rk.nn.RecurrentState {
  const copy = (t: rk.Tensor<'float32'>) => rk.tensor(t.dataSync(), { shape: [...t.shape] });
  return state.c ? { h: copy(state.h), c: copy(state.c) } : { h: copy(state.h) };
}

function disposeState(state: rk.nn.RecurrentState | undefined): void {
  state?.h.dispose();
  state?.c?.dispose();
}

/** Truncated BPTT by hand over the stream's batches: the per-batch losses. */
async function byHand(model: rk.nn.LanguageModel, stream: rk.data.TextStream, optimizer: rk.optim.SGD, epochs: number): Promise<number[]> {
  const losses: number[] = [];
  model.train();
  for (let epoch = 0; epoch < epochs; epoch++) {
    let state: rk.nn.RecurrentState | undefined;
    for (const batch of stream.batches(epoch)) {
      optimizer.zeroGrad();
      const next = rk.tidy(() => {
        const out = model.run(batch.inputs, state ? { state } : {});
        const l = loss(out.logits, batch);
        l.backward();
        losses.push(l.item());
        return hostCopy(out.state);
      });
      optimizer.step();
      disposeState(state);
      state = next;
      batch.inputs.dispose();
      batch.targets.dispose();
    }
    disposeState(state);
  }
  return losses;
}

describe('fit stateful', () => {
  for (const cell of ['lstm', 'gru'] as const) {
    it(`${cell}: equals truncated BPTT by hand (state carried, detached, zeros each epoch), and differs from a stateless run`, async () => {
      const stream = rk.data.textStream(corpus(600, 1), { batchSize: 4, time: 12 }); // 150 per stream: 13 batches, the last of 5
      const a = lm(cell, 3);
      const aOpt = new rk.optim.SGD(a.parameters(), { lr: 0.5 });
      const steps: number[] = [];
      await rk.train.fit(a, {
        data: stream, epochs: 2, stateful: true, optimizer: aOpt, loss, progress: 'off',
        callbacks: [{ onStepEnd: (_s, l) => void steps.push(l) }],
      });
      const b = lm(cell, 3);
      const expected = await byHand(b, stream, new rk.optim.SGD(b.parameters(), { lr: 0.5 }), 2);
      expect(steps).toHaveLength(26);
      expectClose(steps, expected, 1e-5);
      const wb = b.parameters().map((p) => p.dataSync());
      a.parameters().forEach((p, i) => expectClose(p.dataSync(), wb[i]!, 1e-5));

      const c = lm(cell, 3);
      const stateless: number[] = [];
      await rk.train.fit(c, {
        data: stream, epochs: 1, optimizer: new rk.optim.SGD(c.parameters(), { lr: 0.5 }), loss, progress: 'off',
        callbacks: [{ onStepEnd: (_s, l) => void stateless.push(l) }],
      });
      expect(stateless[0]).toBeCloseTo(steps[0]!, 5); // the first batch starts from zeros either way
      expect(Math.abs(stateless[1]! - steps[1]!)).toBeGreaterThan(1e-4); // the second does not
    });
  }

  it('stateful validation carries the state through the validation streams: one forward over each whole stream', async () => {
    const model = lm('lstm', 4);
    const ids = corpus(4 * 61, 2); // streams of 61: 60 targets, 5 batches of 12
    const stream = rk.data.textStream(ids, { batchSize: 4, time: 12 });
    const carried = await rk.train.evaluate(model, stream, { loss, stateful: true });
    const cut = await rk.train.evaluate(model, stream, { loss });
    const whole = rk.noGrad(() =>
      rk.tidy(() => {
        model.eval();
        const rows = Array.from({ length: 4 }, (_, r) => ids.subarray(r * 61, r * 61 + 61));
        const inputs = rk.tensor(Int32Array.from(rows.flatMap((row) => [...row.subarray(0, 60)])), { shape: [4, 60] });
        const targets = rk.tensor(Int32Array.from(rows.flatMap((row) => [...row.subarray(1)])), { shape: [4, 60] });
        return rk.crossEntropy(model.forward(inputs), targets).item();
      }),
    );
    model.train();
    expect(carried.loss).toBeCloseTo(whole, 5);
    expect(Math.abs(cut.loss! - whole)).toBeGreaterThan(1e-4);

    // fit's validation is the same stateful evaluation.
    let valLoss = NaN;
    const probe = lm('lstm', 4);
    await rk.train.fit(probe, {
      data: stream, validationData: stream, epochs: 1, stateful: true, loss, progress: 'off',
      optimizer: new rk.optim.SGD(probe.parameters(), { lr: 0.1 }),
      callbacks: [{ onEpochEnd: (log) => void (valLoss = log.valLoss!) }],
    });
    expect(valLoss).toBeCloseTo((await rk.train.evaluate(probe, stream, { loss, stateful: true })).loss!, 6);
  });

  it('leaves no tensor alive but the gradients of the last step (all disposed, none left to the garbage collector)', async () => {
    const model = lm('lstm', 5);
    const optimizer = new rk.optim.SGD(model.parameters(), { lr: 0.1 });
    const stream = rk.data.textStream(corpus(400, 3), { batchSize: 4, time: 10 });
    const run = () => rk.train.fit(model, { data: stream, validationData: stream, epochs: 2, stateful: true, optimizer, loss, progress: 'off' });
    await run(); // warm-up: anything created once
    optimizer.zeroGrad();
    const before = await settledMemory();
    await run();
    optimizer.zeroGrad();
    await rk.sync(); // no garbage collection: its finalizers would hide a tensor fit forgot to dispose
    const after = rk.memory();
    expect(after.tensors).toBe(before.tensors);
    expect(after.bytes).toBe(before.bytes);
  });

  it('bad input: a model without run(), batches of changing rows, a non-boolean stateful', async () => {
    rk.seed(1);
    const classifier = new rk.nn.SequenceClassifier({ vocabSize: 7, numClasses: 2, embeddingDim: 4, hiddenSize: 4 });
    const data = rk.data.textStream(corpus(100, 4), { batchSize: 2, time: 5 });
    const base = { epochs: 1, loss, progress: 'off' as const };
    await expect(rk.train.fit(classifier, { ...base, data, stateful: true, optimizer: new rk.optim.SGD(classifier.parameters(), { lr: 0.1 }) }))
      .rejects.toThrow(/fit: options\.stateful needs a model with run\(inputs, \{ lengths, state \}\) → \{ logits, state \} \(nn\.LanguageModel has it\)/);
    const model = lm('gru', 2);
    const optimizer = new rk.optim.SGD(model.parameters(), { lr: 0.1 });
    await expect(rk.train.fit(model, { ...base, data, stateful: 'yes' as unknown as boolean, optimizer })).rejects.toThrow(/fit: options\.stateful must be true or false, got/);
    // 7 windows in batches of 3: the last batch has 1 row, which cannot continue 3 rows.
    const windows = rk.data.textWindows(corpus(80, 5), { time: 10, batchSize: 3, shuffle: false });
    const error = await rk.train.fit(model, { ...base, data: windows, stateful: true, optimizer }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(rk.ShapeError);
    expect((error as Error).message).toMatch(/fit: a stateful run needs every batch to have the same number of rows .*this batch has 1, the one before had 3/);
    await expect(rk.train.evaluate(classifier, data, { loss, stateful: true })).rejects.toThrow(/options\.stateful needs a model with run/);
    await expect(rk.train.evaluate(model, data, { loss, stateful: 1 as unknown as boolean })).rejects.toThrow(/train\.evaluate: options\.stateful must be true or false, got 1/);
  });
});
