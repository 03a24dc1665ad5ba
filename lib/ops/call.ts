// The one path from an op to the native addon: unwraps tensor arguments (typed errors for
// non-tensors and disposed tensors), checks that an op's tensors share a device, maps native
// errors to typed classes, wraps the results.

import type { NativeTensor } from '../binding.js';
import { describe } from '../dtype.js';
import { ArgumentError, DeviceError, fromNative } from '../errors.js';
import { native } from '../native.js';
import type { Binding } from '../binding.js';
import { Tensor } from '../tensor.js';

/** The native handle of a tensor argument. */
export function handle(op: string, arg: string, t: unknown): NativeTensor {
  if (!(t instanceof Tensor)) {
    throw new ArgumentError(`${op}: ${arg} must be a Tensor, got ${describe(t)}`);
  }
  return t.handleFor(op, arg);
}

/**
 * Throws a DeviceError naming both tensors and their devices unless all the (name, tensor) pairs
 * live on one device (null entries, such as an omitted state, are skipped).
 */
export function checkSameDevice(op: string, tensors: readonly (readonly [string, Tensor | null])[]): void {
  let first: readonly [string, Tensor] | null = null;
  for (const [name, t] of tensors) {
    if (t === null) continue;
    if (first === null) first = [name, t];
    else if (t.device !== first[1].device) {
      throw new DeviceError(
        `${op}: tensors on different devices: ${first[0]} on ${first[1].device}, ${name} on ${t.device}; move one with .to(device)`,
      );
    }
  }
}

/** Calls the addon, turning its errors into rnnkit's typed errors. */
export function callNative<T>(fn: (binding: Binding) => T): T {
  try {
    return fn(native);
  } catch (err) {
    throw fromNative(err);
  }
}

/** Calls the addon for one output tensor and wraps it. */
export function nativeOp<D extends 'float32' | 'int32' = 'float32'>(fn: (binding: Binding) => NativeTensor): Tensor<D> {
  return new Tensor<D>(callNative(fn));
}
