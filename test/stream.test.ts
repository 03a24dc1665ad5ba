// The execution model: ops return at once and run in order on the device's stream; reads never
// block the event loop; a failed task poisons the stream until the next read reports it.

import { describe, expect, it } from 'vitest';
import * as rk from '../lib/index.js';
import { native } from '../lib/native.js';

describe('CPU stream', () => {
  it('keeps the event loop running while a long op runs', async () => {
    const a = rk.full([1500, 1500], 0.001);
    let x = a;
    const t0 = performance.now();
    const chain: rk.Tensor<'float32'>[] = [];
    for (let i = 0; i < 12; i++) {
      x = rk.matmul(x, a);
      chain.push(x);
    }
    const enqueueMs = performance.now() - t0;
    let ticks = 0;
    const timer = setInterval(() => ticks++, 2);
    const out = await x.data();
    const totalMs = performance.now() - t0;
    clearInterval(timer);
    // 12 products of 1500³ take far longer than queueing them; the timer fired meanwhile.
    expect(enqueueMs).toBeLessThan(totalMs / 2);
    expect(ticks).toBeGreaterThan(3);
    // Every entry of a 0.001-matrix power: 1500^(k-1) * 0.001^k, k = 13
    expect(out[0]! / (1500 ** 12 * 0.001 ** 13)).toBeCloseTo(1, 4);
    for (const t of [a, ...chain]) t.dispose();
  });

  it('runs queued ops in order', async () => {
    let x = rk.zeros([1000]);
    const made = [x];
    for (let i = 0; i < 200; i++) {
      x = rk.add(x, 1);
      made.push(x);
    }
    x = rk.mul(x, 0.5);
    made.push(x);
    expect(Array.from((await x.data()).slice(0, 3))).toEqual([100, 100, 100]);
    for (const t of made) t.dispose();
  });

  it('a failed task poisons the stream: the next read rejects, then the device works again', async () => {
    const a = rk.ones([4]);
    native.injectFault('cpu', 'simulated kernel failure');
    const b = rk.add(a, 1);
    await expect(b.data()).rejects.toThrow(rk.BackendError);
    await expect(a.data()).resolves.toBeInstanceOf(Float32Array);
    const c = rk.add(a, 2);
    expect(Array.from(await c.data())).toEqual([3, 3, 3, 3]);
    native.injectFault('cpu', 'second failure');
    await expect(rk.sync()).rejects.toThrow(/second failure/);
    await rk.sync();
    for (const t of [a, b, c]) t.dispose();
  });

  it('an index range error found while queued work runs poisons the stream too', async () => {
    const table = rk.ones([3, 2]);
    // A slow product first, so the indices are still being computed when gather is called.
    const big = rk.ones([1200, 1200]);
    const slow = rk.matmul(big, big);
    const base = rk.tensor(new Int32Array([0, 1, 2]));
    const idx = rk.add(base, 5);
    const g = rk.gather(table, idx);
    await expect(g.data()).rejects.toThrow(/gather: indices\[0\] = 5 is out of range \[0, 3\)/);
    await expect(rk.sync()).resolves.toBeUndefined();
    for (const t of [table, big, slow, base, idx, g]) t.dispose();
  });

  it('a target check deferred behind queued work skips ignoreIndex and padding, and fails as the synchronous one does', async () => {
    const logits = rk.zeros([2, 3, 5]);
    const lengths = [3, 1];
    // -100 is ignoreIndex; [1, 1] and [1, 2] lie past length 1; [1, 0] = 9 is inside it.
    const bad = rk.tensor(Int32Array.of(0, -100, 4, 9, 77, -5), { shape: [2, 3] });
    const good = rk.tensor(Int32Array.of(0, -100, 4, 2, 77, -5), { shape: [2, 3] });
    const message = 'crossEntropy: targets[1, 0] = 9 is out of range [0, 5) and is not ignoreIndex (-100)';
    let synchronous: unknown;
    try {
      rk.crossEntropy(logits, bad, { lengths });
    } catch (err) {
      synchronous = err;
    }
    expect(synchronous).toBeInstanceOf(rk.IndexError);
    expect((synchronous as Error).message).toBe(message);
    // A slow product first, so the targets are still being computed when crossEntropy is called.
    const big = rk.ones([1200, 1200]);
    const queued = (targets: rk.Tensor<'int32'>) => {
      rk.matmul(big, big).dispose();
      return rk.add(targets, 0);
    };
    const queuedGood = queued(good);
    const fine = rk.crossEntropy(logits, queuedGood, { lengths });
    await expect(fine.data()).resolves.toBeInstanceOf(Float32Array);
    const queuedBad = queued(bad);
    const failed = rk.crossEntropy(logits, queuedBad, { lengths });
    const rejected = await failed.data().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(rejected).toBeInstanceOf(rk.IndexError);
    expect((rejected as Error).message).toBe(message);
    await expect(rk.sync()).resolves.toBeUndefined();
    for (const t of [logits, bad, good, big, queuedGood, queuedBad, fine, failed]) t.dispose();
  });

  it('many concurrent reads all resolve with their own values', async () => {
    const ts = Array.from({ length: 50 }, (_, i) => rk.full([3], i));
    const values = await Promise.all(ts.map((t) => t.data()));
    values.forEach((v, i) => expect(Array.from(v)).toEqual([i, i, i]));
    for (const t of ts) t.dispose();
  });

  it('reports the oneDNN backend', () => {
    const cpu = rk.backends().find((b) => b.device === 'cpu');
    expect(cpu?.available).toBe(true);
    expect(cpu?.detail).toMatch(/oneDNN \d+\.\d+/);
  });
});
