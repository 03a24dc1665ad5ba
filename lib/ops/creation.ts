// Creating tensors: from TypedArrays, nested arrays or flat arrays with a shape; filled tensors.

import { checkBoolean, checkFinite, checkOptions, checkShape, isDetached } from '../args.js';
import { checkDevice, defaultDevice } from '../device.js';
import { checkDType, describe, type DType, type Device } from '../dtype.js';
import { ArgumentError, DTypeError, ShapeError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { nativeOp } from './call.js';

export interface TensorOptions<D extends DType = DType> {
  /** Required for flat data (TypedArray or flat array) of rank != 1; checked against nested arrays. */
  shape?: readonly number[];
  /** Default: from a TypedArray its own dtype, else float32. */
  dtype?: D;
  /** Default: defaultDevice(). */
  device?: Device;
  requiresGrad?: boolean;
}

/** Nested arrays of numbers, any depth. */
export type NestedArray = ReadonlyArray<number | NestedArray>;
export type TensorData = Float32Array | Int32Array | number | readonly number[] | NestedArray;

const TENSOR_OPTIONS = ['shape', 'dtype', 'device', 'requiresGrad'] as const;

/** Shape and flat values of nested arrays; a ShapeError for ragged ones. */
function flatten(data: number | NestedArray): { shape: number[]; values: number[] } {
  const shape: number[] = [];
  for (let level: unknown = data; Array.isArray(level); level = level[0]) shape.push(level.length);
  const values: number[] = [];
  const walk = (node: unknown, depth: number, path: string): void => {
    if (depth === shape.length) {
      if (typeof node !== 'number') {
        throw new ArgumentError(`tensor: data${path} must be a number, got ${describe(node)}`);
      }
      values.push(node);
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      throw new ShapeError(
        `tensor: data${path} has ${Array.isArray(node) ? `length ${node.length}` : describe(node)}, expected an array of length ${shape[depth]} (nested arrays must be rectangular)`,
      );
    }
    node.forEach((child, i) => walk(child, depth + 1, `${path}[${i}]`));
  };
  walk(data, 0, '');
  return { shape, values };
}

function toTypedArray(values: ArrayLike<number>, dtype: DType): Float32Array | Int32Array {
  if (dtype === 'float32') return Float32Array.from(values);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) {
      throw new DTypeError(`tensor: data[${i}] = ${v} is not an int32 value`);
    }
  }
  return Int32Array.from(values);
}

/**
 * A tensor from data: a Float32Array / Int32Array (its dtype unless options.dtype converts), a
 * number (rank 0), or nested arrays. The data is copied.
 */
export function tensor<D extends DType>(data: TensorData, options: TensorOptions<D> & { dtype: D }): Tensor<D>;
export function tensor(data: Int32Array, options?: TensorOptions<'int32'>): Tensor<'int32'>;
export function tensor(data: TensorData, options?: TensorOptions<'float32'>): Tensor<'float32'>;
export function tensor(data: TensorData, options?: TensorOptions): Tensor {
  const opts = checkOptions('tensor', options, TENSOR_OPTIONS);
  const device = opts.device === undefined ? defaultDevice() : checkDevice('tensor', 'options.device', opts.device);
  const isTyped = data instanceof Float32Array || data instanceof Int32Array;
  const dtype = checkDType(
    'tensor',
    'options.dtype',
    opts.dtype ?? (data instanceof Int32Array ? 'int32' : 'float32'),
  );
  let shape: number[];
  let values: ArrayLike<number>;
  if (isTyped) {
    if (isDetached(data)) {
      throw new ArgumentError(`tensor: data is a ${data.constructor.name} whose ArrayBuffer was transferred away (detached); pass an array that still owns its buffer`);
    }
    values = data;
    shape = opts.shape === undefined ? [data.length] : checkShape('tensor', 'options.shape', opts.shape);
  } else if (typeof data === 'number' || Array.isArray(data)) {
    const flat = flatten(data as number | NestedArray);
    values = flat.values;
    const flatInput = flat.shape.length <= 1;
    shape = opts.shape !== undefined && flatInput ? checkShape('tensor', 'options.shape', opts.shape) : flat.shape;
    if (opts.shape !== undefined && !flatInput) {
      const given = checkShape('tensor', 'options.shape', opts.shape);
      if (given.join() !== flat.shape.join()) {
        throw new ShapeError(`tensor: options.shape [${given.join(', ')}] does not match the nested data's shape [${flat.shape.join(', ')}]`);
      }
    }
  } else {
    throw new ArgumentError(`tensor: data must be a Float32Array, Int32Array, number or nested array of numbers, got ${describe(data)}`);
  }
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== values.length) {
    throw new ShapeError(`tensor: shape [${shape.join(', ')}] holds ${size} elements, but data has ${values.length}`);
  }
  const typed =
    isTyped && (dtype === 'float32') === data instanceof Float32Array
      ? (data as Float32Array | Int32Array)
      : toTypedArray(values, dtype);
  const requiresGrad = checkRequiresGrad('tensor', opts.requiresGrad, dtype);
  const t = nativeOp<DType>((n) => n.fromArray(typed, shape, device));
  if (requiresGrad !== undefined) t.requiresGrad = requiresGrad;
  return t;
}

/** options.requiresGrad, checked before the tensor exists (so a bad value cannot leak it). */
function checkRequiresGrad(op: string, value: unknown, dtype: DType): boolean | undefined {
  if (value === undefined) return undefined;
  const on = checkBoolean(op, 'options.requiresGrad', value);
  if (on && dtype !== 'float32') throw new DTypeError(`${op}: only float32 tensors can require gradients, this one is ${dtype}`);
  return on;
}

export interface FillOptions<D extends DType = DType> {
  dtype?: D;
  /** Default: defaultDevice(). */
  device?: Device;
  requiresGrad?: boolean;
}

const FILL_OPTIONS = ['dtype', 'device', 'requiresGrad'] as const;

/** A tensor of the given shape with every element equal to value. */
export function full<D extends DType = 'float32'>(
  shape: readonly number[],
  value: number,
  options?: FillOptions<D>,
): Tensor<D> {
  const opts = checkOptions('full', options, FILL_OPTIONS);
  const dims = checkShape('full', 'shape', shape);
  const dtype = checkDType('full', 'options.dtype', opts.dtype ?? 'float32');
  const device = opts.device === undefined ? defaultDevice() : checkDevice('full', 'options.device', opts.device);
  if (typeof value !== 'number') throw new ArgumentError(`full: value must be a number, got ${describe(value)}`);
  if (dtype === 'int32' && !Number.isSafeInteger(checkFinite('full', 'value', value))) {
    throw new DTypeError(`full: value ${value} is not an integer, which an int32 tensor needs`);
  }
  const requiresGrad = checkRequiresGrad('full', opts.requiresGrad, dtype);
  const t = nativeOp<D>((n) => n.full(dims, value, dtype, device));
  if (requiresGrad !== undefined) t.requiresGrad = requiresGrad;
  return t;
}

export function zeros<D extends DType = 'float32'>(shape: readonly number[], options?: FillOptions<D>): Tensor<D> {
  return full(shape, 0, options);
}

export function ones<D extends DType = 'float32'>(shape: readonly number[], options?: FillOptions<D>): Tensor<D> {
  return full(shape, 1, options);
}

/** A rank-0 tensor holding value, with the dtype and device of `like` (for scalar operands). */
export function scalarLike<D extends DType>(op: string, arg: string, value: number, like: Tensor<D>): Tensor<D> {
  if (like.dtype === 'int32' && !Number.isSafeInteger(value)) {
    throw new DTypeError(`${op}: ${arg} is ${value}, which is not an integer, but the other operand is int32`);
  }
  return nativeOp<D>((n) => n.full([], value, like.dtype, like.device));
}
