// The feed-forward layers as ONNX nodes: nn.Embedding (Gather), nn.Linear (MatMul + Add, the
// weight stored transposed), nn.LayerNorm (LayerNormalization, opset 17). nn.Dropout exports as
// the identity: an exported model computes what rnnkit's evaluation mode does.

import type { Embedding } from '../../nn/embedding.js';
import type { LayerNorm } from '../../nn/layer-norm.js';
import type { Linear } from '../../nn/linear.js';
import type { Parameter } from '../../nn/module.js';
import type { GraphBuilder, Value } from './graph.js';
import { affine } from './ops.js';

/** A parameter as an initializer of the same shape. */
export async function constant(g: GraphBuilder, name: string, p: Parameter): Promise<Value> {
  return g.initializer(name, await p.data(), p.shape);
}

/** A [rows, cols] parameter as a [cols, rows] initializer. */
export async function transposed(g: GraphBuilder, name: string, p: Parameter): Promise<Value> {
  const [rows, cols] = p.shape as [number, number];
  const data = await p.data();
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return g.initializer(name, out, [cols, rows]);
}

/** ids (int32, any shape) → output [...ids, embeddingDim], and the table (a tied output layer reuses it). */
export async function emitEmbedding(g: GraphBuilder, m: Embedding, name: string, ids: Value): Promise<{ output: Value; table: Value }> {
  const table = await constant(g, `${name}.weight`, m.weight);
  return { output: g.value('Gather', [table.name, ids.name], [...ids.dims, m.embeddingDim], { axis: 0 }), table };
}

export async function emitLinear(g: GraphBuilder, m: Linear, name: string, x: Value): Promise<Value> {
  const w = await transposed(g, `${name}.weight_t`, m.weight);
  return affine(g, x, w, m.bias === null ? null : await constant(g, `${name}.bias`, m.bias));
}

export async function emitLayerNorm(g: GraphBuilder, m: LayerNorm, name: string, x: Value): Promise<Value> {
  // LayerNormalization needs a scale: ones when the layer has no weight (elementwiseAffine false).
  const size = m.normalizedShape.reduce((a, b) => a * b, 1);
  const scale = m.weight ? await constant(g, `${name}.weight`, m.weight) : g.initializer(`${name}.ones`, new Float32Array(size).fill(1), m.normalizedShape);
  const bias = m.bias ? (await constant(g, `${name}.bias`, m.bias)).name : '';
  return g.value('LayerNormalization', [x.name, scale.name, bias], x.dims, { axis: -m.normalizedShape.length, epsilon: { float: m.eps } });
}
