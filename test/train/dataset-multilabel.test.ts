// Multi-hot examples: SequenceDataset and padBatch make float32 targets [batch, classes]; bad
// label vectors are typed errors naming the example.

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
});
