// Inference: model.predict(), train.predict() and train.evaluate() run in evaluation mode without
// the tape (no dropout, no gradient graph, nothing kept for a backward pass), give what the
// model's forward gives, batch for batch and example for example, and leave no tensors behind.

import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { expectClose, settledMemory } from '../helpers.js';

/** n sequences of ids 1..9, lengths 2..8, labels from the first id. */
function examples(n: number): rk.train.Example[] {
  let s = 17;
  const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0);
  return Array.from({ length: n }, () => {
    const input = Array.from({ length: 2 + (next() % 7) }, () => 1 + (next() % 9));
    return { input, target: input[0]! % 3 };
  });
}

function classifier(): rk.nn.SequenceClassifier {
  rk.seed(3);
  return new rk.nn.SequenceClassifier({ vocabSize: 10, numClasses: 3, embeddingDim: 6, hiddenSize: 5, numLayers: 2, dropout: 0.5 });
}

/** Logits of one sequence alone, through forward() in eval mode without the tape. */
function alone(model: rk.train.TrainableModule, ids: readonly number[]): Float32Array {
  model.eval();
  const out = rk.noGrad(() => rk.tidy(() => model.forward(rk.tensor(Int32Array.from(ids), { shape: [1, ids.length] }))));
  model.train();
  const values = out.dataSync() as Float32Array;
  out.dispose();
  return values;
}

describe('model.predict', () => {
  it('is forward() in evaluation mode without the tape, and keeps the model training', () => {
    const model = classifier();
    const ids = rk.tensor(Int32Array.of(1, 2, 3, 4, 5, 6), { shape: [2, 3] });
    const lengths = Int32Array.of(3, 2);
    const a = model.predict(ids, { lengths });
    const b = model.predict(ids, { lengths });
    expect(model.training).toBe(true);
    expect(a.gradFn).toBeNull();
    expect(a.requiresGrad).toBe(false);
    // Dropout 0.5 between the layers is off: two predictions agree exactly, and equal forward in eval mode.
    expectClose(a.dataSync(), b.dataSync(), 0);
    model.eval();
    const ref = rk.noGrad(() => model.forward(ids, { lengths }));
    expectClose(a.dataSync(), ref.dataSync(), 0);
    // In training mode with the tape, forward() differs (dropout) and records a graph.
    model.train();
    const trained = model.forward(ids, { lengths });
    expect(trained.gradFn).not.toBeNull();
    for (const t of [a, b, ref, trained, ids]) t.dispose();
  });

  it('serves a language model: [batch, time, vocab] logits', () => {
    rk.seed(4);
    const lm = new rk.nn.LanguageModel({ vocabSize: 12, embeddingDim: 8, hiddenSize: 8, tieWeights: true });
    const ids = rk.tensor(Int32Array.of(1, 5, 7), { shape: [1, 3] });
    const logits = lm.predict(ids);
    expect(logits.shape).toEqual([1, 3, 12]);
    expectClose(logits.dataSync(), alone(lm, [1, 5, 7]), 0);
    for (const t of [logits, ids]) t.dispose();
  });
});

describe('train.predict', () => {
  it("gives each sequence's logits in order, equal to running it alone, with no tensors left", async () => {
    const model = classifier();
    const data = examples(23).map((e) => e.input as number[]);
    const before = await settledMemory();
    const rows = await rk.train.predict(model, data, { batchSize: 8 });
    expect((await settledMemory()).tensors).toBe(before.tensors);
    expect(rows).toHaveLength(23);
    rows.forEach((row, i) => expectClose(row, alone(model, data[i]!), 1e-5));
    expect(model.training).toBe(true);
  });

  it("takes a data source, and gives a language model's rows over each sequence's own length", async () => {
    rk.seed(6);
    const lm = new rk.nn.LanguageModel({ vocabSize: 10, embeddingDim: 6, hiddenSize: 7 });
    const ex = examples(9);
    const source = new rk.train.SequenceDataset(ex, { batchSize: 4, shuffle: false });
    const rows = await rk.train.predict(lm, source);
    expect(rows).toHaveLength(9);
    rows.forEach((row, i) => {
      expect(row.length).toBe(ex[i]!.input.length * 10);
      expectClose(row, alone(lm, ex[i]!.input as number[]), 1e-5);
    });
  });

  it('refuses bad data and options with typed errors naming them', async () => {
    const model = classifier();
    await expect(rk.train.predict(model, [])).rejects.toThrow(/train\.predict: data must be a data source or a non-empty array/);
    await expect(rk.train.predict(model, [[1, 2], []])).rejects.toThrow(/train\.predict: data\[1\] must be a non-empty/);
    await expect(rk.train.predict(model, [[1, 2.5]])).rejects.toThrow(rk.ArgumentError);
    await expect(rk.train.predict(model, [[1]], { batchSize: 0 })).rejects.toThrow(/options\.batchSize must be >= 1, got 0/);
    await expect(rk.train.predict(model, [[1]], { batch: 2 } as never)).rejects.toThrow(/unknown option 'batch'/);
    await expect(rk.train.predict({} as never, [[1]])).rejects.toThrow(/train\.predict: model must be a module/);
  });
});

describe('train.evaluate', () => {
  it("gives the mean loss per batch and the metrics of the model's predictions", async () => {
    const model = classifier();
    const ex = examples(30);
    const source = new rk.train.SequenceDataset(ex, { batchSize: 7, shuffle: false });
    const loss: rk.train.LossFn = (out, batch) => rk.crossEntropy(out, batch.targets);
    const before = await settledMemory();
    const result = await rk.train.evaluate(model, source, { loss, metrics: [new rk.train.Accuracy()] });
    expect((await settledMemory()).tensors).toBe(before.tensors);
    // The reference: each example alone; the loss per batch of 7, 7, 7, 7, 2.
    let correct = 0;
    const perBatch: number[] = [];
    ex.forEach((e, i) => {
      const logits = alone(model, e.input as number[]);
      const best = logits.indexOf(Math.max(...logits));
      if (best === e.target) correct++;
      const logSum = Math.log(logits.reduce((s, v) => s + Math.exp(v), 0));
      if (i % 7 === 0) perBatch.push(0);
      perBatch[perBatch.length - 1]! += (logSum - logits[e.target]!) / (i >= 28 ? 2 : 7);
    });
    expect(result.metrics.accuracy).toBeCloseTo(correct / 30, 10);
    expect(result.loss).toBeCloseTo(perBatch.reduce((a, b) => a + b) / perBatch.length, 5);
    const metricsOnly = await rk.train.evaluate(model, source, { metrics: [new rk.train.Accuracy()] });
    expect(metricsOnly.loss).toBeUndefined();
    expect(metricsOnly.metrics.accuracy).toBe(result.metrics.accuracy);
  });

  it('refuses bad arguments with typed errors', async () => {
    const model = classifier();
    const source = new rk.train.SequenceDataset(examples(4), { batchSize: 2 });
    await expect(rk.train.evaluate(model, [[1]] as never, { metrics: [new rk.train.Accuracy()] })).rejects.toThrow(/train\.evaluate: data must be a data source/);
    await expect(rk.train.evaluate(model, source)).rejects.toThrow(/needs a loss or metrics/);
    await expect(rk.train.evaluate(model, source, { loss: 3 } as never)).rejects.toThrow(/options\.loss must be a function/);
    // A loss function that gives no one-element tensor: a number, or a loss per row.
    const perRow: rk.train.LossFn = (out, batch) => rk.crossEntropy(out, batch.targets, { reduction: 'none' });
    for (const [loss, got] of [[() => 1, '1'], [perRow, 'a Tensor of shape [2]']] as const) {
      const err = await rk.train.evaluate(model, source, { loss: loss as rk.train.LossFn }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(rk.ArgumentError);
      expect((err as Error).message).toBe(`evaluate: options.loss must return the batch's loss as a one-element Tensor, got ${got}`);
    }
    await expect(rk.train.evaluate(model, source, { metrics: [1] } as never)).rejects.toThrow(/options\.metrics must be an array of metrics/);
    await expect(rk.train.evaluate(model, source, { metrics: [], epoch: -1 })).rejects.toThrow(rk.ArgumentError);
  });
});
