// Small ONNX building blocks the emitters share: each adds one or two nodes and works out the
// result's dims, so no emitter spells out a Transpose's permutation twice.

import type { GraphBuilder, Value } from './graph.js';
import type { Dim } from './types.js';

export function transpose(g: GraphBuilder, x: Value, perm: readonly number[]): Value {
  return g.value('Transpose', [x.name], perm.map((p) => x.dims[p]!), { perm: { ints: perm } });
}

/** Reshape to `shape` (ONNX's: 0 keeps that axis, -1 takes the rest), declared as `dims`. */
export function reshape(g: GraphBuilder, x: Value, shape: readonly number[], dims: readonly Dim[]): Value {
  return g.value('Reshape', [x.name, g.ints(shape)], dims);
}

export function unsqueeze(g: GraphBuilder, x: Value, axis: number): Value {
  const dims = [...x.dims];
  dims.splice(axis, 0, 1);
  return g.value('Unsqueeze', [x.name, g.ints([axis])], dims);
}

/** ReduceSum / ReduceMax over one axis, dropped. Opset 18 moved ReduceMax's axes from an attribute to an input. */
export function reduce(g: GraphBuilder, op: 'ReduceSum' | 'ReduceMax', x: Value, axis: number): Value {
  const dims = x.dims.filter((_, i) => i !== axis);
  if (op === 'ReduceMax' && g.opset < 18) return g.value(op, [x.name], dims, { axes: { ints: [axis] }, keepdims: 0 });
  return g.value(op, [x.name, g.ints([axis])], dims, { keepdims: 0 });
}

/** y = x · w + b over the last axis, w given as [in, out] (b optional). */
export function affine(g: GraphBuilder, x: Value, w: Value, b: Value | null): Value {
  const dims = [...x.dims.slice(0, -1), w.dims[1]!];
  const y = g.value('MatMul', [x.name, w.name], dims);
  return b === null ? y : g.value('Add', [y.name, b.name], dims);
}
