import { describe, expect, it } from 'vitest';
import * as rk from '../lib/index.js';
import { tensor } from '../lib/index.js';
import { settledMemory } from './helpers.js';

describe('tensor creation', () => {
  it('takes a Float32Array with a shape and reads it back', async () => {
    const t = tensor(new Float32Array([1, 2, 3, 4, 5, 6]), { shape: [2, 3] });
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe('float32');
    expect(t.device).toBe('cpu');
    expect(t.size).toBe(6);
    expect(Array.from(await t.data())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(t.dataSync()).toBeInstanceOf(Float32Array);
    t.dispose();
  });

  it('keeps the dtype of an Int32Array', () => {
    const t = tensor(new Int32Array([7, -8, 2147483647]));
    expect(t.dtype).toBe('int32');
    expect(t.shape).toEqual([3]);
    expect(Array.from(t.dataSync())).toEqual([7, -8, 2147483647]);
    t.dispose();
  });

  it('infers the shape of nested arrays, and converts to int32 on request', () => {
    const t = tensor([[[1], [2]], [[3], [4]], [[5], [6]]], { dtype: 'int32' });
    expect(t.shape).toEqual([3, 2, 1]);
    expect(t.dtype).toBe('int32');
    expect(Array.from(t.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    t.dispose();
  });

  it('makes rank-0 tensors from numbers and reads them with item()', () => {
    const t = tensor(2.5);
    expect(t.shape).toEqual([]);
    expect(t.item()).toBe(2.5);
    t.dispose();
  });

  it('rounds float values to float32 like a Float32Array would', () => {
    const t = tensor([0.1, 1e40]);
    expect(Array.from(t.dataSync())).toEqual([Math.fround(0.1), Infinity]);
    t.dispose();
  });

  it('fills with full, zeros and ones', () => {
    const f = rk.full([2, 2], -3);
    const z = rk.zeros([3], { dtype: 'int32' });
    const o = rk.ones([0, 4]);
    expect(Array.from(f.dataSync())).toEqual([-3, -3, -3, -3]);
    expect(Array.from(z.dataSync())).toEqual([0, 0, 0]);
    expect(z.dtype).toBe('int32');
    expect(o.size).toBe(0);
    expect(o.dataSync().length).toBe(0);
    for (const t of [f, z, o]) t.dispose();
  });

  it('rejects bad data, shapes and options with typed errors naming the argument', () => {
    expect(() => tensor([[1, 2], [3]])).toThrow(rk.ShapeError);
    expect(() => tensor([[1, 2], [3]])).toThrow(/data\[1\] has length 1, expected an array of length 2/);
    expect(() => tensor([1, 2, 3], { shape: [2, 2] })).toThrow(/shape \[2, 2\] holds 4 elements, but data has 3/);
    expect(() => tensor([1, 'x' as unknown as number])).toThrow(rk.ArgumentError);
    expect(() => tensor([1.5], { dtype: 'int32' })).toThrow(rk.DTypeError);
    expect(() => tensor([1], { dtype: 'float64' as 'float32' })).toThrow(/options.dtype must be 'float32' or 'int32'/);
    expect(() => tensor([1], { device: 'tpu' as 'cpu' })).toThrow(rk.DeviceError);
    expect(() => tensor([1], { shap: [1] } as unknown as rk.TensorOptions<'float32'>)).toThrow(/unknown option 'shap'/);
    expect(() => tensor([1, 2], { shape: [-2, -1] })).toThrow(/options.shape\[0\] must be >= 0/);
    expect(() => tensor([1], { shape: [Infinity] })).toThrow(rk.ArgumentError);
    expect(() => tensor('abc' as unknown as number)).toThrow(rk.ArgumentError);
    expect(() => rk.full([2], 1.5, { dtype: 'int32' })).toThrow(rk.DTypeError);
    expect(() => rk.full([2], NaN, { dtype: 'int32' })).toThrow(/value must be a finite number/);
    expect(() => tensor([1, 2], { dtype: 'int32', requiresGrad: true })).toThrow(rk.DTypeError);
  });

  it('refuses absurd sizes without crashing', () => {
    expect(() => rk.zeros([2 ** 30, 2 ** 30])).toThrow(rk.RnnkitError);
    expect(() => rk.zeros([2 ** 20, 2 ** 20, 2 ** 20])).toThrow(rk.RnnkitError);
  });
});

describe('dispose, using, tidy and memory()', () => {
  it('counts live tensors and bytes, and returns to the baseline after dispose', async () => {
    const before = await settledMemory();
    const t = rk.zeros([256, 4]);
    const after = rk.memory();
    expect(after.tensors - before.tensors).toBe(1);
    expect(after.bytes - before.bytes).toBe(256 * 4 * 4);
    expect(after.byDevice.cpu!.bytes - before.byDevice.cpu!.bytes).toBe(4096);
    t.dispose();
    t.dispose(); // idempotent
    expect(await settledMemory()).toEqual(before);
  });

  it('frees a tensor that was dropped without dispose() once it is garbage collected', async () => {
    const before = await settledMemory();
    (() => rk.ones([1000]))();
    expect(rk.memory().bytes - before.bytes).toBe(4000);
    expect(await settledMemory()).toEqual(before);
  });

  it('throws DisposedError when a disposed tensor is used', () => {
    const t = tensor([1, 2]);
    t.dispose();
    expect(t.disposed).toBe(true);
    expect(() => t.dataSync()).toThrow(rk.DisposedError);
    expect(() => rk.add(t, 1)).toThrow(/add: a is a disposed tensor/);
    expect(() => t.reshape([2, 1])).toThrow(rk.DisposedError);
    return expect(t.data()).rejects.toThrow(rk.DisposedError);
  });

  it('disposes at the end of a using block', async () => {
    const before = (await settledMemory()).tensors;
    let escaped: rk.Tensor | undefined;
    {
      using t = rk.ones([3]);
      escaped = t;
      expect(rk.memory().tensors).toBe(before + 1);
    }
    expect(escaped.disposed).toBe(true);
    expect(rk.memory().tensors).toBe(before);
  });

  it('tidy disposes intermediates and keeps returned and kept tensors', async () => {
    const before = await settledMemory();
    let kept!: rk.Tensor;
    let inner!: rk.Tensor;
    const result = rk.tidy(() => {
      const a = rk.ones([4]);
      const b = rk.add(a, a);
      kept = rk.keep(rk.mul(b, 3));
      const nested = rk.tidy(() => {
        inner = rk.ones([2]);
        return { x: rk.add(inner, 1), list: [rk.zeros([1])] };
      });
      expect(inner.disposed).toBe(true);
      return [b, nested] as const;
    });
    const [b, nested] = result;
    expect(Array.from(b.dataSync())).toEqual([2, 2, 2, 2]);
    expect(Array.from(nested.x.dataSync())).toEqual([2, 2]);
    expect(Array.from(kept.dataSync())).toEqual([6, 6, 6, 6]);
    expect(rk.memory().tensors - before.tensors).toBe(4);
    for (const t of [b, nested.x, nested.list[0]!, kept]) t.dispose();
    expect(await settledMemory()).toEqual(before);
  });

  it('tidy disposes everything when fn throws, and refuses async functions', async () => {
    const before = await settledMemory();
    expect(() =>
      rk.tidy(() => {
        rk.ones([10]);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(() => rk.tidy(async () => rk.ones([1]))).toThrow(/tidy: fn returned a Promise/);
    expect(await settledMemory()).toEqual(before);
  });
});

describe('views share storage', () => {
  it('transpose, permute, slice and narrow read the right elements without copying', async () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    const before = (await settledMemory()).bytes;
    const t = x.transpose();
    const s = x.slice([0, 1], [2, 2]);
    const n = x.narrow(0, 1, 1);
    const p = tensor([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]).permute([2, 0, 1]);
    expect(rk.memory().bytes - before).toBe(8 * 4); // only p's own source storage is new
    expect(t.shape).toEqual([3, 2]);
    expect(Array.from(t.dataSync())).toEqual([1, 4, 2, 5, 3, 6]);
    expect(Array.from(s.dataSync())).toEqual([2, 3, 5, 6]);
    expect(Array.from(n.dataSync())).toEqual([4, 5, 6]);
    expect(p.shape).toEqual([2, 2, 2]);
    expect(Array.from(p.dataSync())).toEqual([1, 3, 5, 7, 2, 4, 6, 8]);
    for (const v of [x, t, s, n, p]) v.dispose();
  });

  it('a view outlives the tensor it came from', () => {
    const x = tensor([1, 2, 3, 4]);
    const v = x.reshape([2, 2]);
    x.dispose();
    expect(Array.from(v.dataSync())).toEqual([1, 2, 3, 4]);
    v.dispose();
  });

  it('reshape infers -1 and copies only a non-contiguous input', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    const r = x.reshape([3, -1]);
    expect(r.shape).toEqual([3, 2]);
    const t = x.transpose().reshape([-1]);
    expect(Array.from(t.dataSync())).toEqual([1, 4, 2, 5, 3, 6]);
    expect(() => x.reshape([4, -1])).toThrow(rk.ShapeError);
    expect(() => x.reshape([-1, -1])).toThrow(/more than one -1/);
    expect(() => x.slice([0, 2], [2, 2])).toThrow(/size\[1\] = 2 from begin 2 exceeds axis 1 of size 3/);
    expect(() => x.transpose(0, 2)).toThrow(/axis1 2 is out of range for a tensor of rank 2/);
    expect(() => x.permute([0, 0])).toThrow(rk.ArgumentError);
    // Axes that are not an array (a typed array, one whose buffer was transferred away): named in
    // the error without reading them (the fuzzer found a TypeError from the detached one).
    const detached = Int32Array.of(1, 0);
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    for (const axes of [Int32Array.of(1, 0), detached]) {
      expect(() => x.permute(axes as unknown as number[])).toThrow(/permute: axes must list each of the 2 axes once, got a Int32Array/);
    }
    for (const v of [x, r, t]) v.dispose();
  });
});
