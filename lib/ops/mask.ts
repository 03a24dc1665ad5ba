// Attention masks as additive biases: 0 where a position may be attended, -Infinity where it may
// not, so a softmax over the masked axis gives those positions exactly zero weight whatever
// (finite) values they hold. Built on the host from sequence lengths or read from a 0/1 mask.

import { checkInteger, isDetached } from '../args.js';
import type { Device } from '../dtype.js';
import { describe } from '../dtype.js';
import { ArgumentError, DTypeError, ShapeError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { handle } from './call.js';
import { tensor } from './creation.js';

/** lengths (Int32Array or integer array) of `batch` sequences, each in 1..time; a copy. */
export function checkLengths(op: string, arg: string, value: unknown, batch: number, time: number): Int32Array {
  let lengths: Int32Array;
  if (value instanceof Int32Array) {
    if (isDetached(value)) throw new ArgumentError(`${op}: ${arg} is an Int32Array whose ArrayBuffer was transferred away (detached)`);
    lengths = value.slice();
  } else if (Array.isArray(value)) {
    lengths = Int32Array.from(value, (v, i) => checkInteger(op, `${arg}[${i}]`, v));
  } else {
    throw new ArgumentError(`${op}: ${arg} must be an Int32Array or an array of integers, got ${describe(value)}`);
  }
  if (lengths.length !== batch) throw new ShapeError(`${op}: ${arg} has ${lengths.length} entries, expected one per sequence (${batch})`);
  lengths.forEach((n, i) => {
    if (n < 1 || n > time) throw new ArgumentError(`${op}: ${arg}[${i}] must be in 1..${time}, got ${n}`);
  });
  return lengths;
}

/** [batch, time] float32: 0 for t < lengths[b], -Infinity after. */
export function lengthsBias(lengths: Int32Array, time: number, device: Device): Tensor<'float32'> {
  const bias = new Float32Array(lengths.length * time);
  lengths.forEach((n, b) => bias.fill(-Infinity, b * time + n, (b + 1) * time));
  return tensor(bias, { shape: [lengths.length, time], device });
}

/**
 * A mask argument as an additive bias of the same shape: an int32 mask holds 1 where a position
 * is masked and 0 where it is not (PyTorch's boolean masks; read on the host to check its values),
 * a float32 mask is a bias already and is returned as is. `shapes` lists the accepted shapes.
 */
export function maskBias(op: string, arg: string, mask: unknown, shapes: readonly (readonly number[])[]): Tensor<'float32'> {
  const h = handle(op, arg, mask);
  const t = mask as Tensor;
  if (!shapes.some((s) => s.join() === h.shape.join())) {
    throw new ShapeError(`${op}: ${arg} has shape [${h.shape.join(', ')}], expected ${shapes.map((s) => `[${s.join(', ')}]`).join(' or ')}`);
  }
  if (t.dtype === 'float32') return t as Tensor<'float32'>;
  if (t.dtype !== 'int32') throw new DTypeError(`${op}: ${arg} must be int32 (1 = masked) or float32 (added to the scores), got ${t.dtype}`);
  const values = t.dataSync() as Int32Array;
  const bias = new Float32Array(values.length);
  values.forEach((v, i) => {
    if (v !== 0 && v !== 1) throw new ArgumentError(`${op}: an int32 ${arg} holds 0 (attend) or 1 (masked), got ${v} at flat index ${i}`);
    if (v === 1) bias[i] = -Infinity;
  });
  return tensor(bias, { shape: t.shape, device: t.device });
}
