// The one path from an op to the native addon: unwraps tensor arguments (typed errors for
// non-tensors and disposed tensors), maps native errors to typed classes, wraps the results.

import type { NativeTensor } from '../binding.js';
import { describe } from '../dtype.js';
import { ArgumentError, fromNative } from '../errors.js';
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
