// Dtypes and devices as the public API names them.

import { ArgumentError } from './errors.js';

export type DType = 'float32' | 'int32';

/** The typed array that holds a tensor's data, by dtype. */
export type ArrayFor<D extends DType> = D extends 'float32'
  ? Float32Array
  : D extends 'int32'
    ? Int32Array
    : Float32Array | Int32Array;

/**
 * 'cpu', or a CUDA device: 'cuda' (the same as 'cuda:0') or 'cuda:N'. Tensors report 'cpu' or
 * 'cuda:N'. lib/device.ts checks names and picks the default.
 */
export type Device = 'cpu' | 'cuda' | `cuda:${number}`;

export const DTYPES: readonly DType[] = ['float32', 'int32'];

export function checkDType(op: string, arg: string, value: unknown): DType {
  if (value === 'float32' || value === 'int32') return value;
  throw new ArgumentError(`${op}: ${arg} must be 'float32' or 'int32', got ${describe(value)}`);
}

/** A short, safe rendering of any value for error messages. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value.length > 40 ? value.slice(0, 40) + '…' : value}'`;
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  if (typeof value === 'function') return 'a function';
  return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
}
