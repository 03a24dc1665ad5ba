/// <reference lib="esnext.disposable" preserve="true" />
// The reference gives consumers whose lib lacks esnext.disposable the Symbol.dispose that
// [Symbol.dispose]() below names (TypeScript's advice for declaration files that rely on a
// built-in lib; preserve keeps it in the emitted .d.ts). Node.js 20 has Symbol.dispose.

// The Tensor class: a JS handle on a native tensor (storage, offset, shape, strides, dtype,
// device) plus its autograd state. Ops live in lib/ops; the view methods here delegate to them.

import type { NativeTensor } from './binding.js';
import { describe, type ArrayFor, type DType, type Device } from './dtype.js';
import { ArgumentError, DisposedError, DTypeError, ShapeError, fromNative } from './errors.js';
import { backward, type BackwardOptions, type GradNode } from './autograd.js';
import { native } from './native.js';
import { track } from './scope.js';
import * as devices from './ops/device.js';
import * as views from './ops/views.js';

export class Tensor<D extends DType = DType> {
  #handle: NativeTensor | null;
  readonly shape: readonly number[];
  readonly dtype: D;
  #device: Device;
  #requiresGrad = false;
  /** Accumulated gradient of a leaf after backward(); disposed and replaced by the caller. */
  grad: Tensor<'float32'> | null = null;
  /** The tape node that produced this tensor (null for leaves and under noGrad). */
  gradFn: GradNode | null = null;
  /** Which of gradFn's outputs this tensor is. */
  gradIndex = 0;

  /** Internal: wraps a native handle. Users create tensors with tensor(), zeros(), ... */
  constructor(handle: NativeTensor) {
    this.#handle = handle;
    // The getter builds a fresh array on each call: this one is ours to freeze.
    this.shape = Object.freeze(handle.shape);
    this.dtype = handle.dtype as D;
    this.#device = handle.device as Device;
    track(this);
  }

  /** 'cpu' or 'cuda:N'. */
  get device(): Device {
    return this.#device;
  }

  /**
   * Internal (Module.to): points this tensor at another native tensor of the same shape and
   * dtype, typically on another device, and drops its old handle. A parameter keeps its identity
   * when its model moves, so the layers, tied weights and optimizers holding it stay valid.
   */
  rebind(next: NativeTensor): void {
    const h = this.handleFor('rebind', 'tensor');
    if (next.dtype !== this.dtype || next.shape.join() !== this.shape.join()) {
      throw new ShapeError(
        `rebind: the new tensor is [${next.shape.join(', ')}] ${next.dtype}, this one is [${this.shape.join(', ')}] ${this.dtype}`,
      );
    }
    this.#handle = next;
    this.#device = next.device as Device;
    h.dispose();
  }

  /**
   * True on leaves whose gradient backward() computes into `grad`, and on every tensor computed
   * from one while gradients are recorded. Only float32 tensors can require gradients.
   */
  get requiresGrad(): boolean {
    return this.#requiresGrad;
  }

  set requiresGrad(value: boolean) {
    if (typeof value !== 'boolean') {
      throw new ArgumentError(`requiresGrad: must be true or false, got ${describe(value)}`);
    }
    if (value && this.dtype !== 'float32') {
      throw new DTypeError(`requiresGrad: only float32 tensors can require gradients, this one is ${this.dtype}`);
    }
    this.#requiresGrad = value;
  }

  /** Number of elements. */
  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  get rank(): number {
    return this.shape.length;
  }

  get disposed(): boolean {
    return this.#handle === null;
  }

  /** Internal: the native handle, or a DisposedError naming the op and argument. */
  handleFor(op: string, arg: string): NativeTensor {
    if (this.#handle === null) {
      throw new DisposedError(`${op}: ${arg} is a disposed tensor (shape [${this.shape.join(', ')}], ${this.dtype})`);
    }
    return this.#handle;
  }

  /** The elements in row-major order, once the device's stream reaches this point. */
  async data(): Promise<ArrayFor<D>> {
    const h = this.handleFor('data', 'tensor');
    try {
      return (await native.read(h)) as ArrayFor<D>;
    } catch (err) {
      throw fromNative(err);
    }
  }

  /** Blocking read, for tests and scripts; prefer `await data()` in programs. */
  dataSync(): ArrayFor<D> {
    const h = this.handleFor('dataSync', 'tensor');
    try {
      return native.readSync(h) as ArrayFor<D>;
    } catch (err) {
      throw fromNative(err);
    }
  }

  /** The single value of a one-element tensor (blocking). */
  item(): number {
    if (this.size !== 1) {
      throw new ShapeError(`item: tensor has shape [${this.shape.join(', ')}] (${this.size} elements), expected 1 element`);
    }
    return this.dataSync()[0] as number;
  }

  /**
   * Computes the gradient of this tensor with respect to every leaf with requiresGrad, adding it
   * into the leaf's `grad`. A non-scalar tensor needs `gradient` (same shape).
   */
  backward(options?: BackwardOptions): void {
    backward(this, options);
  }

  /** Frees this tensor's reference to its storage (views and queued work keep theirs). Idempotent. */
  dispose(): void {
    if (this.#handle === null) return;
    this.#handle.dispose();
    this.#handle = null;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  reshape(shape: readonly number[]): Tensor<D> {
    return views.reshape(this, shape);
  }

  /** Swaps two axes (default: the last two). A view: no copy. */
  transpose(axis0 = -2, axis1 = -1): Tensor<D> {
    return views.transpose(this, axis0, axis1);
  }

  /** Reorders all axes. A view: no copy. */
  permute(axes: readonly number[]): Tensor<D> {
    return views.permute(this, axes);
  }

  /** begin[i] .. begin[i] + size[i] along each axis (size -1: to the end). A view: no copy. */
  slice(begin: readonly number[], size?: readonly number[]): Tensor<D> {
    return views.slice(this, begin, size);
  }

  /** length elements from start along one axis. A view: no copy. */
  narrow(axis: number, start: number, length: number): Tensor<D> {
    return views.narrow(this, axis, start, length);
  }

  /**
   * This tensor on `device` ('cpu', 'cuda', 'cuda:N'): itself when it is already there, else a
   * copy (differentiable: the gradient flows back to this device).
   */
  to(device: Device): Tensor<D> {
    return devices.to(this, device);
  }

  /** A row-major copy (or this tensor's data in a new storage). */
  contiguous(): Tensor<D> {
    return views.contiguous(this);
  }

  toString(): string {
    const state = this.disposed ? ', disposed' : '';
    return `Tensor(shape=[${this.shape.join(', ')}], dtype=${this.dtype}, device=${this.device}${state})`;
  }
}
