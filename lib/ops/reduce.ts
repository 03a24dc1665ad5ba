// sum, mean and max over axes, and sumTo (the reduction that undoes broadcasting in backward
// passes).

import { checkAxes, checkBoolean, checkInteger, checkOptions } from '../args.js';
import { record, type Float } from '../autograd.js';
import type { ReduceOp } from '../binding.js';
import type { DType } from '../dtype.js';
import { ShapeError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { handle, nativeOp } from './call.js';
import { mul } from './elementwise.js';
import { reshape } from './views.js';

export interface ReduceOptions {
  /** Keep reduced axes with size 1. Default false. */
  keepDims?: boolean;
}

function reduce<D extends DType>(
  op: ReduceOp,
  x: Tensor<D>,
  axis: number | readonly number[] | undefined,
  options: ReduceOptions | undefined,
): Tensor<D> {
  const h = handle(op, 'x', x);
  const all = x.shape.map((_, i) => i);
  const axes =
    axis === undefined ? all : checkAxes(op, 'axis', typeof axis === 'number' ? [checkInteger(op, 'axis', axis)] : axis, x.rank);
  const keepDims = options?.keepDims === undefined ? false : checkBoolean(op, 'options.keepDims', options.keepDims);
  const out = nativeOp<D>((n) => n.reduce(op, h, axes, keepDims));
  const keptShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const inShape = x.shape;
  const count = axes.reduce((acc, i) => acc * inShape[i]!, 1);
  return record(op, out, [x], [], (g) => {
    // Broadcast g back over the reduced axes: g (kept dims) * ones-like via mul with a scale.
    const gk = reshape(g, keptShape);
    const scaled = mul(gk, op === 'mean' ? 1 / count : 1);
    const grad = broadcastTo(scaled, inShape);
    gk.dispose();
    scaled.dispose();
    return [grad];
  });
}

/** Sum over axes (all when omitted). */
export function sum<D extends DType>(x: Tensor<D>, axis?: number | readonly number[], options?: ReduceOptions): Tensor<D> {
  return reduce('sum', x, axis, options);
}

/** Mean over axes (all when omitted); float32 only. */
export function mean(x: Tensor<'float32'>, axis?: number | readonly number[], options?: ReduceOptions): Tensor<'float32'> {
  return reduce('mean', x, axis, options);
}

/**
 * Maximum over axes (all when omitted), float32 or int32. A NaN in a group makes its maximum NaN;
 * reducing an empty axis is a ShapeError. Backward: each group's gradient goes to its FIRST
 * maximal element (row-major order over the reduced axes; the first NaN if there is one) and
 * the other elements get zero, so tied maxima do not share it (PyTorch's max(dim) picks one
 * index the same way; its full-reduction max() splits ties evenly instead).
 */
export function max<D extends DType>(x: Tensor<D>, axis?: number | readonly number[], options?: ReduceOptions): Tensor<D> {
  const h = handle('max', 'x', x);
  const opts = checkOptions('max', options, ['keepDims'] as const);
  const axes =
    axis === undefined
      ? x.shape.map((_, i) => i)
      : checkAxes('max', 'axis', typeof axis === 'number' ? [checkInteger('max', 'axis', axis)] : axis, x.rank);
  const keepDims = checkBoolean('max', 'options.keepDims', opts.keepDims ?? false);
  const out = nativeOp<D>((n) => n.reduce('max', h, axes, keepDims));
  return record('max', out, [x], [x], (g, saved) => {
    const hg = handle('max.backward', 'grad', g);
    const hx = handle('max.backward', 'x', saved[0]);
    return [nativeOp((n) => n.maxBackward(hg, hx, axes, keepDims))];
  });
}

/** Broadcasts g (same rank, size-1 axes) to shape by adding it to zeros: no stride-0 views needed. */
function broadcastTo(g: Float, shape: readonly number[]): Float {
  if (g.shape.join() === shape.join()) return reshape(g, shape);
  const h = handle('broadcastTo', 'g', g);
  return nativeOp((n) => {
    const z = n.full([...shape], 0, 'float32', g.device);
    try {
      return n.binary('add', z, h);
    } finally {
      z.dispose();
    }
  });
}

/**
 * Sums g down to `shape`, the shape an operand had before broadcasting: over leading axes g has
 * and shape lacks, and over axes where shape has size 1. Always returns a new tensor object.
 */
export function sumTo(g: Float, shape: readonly number[]): Float {
  const lead = g.rank - shape.length;
  if (lead < 0) throw new ShapeError(`sumTo: gradient of shape [${g.shape.join(', ')}] has lower rank than [${shape.join(', ')}]`);
  const axes = g.shape.flatMap((d, i) => (i < lead || (shape[i - lead] === 1 && d !== 1) ? [i] : []));
  if (axes.length === 0) return reshape(g, shape);
  const s = sum(g, axes, { keepDims: true });
  const out = reshape(s, shape);
  s.dispose();
  return out;
}
