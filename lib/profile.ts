// Profiling with Nsight. range() names a stretch of host work as an NVTX range, so `nsys profile`
// shows layers, optimizer steps and training steps on its timeline (rnnkit's own: "lstm.fwd ...",
// "adam.step", "step 12"; native ops add one per op). capture() brackets work with
// cudaProfilerStart/Stop for `nsys profile --capture-range=cudaProfilerApi`. Without a working
// CUDA device a range costs one call and a check, and capture() is a DeviceError.

import { cudaDevices, cudaUnavailableReason } from './device.js';
import { describe } from './dtype.js';
import { ArgumentError, DeviceError } from './errors.js';
import { sync } from './memory.js';
import { callNative } from './ops/call.js';

/** Whether NVTX ranges are emitted: decided once, on the first range. */
let tracing: boolean | null = null;

/**
 * Runs fn inside an NVTX range called `name` and returns its result. When fn returns a promise,
 * the range closes when it settles. NVTX ranges nest per thread, so ranges of async work that
 * interleaves with other work show the time up to each settlement, not exclusive time.
 */
export function range<T>(name: string, fn: () => T): T {
  if (typeof name !== 'string') throw new ArgumentError(`profile.range: name must be a string, got ${describe(name)}`);
  if (typeof fn !== 'function') throw new ArgumentError(`profile.range: fn must be a function, got ${describe(fn)}`);
  tracing ??= cudaDevices().length > 0;
  if (!tracing) return fn();
  callNative((n) => n.rangePush(name));
  let result: T;
  try {
    result = fn();
  } catch (err) {
    callNative((n) => n.rangePop());
    throw err;
  }
  if (result instanceof Promise) return result.finally(() => callNative((n) => n.rangePop())) as T;
  callNative((n) => n.rangePop());
  return result;
}

/**
 * Runs fn (sync or async) between cudaProfilerStart and cudaProfilerStop, so that
 * `nsys profile --capture-range=cudaProfilerApi node train.mjs` records only this part. Waits
 * for the GPU work fn queued before stopping, so it lies inside the capture. Needs a working CUDA
 * device: without one, a DeviceError with the reason.
 */
export async function capture<T>(fn: () => T | Promise<T>): Promise<T> {
  if (typeof fn !== 'function') throw new ArgumentError(`profile.capture: fn must be a function, got ${describe(fn)}`);
  if (cudaDevices().length === 0) {
    throw new DeviceError(`profile.capture: needs a CUDA device, and none is available: ${cudaUnavailableReason()}`);
  }
  callNative((n) => n.profilerStart());
  try {
    const result = await fn();
    await sync();
    return result;
  } finally {
    callNative((n) => n.profilerStop());
  }
}
