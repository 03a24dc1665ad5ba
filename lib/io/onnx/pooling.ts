// Poolings over time as ONNX nodes, over each sequence's valid steps only, with the mask built in
// the graph from the lengths input: 'last' (the top layer's final states), 'mean' (sum over time
// divided by the length: the recurrent outputs past a sequence's end are zero, in ONNX as in
// rnnkit), 'max' (padded steps set to -Infinity first) and nn.AttentionPooling (their scores set to
// -Infinity, so the softmax gives them weight 0), as rnnkit computes them.

import type { AttentionPooling } from '../../nn/attention-pooling.js';
import type { GraphBuilder, Value } from './graph.js';
import { transposed, constant } from './layers.js';
import { affine, reduce, reshape, transpose, unsqueeze } from './ops.js';
import { ELEM_TYPES } from './proto.js';

/** bool [batch, time]: step t < lengths[b]; x is [batch, time, ...]. */
function validMask(g: GraphBuilder, x: Value, lengths: Value): Value {
  const [batch, time] = [x.dims[0]!, x.dims[1]!];
  const t = g.node('Shape', [x.name], { start: 1, end: 2 })[0]!;
  const limit = g.node('Squeeze', [t, g.ints([0])])[0]!;
  const zero = g.initializer('const', BigInt64Array.of(0n), []).name;
  const one = g.initializer('const', BigInt64Array.of(1n), []).name;
  const steps = g.node('Range', [zero, limit, one])[0]!; // [time]
  const lens = unsqueeze(g, g.value('Cast', [lengths.name], [batch], { to: ELEM_TYPES.int64 }), 1); // [batch, 1]
  return g.value('Less', [steps, lens.name], [batch, time]);
}

/** x [batch, time, C] with padded steps replaced by -Infinity. */
function maskedSteps(g: GraphBuilder, x: Value, mask: Value): Value {
  const m = x.dims.length === 3 ? unsqueeze(g, mask, 2) : mask;
  return g.value('Where', [m.name, x.name, g.scalar(-Infinity)], x.dims);
}

/** The top layer's final h [D, batch, H] → [batch, D * H] (the directions side by side). */
export function lastPool(g: GraphBuilder, top: Value): Value {
  const [dirs, batch, hidden] = top.dims as [number, number | string, number];
  return reshape(g, transpose(g, top, [1, 0, 2]), [0, -1], [batch, dirs * hidden]);
}

/** x [batch, time, C] → [batch, C]. */
export function meanPool(g: GraphBuilder, x: Value, lengths: Value): Value {
  const sum = reduce(g, 'ReduceSum', x, 1);
  const count = unsqueeze(g, g.value('Cast', [lengths.name], lengths.dims, { to: ELEM_TYPES.float32 }), 1);
  return g.value('Div', [sum.name, count.name], sum.dims);
}

/** x [batch, time, C] → [batch, C]. */
export function maxPool(g: GraphBuilder, x: Value, lengths: Value): Value {
  return reduce(g, 'ReduceMax', maskedSteps(g, x, validMask(g, x, lengths)), 1);
}

/** nn.AttentionPooling: x in its layout ([batch, time, C] or [time, batch, C]) → [batch, C]. */
export async function attentionPool(g: GraphBuilder, m: AttentionPooling, name: string, x: Value, lengths: Value): Promise<Value> {
  const h = m.batchFirst ? x : transpose(g, x, [1, 0, 2]);
  const [batch, time] = [h.dims[0]!, h.dims[1]!];
  const proj = affine(g, h, await transposed(g, `${name}.proj.weight_t`, m.proj.weight), m.proj.bias && (await constant(g, `${name}.proj.bias`, m.proj.bias)));
  const score = affine(g, g.value('Tanh', [proj.name], proj.dims), await transposed(g, `${name}.score.weight_t`, m.score.weight), null);
  const scores = maskedSteps(g, reshape(g, score, [0, -1], [batch, time]), validMask(g, h, lengths));
  const weights = g.value('Softmax', [scores.name], scores.dims, { axis: 1 });
  const pooled = g.value('MatMul', [unsqueeze(g, weights, 1).name, h.name], [batch, 1, m.inputSize]);
  return reshape(g, pooled, [0, -1], [batch, m.inputSize]);
}
