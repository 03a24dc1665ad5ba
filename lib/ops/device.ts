// Moving tensors between devices: to() (differentiable: the gradient goes back to the source
// device) and copyTo(), the plain copy Module.to, loadStateDict and optimizer states use.

import { record } from '../autograd.js';
import { checkDevice } from '../device.js';
import type { NativeTensor } from '../binding.js';
import type { DType, Device } from '../dtype.js';
import { Tensor } from '../tensor.js';
import { callNative, handle } from './call.js';

/**
 * x on `device`. When x is already there, x itself (as PyTorch's .to), else a contiguous copy,
 * ordered after x's pending writes; backward moves the gradient back to x's device.
 */
export function to<D extends DType>(x: Tensor<D>, device: Device): Tensor<D> {
  handle('to', 'x', x);
  const target = checkDevice('to', 'device', device);
  if (x.device === target) return x;
  const from = x.device;
  return record('to', copyTo('to', x, target), [x], [], (g) => [to(g, from)]);
}

/** A new contiguous copy of x on `device` (a checked device name), not recorded for autograd. */
export function copyTo<D extends DType>(op: string, x: Tensor<D>, device: Device): Tensor<D> {
  return new Tensor<D>(copyHandle(op, x, device));
}

/** copyTo's native handle, for a caller that rebinds a tensor to it (Module.to). */
export function copyHandle(op: string, x: Tensor, device: Device): NativeTensor {
  const h = handle(op, 'tensor', x);
  // Same device: contiguous() is the copy; toDevice() crosses between devices.
  return callNative((n) => (x.device === device ? n.contiguous(h) : n.toDevice(h, device)));
}
