// Cheap dispatch keeps the stream's guarantees: small ops and reads run inline only when the CPU
// stream is idle, so they never overtake queued work, a queued failure still reaches the next
// read, promises settle in read order and long work never blocks the event loop.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as rk from '../lib/index.js';
import { native } from '../lib/native.js';

/**
 * A product of 1200³ multiply-adds, far above the inline limit, so it runs on the worker; each
 * entry is 1200·v². Tests pick distinct v: reused memory must not hold the expected values.
 */
function slowProduct(v: number): { big: rk.Tensor<'float32'>; slow: rk.Tensor<'float32'> } {
  const big = rk.full([1200, 1200], v);
  return { big, slow: rk.matmul(big, big) };
}

describe('CPU dispatch', () => {
  let before = 0;
  beforeEach(() => {
    before = rk.memory().tensors;
  });
  afterEach(async () => {
    await rk.sync();
    expect(rk.memory().tensors).toBe(before);
  });

  it('a read after a long queued op sees its result, synchronously and asynchronously', async () => {
    const { big, slow } = slowProduct(0.5);
    expect((await slow.data())[0]).toBe(300);
    const { big: big2, slow: slow2 } = slowProduct(0.25);
    expect(slow2.dataSync()[1199 * 1200 + 1199]).toBe(75);
    for (const t of [big, slow, big2, slow2]) t.dispose();
  });

  it('a small op queued behind a long one runs after it', async () => {
    const { big, slow } = slowProduct(0.125);
    // Reads the long op's output: run early, it would see unwritten memory.
    const corner = slow.slice([0, 0], [1, 4]);
    const after = rk.add(corner, 1);
    expect(Array.from(after.dataSync())).toEqual([19.75, 19.75, 19.75, 19.75]);
    for (const t of [big, slow, corner, after]) t.dispose();
  });

  it('small in-place writes keep their order behind a long op', async () => {
    const x = rk.zeros([4]);
    const one = rk.ones([4]);
    const { big, slow } = slowProduct(0.5);
    const row = slow.slice([0, 0], [1, 4]);
    const corner = row.reshape([4]);
    // Queued behind the product: x = 300, then x = 1. Out of order, x would end as 300.
    native.assign(x.handleFor('assign', 'dst'), corner.handleFor('assign', 'src'));
    native.assign(x.handleFor('assign', 'dst'), one.handleFor('assign', 'src'));
    expect(Array.from(await x.data())).toEqual([1, 1, 1, 1]);
    // The stream is idle now: these run inline, still in order.
    native.assign(x.handleFor('assign', 'dst'), corner.handleFor('assign', 'src'));
    const y = rk.add(x, 1);
    expect(Array.from(y.dataSync())).toEqual([301, 301, 301, 301]);
    for (const t of [x, one, big, slow, row, corner, y]) t.dispose();
  });

  it('a queued fault followed by small inline ops still fails the next read, then the stream recovers', async () => {
    const a = rk.ones([4]);
    native.injectFault('cpu', 'simulated fault before inline ops');
    // Let the worker run the fault, so the ops below find the stream idle and run inline.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const b = rk.add(a, 1);
    const c = rk.mul(b, 3);
    await expect(c.data()).rejects.toThrow(/simulated fault before inline ops/);
    expect(Array.from(await c.data())).toEqual([6, 6, 6, 6]);
    native.injectFault('cpu', 'simulated fault before a sync read');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const d = rk.add(a, 2);
    expect(() => d.dataSync()).toThrow(/simulated fault before a sync read/);
    expect(Array.from(d.dataSync())).toEqual([3, 3, 3, 3]);
    for (const t of [a, b, c, d]) t.dispose();
  });

  it('await data() behind long work does not block the event loop', async () => {
    const a = rk.full([1200, 1200], 0.001);
    const chain: rk.Tensor<'float32'>[] = [];
    let x = a;
    for (let i = 0; i < 4; i++) chain.push((x = rk.matmul(x, a)));
    const events: string[] = [];
    setImmediate(() => events.push('immediate'));
    setTimeout(() => events.push('timeout'), 0);
    const read = x.data().then((v) => {
      events.push('read');
      return v;
    });
    const out = await read;
    expect(events.indexOf('read')).toBe(events.length - 1);
    expect(events).toContain('immediate');
    expect(events).toContain('timeout');
    expect(out[0]! / (1200 ** 4 * 0.001 ** 5)).toBeCloseTo(1, 4);
    for (const t of [a, ...chain]) t.dispose();
  });

  it('promises settle in the order of their reads, inline or not', async () => {
    const { big, slow } = slowProduct(1);
    const small = rk.full([2], 7);
    const order: string[] = [];
    const first = slow.data().then(() => order.push('queued'));
    // Blocks until the queued read ran; its promise still waits for the hop back.
    expect(Array.from(small.dataSync())).toEqual([7, 7]);
    // The stream is idle: this read runs inline, but settles after the first.
    const second = small.data().then(() => order.push('inline'));
    const third = rk.sync().then(() => order.push('sync'));
    await Promise.all([first, second, third]);
    expect(order).toEqual(['queued', 'inline', 'sync']);
    for (const t of [big, slow, small]) t.dispose();
  });

  it('small ops under tidy() leave no tensors behind', () => {
    const a = rk.ones([16]);
    const kept = rk.tidy(() => {
      let x = a;
      for (let i = 0; i < 100; i++) x = rk.add(x, a);
      return x;
    });
    expect(kept.dataSync()[0]).toBe(101);
    for (const t of [a, kept]) t.dispose();
  });
});
