// profile.range and profile.capture. Without CUDA a range only runs its function (no NVTX), and
// capture() is a DeviceError carrying the backend's reason; with CUDA, the GPU suite checks that
// capture() runs and returns (the ranges themselves are seen by nsys, not by a test).

import { describe, expect, it } from 'vitest';
import * as rk from '../lib/index.js';
import { gpuDevice, noGpuReason } from './gpu/helpers.js';

describe('profile.range', () => {
  it('runs fn once and returns its result, sync or async, nested; errors pass through', async () => {
    let calls = 0;
    expect(rk.profile.range('outer', () => rk.profile.range('inner', () => ++calls * 10))).toBe(10);
    expect(calls).toBe(1);
    await expect(rk.profile.range('async', async () => 'done')).resolves.toBe('done');
    expect(() =>
      rk.profile.range('throws', () => {
        throw new RangeError('boom');
      }),
    ).toThrow(RangeError);
    await expect(rk.profile.range('rejects', () => Promise.reject(new RangeError('late')))).rejects.toThrow('late');
    // A range left by an exception does not leak: later ranges still work.
    expect(rk.profile.range('after', () => 'ok')).toBe('ok');
  });

  it('wraps tensor work: the result is the same as without the range', () => {
    const a = rk.tensor([1, 2, 3]);
    const out = rk.profile.range('add', () => rk.add(a, a));
    expect(Array.from(out.dataSync())).toEqual([2, 4, 6]);
    out.dispose();
    a.dispose();
  });

  it('rejects a name that is not a string and a fn that is not a function', () => {
    expect(() => rk.profile.range(3 as unknown as string, () => 1)).toThrow(/profile.range: name must be a string, got 3/);
    expect(() => rk.profile.range('x', 'f' as unknown as () => number)).toThrow(rk.ArgumentError);
  });
});

describe.skipIf(gpuDevice !== null)('profile.capture without a working CUDA device', () => {
  it('is a DeviceError that names the reason, and fn does not run', async () => {
    let ran = false;
    const attempt = rk.profile.capture(() => {
      ran = true;
    });
    await expect(attempt).rejects.toThrow(rk.DeviceError);
    await expect(rk.profile.capture(() => 1)).rejects.toThrow(`profile.capture: needs a CUDA device, and none is available: ${noGpuReason}`);
    expect(ran).toBe(false);
  });
});
