// Language-model windows, the train/validation split, and bucketByLength's padding fraction
// against plain shuffled batching on a skewed length distribution.

import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { settledMemory } from '../helpers.js';

const { textWindows, trainValidationSplit, bucketByLength, paddingFractionOf } = rk.data;

const read = (t: rk.Tensor): number[] => Array.from(t.dataSync());
function disposeAll(batches: rk.train.Batch[]): void {
  for (const b of batches) {
    b.inputs.dispose();
    b.targets.dispose();
  }
}

describe('textWindows', () => {
  const ids = Int32Array.from({ length: 11 }, (_, i) => i); // 0..10

  it('cuts inputs ids[t..t+T) and targets ids[t+1..t+T+1) into [B, T] batches', () => {
    const w = textWindows(ids, { time: 3, batchSize: 2, shuffle: false });
    expect(w.numWindows).toBe(3); // starts 0, 3, 6; a window at 9 would need ids up to 12
    expect(w.numBatches).toBe(2);
    const batches = [...w.batches(0)];
    expect(batches.map((b) => [...b.inputs.shape])).toEqual([[2, 3], [1, 3]]);
    expect(batches.map((b) => [...b.targets.shape])).toEqual([[2, 3], [1, 3]]);
    expect(read(batches[0]!.inputs)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(read(batches[0]!.targets)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(read(batches[1]!.inputs)).toEqual([6, 7, 8]);
    expect(read(batches[1]!.targets)).toEqual([7, 8, 9]);
    expect(batches[0]!.inputs.dtype).toBe('int32');
    expect(Array.from(batches[0]!.lengths)).toEqual([3, 3]);
    expect(batches.map((b) => b.tokens)).toEqual([6, 3]);
    disposeAll(batches);
  });

  it('steps by stride, shuffles per epoch with the seed, and can drop the last batch', () => {
    const w = textWindows(ids, { time: 4, stride: 1, batchSize: 3, seed: 5 });
    expect(w.numWindows).toBe(7); // starts 0..6
    expect(w.window(6)).toEqual({ input: Int32Array.from([6, 7, 8, 9]), target: Int32Array.from([7, 8, 9, 10]) });
    const firsts = (src: rk.data.TextWindows, epoch: number): number[] => {
      const batches = [...src.batches(epoch)];
      const out = batches.flatMap((b) => read(b.inputs).filter((_, i) => i % 4 === 0));
      disposeAll(batches);
      return out;
    };
    const again = textWindows(ids, { time: 4, stride: 1, batchSize: 3, seed: 5 });
    expect(firsts(w, 0)).toEqual(firsts(again, 0));
    expect([...firsts(w, 0)].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(new Set([0, 1, 2, 3].map((e) => firsts(w, e).join())).size).toBeGreaterThan(1);
    const drop = textWindows(ids, { time: 4, stride: 1, batchSize: 3, keepLast: false });
    expect(drop.numBatches).toBe(2);
    const batches = [...drop.batches(0)];
    expect(batches.length).toBe(2);
    disposeAll(batches);
  });

  it('rejects too few tokens and bad options', () => {
    expect(() => textWindows(Int32Array.from([1, 2, 3]), { time: 3, batchSize: 1 })).toThrow(/3 tokens are too few for one window of time 3/);
    expect(() => textWindows(ids, { time: 0, batchSize: 1 })).toThrow(/options.time must be >= 1/);
    expect(() => textWindows(ids, { time: 2, stride: 0, batchSize: 1 })).toThrow(/options.stride must be >= 1/);
    expect(() => textWindows(ids, { time: 2, batchSize: 0 })).toThrow(/options.batchSize must be >= 1/);
    expect(() => textWindows('abc' as unknown as Int32Array, { time: 2, batchSize: 1 })).toThrow(/ids must be an Int32Array/);
    expect(() => textWindows(ids, { time: 2, batchSize: 1, shufle: false } as rk.data.TextWindowsOptions)).toThrow(/unknown option 'shufle'/);
    expect(() => textWindows(ids, { time: 2, batchSize: 1 }).window(99)).toThrow(/out of range/);
  });
});

describe('trainValidationSplit', () => {
  const examples = Array.from({ length: 10 }, (_, i) => ({ input: [i + 1], target: i % 3 }));

  it('splits round(n · fraction) examples off, seeded, keeping the original order in each part', () => {
    const { train, validation } = trainValidationSplit(examples, { validationFraction: 0.3, seed: 1 });
    expect(validation.length).toBe(3);
    expect(train.length).toBe(7);
    const key = (xs: typeof examples): number[] => xs.map((e) => e.input[0]!);
    expect([...key(train), ...key(validation)].sort((a, b) => a - b)).toEqual(key(examples));
    expect(key(train)).toEqual([...key(train)].sort((a, b) => a - b));
    const same = trainValidationSplit(examples, { validationFraction: 0.3, seed: 1 });
    expect(key(same.validation)).toEqual(key(validation));
    const seeds = [1, 2, 3, 4, 5].map((seed) => key(trainValidationSplit(examples, { validationFraction: 0.3, seed }).validation).join());
    expect(new Set(seeds).size).toBeGreaterThan(1);
    expect(trainValidationSplit(examples, { validationFraction: 0.25 }).validation.length).toBe(3); // 2.5 → 3
  });

  it('rejects fractions that leave a side empty', () => {
    expect(() => trainValidationSplit(examples, { validationFraction: 0 })).toThrow(/validationFraction must be a number in \(0, 1\), got 0/);
    expect(() => trainValidationSplit(examples, { validationFraction: 1 })).toThrow(/in \(0, 1\)/);
    expect(() => trainValidationSplit(examples, { validationFraction: 0.01 })).toThrow(/10 examples with validationFraction 0.01 leave no validation examples/);
    expect(() => trainValidationSplit(examples, { validationFraction: 0.99 })).toThrow(/leave no training examples/);
    expect(() => trainValidationSplit(examples, undefined as unknown as rk.data.SplitOptions)).toThrow(/validationFraction/);
  });
});

describe('bucketByLength', () => {
  /** 2000 examples: 90% of lengths 1..12, 10% of lengths 40..200 (seeded). */
  function skewed(): rk.train.Example[] {
    let s = 12345;
    const rand = (): number => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return s / 4294967296;
    };
    return Array.from({ length: 2000 }, (_, i) => {
      const len = rand() < 0.9 ? 1 + Math.floor(rand() * 12) : 40 + Math.floor(rand() * 161);
      return { input: Int32Array.from({ length: len }, (_, t) => 2 + ((i + t) % 50)), target: i % 4 };
    });
  }

  it('cuts padding far below plain shuffled batching on a skewed length distribution', async () => {
    const examples = skewed();
    const before = await settledMemory();
    const plain = new rk.train.SequenceDataset(examples, { batchSize: 32, seed: 3 });
    const bucketed = bucketByLength(examples, { batchSize: 32, seed: 3 });
    const plainPad = paddingFractionOf(plain, 0);
    const bucketPad = bucketed.paddingFraction(0);
    // Nearly every plain batch holds a long example, so most positions are padding.
    expect(plainPad).toBeGreaterThan(0.6);
    expect(bucketPad).toBeLessThan(0.15);
    expect(bucketPad).toBeLessThan(plainPad / 4);
    // The fraction it reports is the one its real batches have.
    expect(paddingFractionOf(bucketed, 0)).toBeCloseTo(bucketPad, 12);
    expect(paddingFractionOf(bucketed, 1)).toBeCloseTo(bucketed.paddingFraction(1), 12);
    const after = await settledMemory();
    expect(after.tensors).toBe(before.tensors); // paddingFractionOf disposes what it builds
  });

  it('puts every example in exactly one batch per epoch, each batch from one bucket, seeded', () => {
    const examples = skewed();
    const ds = bucketByLength(examples, { batchSize: 16, bucketWidth: 10, seed: 7 });
    expect(ds.boundaries.slice(0, 3)).toEqual([11, 21, 31]);
    const plan = ds.plan(0);
    expect(plan.length).toBe(ds.numBatches);
    const seen = plan.flatMap((idx) => Array.from(idx)).sort((a, b) => a - b);
    expect(seen).toEqual(examples.map((_, i) => i));
    for (const idx of plan) {
      const buckets = new Set(Array.from(idx, (i) => Math.floor((examples[i]!.input.length - 1) / 10)));
      expect(buckets.size).toBe(1);
      expect(idx.length).toBeLessThanOrEqual(16);
    }
    const same = bucketByLength(examples, { batchSize: 16, bucketWidth: 10, seed: 7 });
    const flat = (p: Int32Array[]): string => p.map((b) => Array.from(b).join(',')).join('|');
    expect(flat(same.plan(0))).toBe(flat(plan));
    expect(flat(ds.plan(1))).not.toBe(flat(plan));
    expect(flat(bucketByLength(examples, { batchSize: 16, bucketWidth: 10, seed: 8 }).plan(0))).not.toBe(flat(plan));
  });

  it('uses given boundaries, pads batches and passes lengths like SequenceDataset', () => {
    const examples: rk.train.Example[] = [[5, 6, 7, 8, 9, 10], [1], [2, 3], [4, 5, 6, 7], [8], [9, 9, 9, 9, 9]].map((input, i) => ({ input, target: i }));
    const ds = bucketByLength(examples, { batchSize: 2, buckets: [2, 5], shuffle: false, padValue: -1 });
    // Buckets: lengths < 2 → [1], [8]; 2..4 → [2,3], [4,5,6,7]; >= 5 → the two long ones.
    expect(ds.bucketSizes).toEqual([2, 2, 2]);
    const batches = [...ds.batches(0)];
    expect(batches.map((b) => read(b.targets))).toEqual([[1, 4], [2, 3], [0, 5]]);
    expect(read(batches[1]!.inputs)).toEqual([2, 3, -1, -1, 4, 5, 6, 7]);
    expect(Array.from(batches[1]!.lengths)).toEqual([2, 4]);
    expect(batches[1]!.tokens).toBe(6);
    // Padding: bucket 2..4 pads 2 of 8 positions; bucket >= 5 pads 1 of 12.
    expect(ds.paddingFraction(0)).toBeCloseTo(3 / 22, 12);
    disposeAll(batches);
    // Without boundaries they grow geometrically (×1.1, at least +1) up to the longest length.
    const auto = bucketByLength(skewed(), { batchSize: 8 });
    expect(auto.boundaries.slice(0, 18)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 17, 19, 21, 23]);
    expect(auto.boundaries.at(-1)).toBeLessThanOrEqual(200);
    expect(Math.round(auto.boundaries.at(-1)! * 1.1)).toBeGreaterThan(200);
  });

  it('rejects bad examples and options', () => {
    const ex = [{ input: [1], target: 0 }];
    expect(() => bucketByLength([], { batchSize: 2 })).toThrow(/non-empty array/);
    expect(() => bucketByLength([{ input: [], target: 0 }], { batchSize: 2 })).toThrow(/examples\[0\].input/);
    expect(() => bucketByLength(ex, { batchSize: 0 })).toThrow(/batchSize must be >= 1/);
    expect(() => bucketByLength(ex, { batchSize: 2, buckets: [5, 3] })).toThrow(/buckets must be ascending/);
    expect(() => bucketByLength(ex, { batchSize: 2, buckets: [3], bucketWidth: 2 })).toThrow(/not both/);
    expect(() => bucketByLength(ex, { batchSize: 2, bucketWidth: 0 })).toThrow(/bucketWidth must be >= 1/);
    expect(() => bucketByLength(ex, { batchSize: 2, seeed: 1 } as rk.data.BucketByLengthOptions)).toThrow(/unknown option 'seeed'/);
  });
});
