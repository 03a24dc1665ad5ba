// Multi-hot examples: SequenceDataset and padBatch make float32 targets [batch, classes]; bad
// label vectors are typed errors naming the example; fit/evaluate/bucketByLength take multi-hot
// data with no cast (this file is type-checked by tsc, so a cast they needed would fail it).

import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';

const examples: rk.train.Example<'float32'>[] = [
  { input: [1, 2, 3], target: [1, 0, 1] },
  { input: [4], target: Float32Array.from([0, 0, 0]) },
  { input: [5, 6], target: [0, 1, 0.25] },
];

describe('multi-hot targets', () => {
  it('batches float32 targets [batch, classes] beside the padded inputs', () => {
    const ds = new rk.train.SequenceDataset(examples, { batchSize: 2, shuffle: false });
    const batches = [...ds.batches(0)];
    expect(batches.map((b) => b.targets.dtype)).toEqual(['float32', 'float32']);
    expect(batches.map((b) => [...b.targets.shape])).toEqual([[2, 3], [1, 3]]);
    expect(Array.from(batches[0]!.targets.dataSync())).toEqual([1, 0, 1, 0, 0, 0]);
    expect(Array.from(batches[1]!.targets.dataSync())).toEqual([0, 1, 0.25]);
    expect(Array.from(batches[0]!.inputs.dataSync())).toEqual([1, 2, 3, 4, 0, 0]);
    const batch = rk.data.padBatch(examples);
    expect([...batch.targets.shape]).toEqual([3, 3]);
    // Class ids still give int32 [batch].
    expect(rk.data.padBatch([{ input: [1], target: 2 }]).targets.dtype).toBe('int32');
  });

  it('a batch trains through bceWithLogits and scores with the multi-label metrics', async () => {
    const batch = rk.data.padBatch(examples);
    const logits = rk.tensor([[3, -3, 3], [-3, -3, -3], [-3, 3, -3]]);
    const acc = new rk.train.SubsetAccuracy();
    await acc.update(logits, batch.targets);
    expect(acc.compute()).toBe(1);
    expect(rk.bceWithLogits(logits, batch.targets).dataSync()[0]).toBeGreaterThan(0);
  });

  it('rejects label vectors of another length, values outside [0, 1] and mixed kinds', () => {
    const make = (list: unknown[]) => () => new rk.train.SequenceDataset(list as rk.train.Example<'float32'>[], { batchSize: 2 });
    expect(make([examples[0], { input: [1], target: [1, 0] }])).toThrow(rk.ArgumentError);
    expect(make([examples[0], { input: [1], target: [1, 0] }])).toThrow(/SequenceDataset: examples\[1\].target has 2 values, expected 3 \(one per class, as examples\[0\].target\)/);
    expect(make([examples[0], { input: [1], target: [1, 0, 2] }])).toThrow(/examples\[1\].target\[2\] must be a number in \[0, 1\], got 2/);
    expect(make([examples[0], { input: [1], target: [1, Number.NaN, 0] }])).toThrow(/examples\[1\].target\[1\] must be a number in \[0, 1\], got NaN/);
    expect(make([examples[0], { input: [1], target: 1 }])).toThrow(/examples\[1\].target must be a label vector like examples\[0\].target/);
    expect(make([{ input: [1], target: 1 }, examples[0]])).toThrow(/examples\[1\].target must be a finite integer/);
    expect(make([{ input: [1], target: [] }])).toThrow(/examples\[0\].target is an empty label vector/);
    expect(make([examples[0], { input: [1], target: 'abc' }])).toThrow(/examples\[1\].target must be a label vector/);
  });

  it('bucketByLength, fit and evaluate infer the float32 targets: a multi-label model learns its labels', async () => {
    // Label k is on when token k+1 appears in the sequence: learnable from the tokens alone.
    let state = 7;
    const random = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
    const data = Array.from({ length: 96 }, () => {
      const input = Array.from({ length: 2 + Math.floor(random() * 5) }, () => 1 + Math.floor(random() * 3));
      return { input, target: [1, 2, 3].map((k) => Number(input.includes(k))) };
    });
    const source = rk.data.bucketByLength(data, { batchSize: 16, bucketWidth: 2, seed: 0 });
    const first = [...source.batches(0)][0]!;
    expect(first.targets.dtype).toBe('float32');
    rk.seed(0);
    const model = new rk.nn.SequenceClassifier({ vocabSize: 4, numClasses: 3, embeddingDim: 8, hiddenSize: 16, pooling: 'max' });
    const loss = (logits: rk.Tensor<'float32'>, batch: rk.train.Batch<'float32'>) => rk.bceWithLogits(logits, batch.targets);
    const before = await rk.train.evaluate(model, source, { loss, metrics: [new rk.train.SubsetAccuracy()] });
    const history = await rk.train.fit(model, { data: source, epochs: 30, optimizer: new rk.optim.Adam(model.parameters(), { lr: 0.02 }), loss, progress: 'off' });
    const after = await rk.train.evaluate(model, source, { loss, metrics: [new rk.train.SubsetAccuracy()] });
    expect(history.epochs.at(-1)!.loss).toBeLessThan(history.epochs[0]!.loss / 4);
    expect(after.loss!).toBeLessThan(before.loss! / 4);
    expect(after.metrics['subsetAccuracy']).toBeGreaterThan(0.9);
  });
});
