// View ops: reshape, transpose, permute, slice, narrow share their input's storage (no copy;
// reshape copies only a non-contiguous input, as PyTorch's reshape does). Each is differentiable.

import { checkAxis, checkInteger, checkShape } from '../args.js';
import { record, type Float } from '../autograd.js';
import { describe, type DType } from '../dtype.js';
import { ArgumentError, ShapeError } from '../errors.js';
import type { NativeTensor } from '../binding.js';
import type { Tensor } from '../tensor.js';
import { handle, nativeOp } from './call.js';
import { concat } from './concat.js';
import { zeros } from './creation.js';

const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;

/** Row-major strides (in elements) of a contiguous tensor of this shape. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

function isContiguous(h: NativeTensor): boolean {
  const expected = contiguousStrides(h.shape);
  return h.shape.every((d, i) => d === 1 || h.strides[i] === expected[i]);
}

/** A view of x with new geometry, recorded with the given backward. */
function makeView<D extends DType>(
  op: string,
  x: Tensor<D>,
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
  backward: (g: Float) => Float,
): Tensor<D> {
  const h = handle(op, 'x', x);
  const out = nativeOp<D>((n) => n.view(h, [...shape], [...strides], offset));
  return record(op, out, [x], [], (g) => [backward(g)]);
}

/** A row-major copy in a new storage. */
export function contiguous<D extends DType>(x: Tensor<D>): Tensor<D> {
  const h = handle('contiguous', 'x', x);
  const out = nativeOp<D>((n) => n.contiguous(h));
  return record('contiguous', out, [x], [], (g) => [reshape(g, g.shape)]);
}

/** Same elements, new shape; one size may be -1 (inferred). A view when x is contiguous. */
export function reshape<D extends DType>(x: Tensor<D>, shape: readonly number[]): Tensor<D> {
  const h = handle('reshape', 'x', x);
  if (!Array.isArray(shape)) throw new ArgumentError('reshape: shape must be an array of sizes');
  const inferred = shape.filter((d) => d === -1).length;
  if (inferred > 1) throw new ArgumentError(`reshape: shape ${fmt(shape)} has more than one -1`);
  const known = checkShape('reshape', 'shape', shape.map((d) => (d === -1 ? 1 : d)));
  const knownSize = known.reduce((a, b) => a * b, 1);
  const dims = shape.map((d, i) => (d === -1 ? (knownSize === 0 ? 0 : x.size / knownSize) : known[i]!));
  const size = dims.reduce((a, b) => a * b, 1);
  if (!Number.isInteger(size) || size !== x.size || dims.some((d) => !Number.isInteger(d))) {
    throw new ShapeError(`reshape: cannot reshape a tensor of shape ${fmt(x.shape)} (${x.size} elements) to ${fmt(shape)}`);
  }
  const inShape = x.shape;
  if (isContiguous(h)) {
    return makeView('reshape', x, dims, contiguousStrides(dims), h.offset, (g) => reshape(g, inShape));
  }
  const copy = contiguous(x);
  const out = reshape(copy, dims);
  copy.dispose();
  return out;
}

/** Reorders the axes: output axis i is input axis axes[i]. */
export function permute<D extends DType>(x: Tensor<D>, axes: readonly number[]): Tensor<D> {
  const h = handle('permute', 'x', x);
  if (!Array.isArray(axes) || axes.length !== x.rank) {
    throw new ArgumentError(`permute: axes must list each of the ${x.rank} axes once, got ${Array.isArray(axes) ? fmt(axes) : describe(axes)}`);
  }
  const order = axes.map((a, i) => checkAxis('permute', `axes[${i}]`, a, x.rank));
  if (new Set(order).size !== order.length) throw new ArgumentError(`permute: axes ${fmt(axes)} repeat an axis`);
  const inverse = new Array<number>(order.length);
  order.forEach((a, i) => (inverse[a] = i));
  return makeView(
    'permute',
    x,
    order.map((a) => h.shape[a]!),
    order.map((a) => h.strides[a]!),
    h.offset,
    (g) => permute(g, inverse),
  );
}

/** Swaps two axes. */
export function transpose<D extends DType>(x: Tensor<D>, axis0 = -2, axis1 = -1): Tensor<D> {
  handle('transpose', 'x', x);
  if (x.rank < 2 && axis0 === -2 && axis1 === -1) {
    throw new ShapeError(`transpose: needs a tensor of rank >= 2, got shape ${fmt(x.shape)}`);
  }
  const a = checkAxis('transpose', 'axis0', axis0, x.rank);
  const b = checkAxis('transpose', 'axis1', axis1, x.rank);
  const order = x.shape.map((_, i) => i);
  order[a] = b;
  order[b] = a;
  return permute(x, order);
}

/** begin[i] .. begin[i] + size[i] along each axis; size -1 (or omitted) runs to the end. */
export function slice<D extends DType>(x: Tensor<D>, begin: readonly number[], size?: readonly number[]): Tensor<D> {
  const h = handle('slice', 'x', x);
  if (!Array.isArray(begin) || begin.length > x.rank) {
    throw new ArgumentError(`slice: begin must be an array of at most ${x.rank} starts, got ${describe(begin)}`);
  }
  if (size !== undefined && (!Array.isArray(size) || size.length !== begin.length)) {
    throw new ArgumentError(`slice: size must be an array as long as begin (${begin.length})`);
  }
  const starts = x.shape.map((d, i) => {
    const s = i < begin.length ? checkInteger('slice', `begin[${i}]`, begin[i]) : 0;
    if (s < 0 || s > d) throw new ShapeError(`slice: begin[${i}] = ${s} is outside 0..${d} for shape ${fmt(x.shape)}`);
    return s;
  });
  const sizes = x.shape.map((d, i) => {
    const n = size !== undefined && i < size.length ? checkInteger('slice', `size[${i}]`, size[i]) : -1;
    const len = n === -1 ? d - starts[i]! : n;
    if (len < 0 || starts[i]! + len > d) {
      throw new ShapeError(`slice: size[${i}] = ${n} from begin ${starts[i]} exceeds axis ${i} of size ${d}`);
    }
    return len;
  });
  const offset = h.offset + starts.reduce((acc, s, i) => acc + s * h.strides[i]!, 0);
  const inShape = x.shape;
  return makeView('slice', x, sizes, h.strides, offset, (g) => padTo(g, inShape, starts));
}

/** length elements from start along one axis. */
export function narrow<D extends DType>(x: Tensor<D>, axis: number, start: number, length: number): Tensor<D> {
  handle('narrow', 'x', x);
  const a = checkAxis('narrow', 'axis', axis, x.rank);
  const begin = x.shape.map((_, i) => (i === a ? checkInteger('narrow', 'start', start) : 0));
  const size = x.shape.map((_, i) => (i === a ? checkInteger('narrow', 'length', length) : -1));
  return slice(x, begin, size);
}

/** Backward of slice: g placed at `starts` inside zeros of `shape`, one axis at a time. */
function padTo(g: Float, shape: readonly number[], starts: readonly number[]): Float {
  let out: Float = reshape(g, g.shape);
  shape.forEach((d, axis) => {
    const before = starts[axis]!;
    const after = d - before - out.shape[axis]!;
    if (before === 0 && after === 0) return;
    const parts: Float[] = [];
    const padShape = (n: number): number[] => out.shape.map((s, i) => (i === axis ? n : s));
    if (before > 0) parts.push(zeros(padShape(before), { device: g.device }));
    parts.push(out);
    if (after > 0) parts.push(zeros(padShape(after), { device: g.device }));
    const next = concat(parts, axis);
    for (const p of parts) p.dispose();
    out = next;
  });
  return out;
}
