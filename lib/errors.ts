// Typed errors. Every error rnnkit throws is an RnnkitError; the subclass says what kind of
// mistake it is, the message names the op, the argument and what was expected.

import type { NativeErrorCode } from './binding.js';

export class RnnkitError extends Error {
  override name = 'RnnkitError';
}
/** A tensor has the wrong shape, or shapes do not fit together. */
export class ShapeError extends RnnkitError {
  override name = 'ShapeError';
}
/** A tensor has the wrong dtype. */
export class DTypeError extends RnnkitError {
  override name = 'DTypeError';
}
/** A tensor is on the wrong device, or a device is unknown or unavailable. */
export class DeviceError extends RnnkitError {
  override name = 'DeviceError';
}
/** A device ran out of memory; the device stays usable afterwards. */
export class OutOfMemoryError extends RnnkitError {
  override name = 'OutOfMemoryError';
}
/** A backend library (oneDNN, cuDNN, CUDA) failed, or the native addon could not be loaded. */
export class BackendError extends RnnkitError {
  override name = 'BackendError';
}
/** A checkpoint file is missing, truncated, or does not fit the model. */
export class CheckpointError extends RnnkitError {
  override name = 'CheckpointError';
}
/** A model cannot be written in an export format (an option ONNX cannot express, a layer it has no twin for). */
export class ExportError extends RnnkitError {
  override name = 'ExportError';
}
/** A non-tensor argument has the wrong type or value (option, axis, scalar, size). */
export class ArgumentError extends RnnkitError {
  override name = 'ArgumentError';
}
/** An index (gather, class target) lies outside its valid range. */
export class IndexError extends RnnkitError {
  override name = 'IndexError';
}
/**
 * Training over several processes failed: a torchrun variable missing or out of range, the
 * rendezvous store unreachable, its port taken, a peer lost, a wait or collective past its
 * timeout, ranks that disagree on a collective.
 */
export class DistributedError extends RnnkitError {
  override name = 'DistributedError';
}
/** A tensor was used after dispose(). */
export class DisposedError extends RnnkitError {
  override name = 'DisposedError';
}

const byCode: Record<NativeErrorCode, new (message: string) => RnnkitError> = {
  RK_SHAPE: ShapeError,
  RK_DTYPE: DTypeError,
  RK_DEVICE: DeviceError,
  RK_OUT_OF_MEMORY: OutOfMemoryError,
  RK_BACKEND: BackendError,
  RK_ARGUMENT: ArgumentError,
  RK_INDEX: IndexError,
  RK_DISPOSED: DisposedError,
  RK_DISTRIBUTED: DistributedError,
};

/** Turns an error thrown by the native addon into its typed class; passes anything else through. */
export function fromNative(err: unknown): unknown {
  if (err instanceof RnnkitError || !(err instanceof Error)) return err;
  const code = (err as Error & { code?: string }).code;
  const Typed = code !== undefined ? byCode[code as NativeErrorCode] : undefined;
  return Typed ? new Typed(err.message) : new BackendError(err.message);
}
