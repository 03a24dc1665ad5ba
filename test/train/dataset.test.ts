// SequenceDataset: batching with padding and lengths, seeded shuffling, bad examples.

import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';

const examples: rk.train.Example[] = [
  { input: [1, 2, 3], target: 0 },
  { input: [4], target: 1 },
  { input: [5, 6], target: 2 },
  { input: [7, 8, 9, 10], target: 3 },
  { input: [11, 12], target: 4 },
];

describe('SequenceDataset', () => {
  it('pads each batch to its longest sequence and reports lengths and tokens', () => {
    const ds = new rk.train.SequenceDataset(examples, { batchSize: 2, shuffle: false, padValue: -1 });
    expect(ds.numBatches).toBe(3);
    const batches = [...ds.batches(0)];
    expect(batches.map((b) => [...b.inputs.shape])).toEqual([[2, 3], [2, 4], [1, 2]]);
    expect(Array.from(batches[0]!.inputs.dataSync())).toEqual([1, 2, 3, 4, -1, -1]);
    expect(Array.from(batches[1]!.inputs.dataSync())).toEqual([5, 6, -1, -1, 7, 8, 9, 10]);
    expect(Array.from(batches[0]!.lengths)).toEqual([3, 1]);
    expect(Array.from(batches[1]!.targets.dataSync())).toEqual([2, 3]);
    expect(batches.map((b) => b.tokens)).toEqual([4, 6, 2]);
    const dropLast = new rk.train.SequenceDataset(examples, { batchSize: 2, shuffle: false, keepLast: false });
    expect([...dropLast.batches(0)].length).toBe(2);
    expect(dropLast.numBatches).toBe(2);
  });

  it('shuffles each epoch differently, and the same way for the same seed', () => {
    const order = (ds: rk.train.SequenceDataset, epoch: number) =>
      [...ds.batches(epoch)].flatMap((b) => Array.from(b.targets.dataSync()));
    const a = new rk.train.SequenceDataset(examples, { batchSize: 5, seed: 9 });
    const b = new rk.train.SequenceDataset(examples, { batchSize: 5, seed: 9 });
    expect(order(a, 0)).toEqual(order(b, 0));
    expect([...order(a, 0)].sort()).toEqual([0, 1, 2, 3, 4]);
    const epochs = [0, 1, 2, 3].map((e) => order(a, e).join());
    expect(new Set(epochs).size).toBeGreaterThan(1);
    expect(Array.from(rk.train.permutation(6, 1)).sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('rejects empty datasets, bad examples and options', () => {
    expect(() => new rk.train.SequenceDataset([], { batchSize: 2 })).toThrow(/non-empty array/);
    expect(() => new rk.train.SequenceDataset([{ input: [], target: 0 }], { batchSize: 2 })).toThrow(/examples\[0\].input/);
    expect(() => new rk.train.SequenceDataset([{ input: [1], target: 0.5 }], { batchSize: 2 })).toThrow(/examples\[0\].target must be a finite integer/);
    expect(() => new rk.train.SequenceDataset(examples, { batchSize: 0 })).toThrow(/batchSize must be >= 1/);
    expect(() => new rk.train.SequenceDataset(examples, { batchSize: 2, shufle: true } as rk.train.SequenceDatasetOptions)).toThrow(/unknown option 'shufle'/);
  });
});
