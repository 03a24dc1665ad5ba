// Sharding of the data sources over ranks (every rank the same number of batches, together the
// unsharded epoch's batches), and init()'s typed errors in one process.

import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { freePort } from '../../lib/distributed/free-port.js';
import { ArgumentError, DistributedError } from '../../lib/errors.js';
import { classifierExamples } from './dp-inputs.js';

const ids = (source: rk.train.DataSource, epoch = 0): number[][] =>
  [...(source.batches(epoch) as Iterable<rk.train.Batch>)].map((b) => {
    const rows = Array.from(b.inputs.dataSync());
    b.inputs.dispose();
    b.targets.dispose();
    return rows;
  });

describe('sharding over ranks', () => {
  const examples = classifierExamples(30, 4);

  it('SequenceDataset: rank r takes batches r, r + n, ...; the last round repeats the first batches', () => {
    const whole = ids(new rk.train.SequenceDataset(examples, { batchSize: 4, seed: 2 }), 1); // 8 batches
    const shards = [0, 1, 2].map((rank) => new rk.train.SequenceDataset(examples, { batchSize: 4, seed: 2, rank, worldSize: 3 }));
    for (const [rank, shard] of shards.entries()) {
      expect(shard.numBatches).toBe(3);
      expect(ids(shard, 1)).toEqual([0, 1, 2].map((k) => whole[(rank + 3 * k) % 8]));
    }
    expect(() => new rk.train.SequenceDataset(examples, { batchSize: 4, rank: 0, worldSize: 2 })).toThrow(/options.seed is required with options.worldSize 2/);
    expect(() => new rk.train.SequenceDataset(examples, { batchSize: 4, seed: 1, rank: 2, worldSize: 2 })).toThrow(/options.rank must be in 0..1/);
  });

  it('bucketByLength: the same plan on every rank, each its share', () => {
    const whole = rk.data.bucketByLength(examples, { batchSize: 3, seed: 1 }).plan(2).map((b) => Array.from(b));
    const shards = [0, 1].map((rank) => rk.data.bucketByLength(examples, { batchSize: 3, seed: 1, rank, worldSize: 2 }));
    const expected = Math.ceil(whole.length / 2);
    for (const [rank, shard] of shards.entries()) {
      expect(shard.numBatches).toBe(expected);
      expect(shard.plan(2).map((b) => Array.from(b))).toEqual(Array.from({ length: expected }, (_, k) => whole[(rank + 2 * k) % whole.length]));
    }
  });

  it('textStream: rank r reads its batchSize of the batchSize · worldSize streams', () => {
    const corpus = Int32Array.from({ length: 101 }, (_, i) => i);
    const whole = rk.data.textStream(corpus, { batchSize: 4, time: 5 });
    const shards = [0, 1].map((rank) => rk.data.textStream(corpus, { batchSize: 2, time: 5, rank, worldSize: 2 }));
    const rows = (s: rk.data.TextStream) => ids(s).map((batch) => batch.length);
    expect(shards.map((s) => s.numBatches)).toEqual([whole.numBatches, whole.numBatches]);
    const w = ids(whole);
    ids(shards[0]!).forEach((batch, i) => expect(batch).toEqual(w[i]!.slice(0, batch.length)));
    ids(shards[1]!).forEach((batch, i) => expect(batch).toEqual(w[i]!.slice(batch.length)));
    expect(rows(shards[1]!)[0]).toBe(10);
  });
});

describe('distributed.init in one process', () => {
  it('gives typed errors: nccl not built, a bad backend, not initialised, initialised twice', async () => {
    await expect(rk.distributed.init({ backend: 'nccl' })).rejects.toThrow(DistributedError);
    await expect(rk.distributed.init({ backend: 'mpi' as 'gloo' })).rejects.toThrow(ArgumentError);
    expect(() => rk.distributed.rank()).toThrow(/distributed.rank: the default group is not initialised/);
    expect(() => new rk.distributed.DataParallel(new rk.nn.Linear(2, 2))).toThrow(DistributedError);
    const gloo = rk.distributed.glooAvailable();
    if (!gloo.available) return console.warn(`init in one process skipped: ${gloo.reason}`);
    const saved = { ...process.env };
    Object.assign(process.env, { RANK: '0', WORLD_SIZE: '1', MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(await freePort('127.0.0.1')), GLOO_SOCKET_IFNAME: 'lo' });
    try {
      await rk.distributed.init({ timeoutMs: 5000 });
      expect([rk.distributed.isInitialized(), rk.distributed.rank(), rk.distributed.worldSize()]).toEqual([true, 0, 1]);
      await expect(rk.distributed.init()).rejects.toThrow(/already initialised/);
      await rk.distributed.destroy();
      expect(rk.distributed.isInitialized()).toBe(false);
    } finally {
      process.env = saved;
    }
  });
});
