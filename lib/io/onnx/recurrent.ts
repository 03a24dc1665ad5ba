// nn.RNN / nn.LSTM / nn.GRU as ONNX's own RNN / LSTM / GRU operators, one node per layer (both
// directions in one node), with sequence_lens: ONNX's kernels take each sequence's final state at
// its own end and zero the outputs past it, as rnnkit does. ONNX's operators are time-major
// ([time, batch, features]) and keep their gates in another order than PyTorch (whose layout
// rnnkit's parameters have): LSTM i,o,f,c (PyTorch i,f,g,o), GRU z,r,h (PyTorch r,z,n; with
// linear_before_reset = 1 it is PyTorch's reset-after GRU).

import type { RnnMode } from '../../binding.js';
import { ExportError } from '../../errors.js';
import type { RecurrentLayer } from '../../nn/rnn.js';
import type { GraphBuilder, Value } from './graph.js';
import { reshape, transpose } from './ops.js';

/** Each ONNX gate block's block in PyTorch's order. */
const GATE_ORDER: Record<RnnMode, readonly number[]> = {
  lstm: [0, 3, 1, 2],
  gru: [1, 0, 2],
  rnn_tanh: [0],
  rnn_relu: [0],
};
const OP_TYPE: Record<RnnMode, string> = { lstm: 'LSTM', gru: 'GRU', rnn_tanh: 'RNN', rnn_relu: 'RNN' };

export interface RecurrentState {
  h: Value;
  c: Value | null;
}

export interface RecurrentResult {
  /** In the layer's own layout: [batch, time, D * H] (batchFirst) or [time, batch, D * H]. */
  output: Value;
  /** [numLayers * D, batch, H], in rnnkit's order (layer × D + direction). */
  state: RecurrentState;
  /** The top layer's final h, [D, batch, H]. */
  top: Value;
}

/** Throws an ExportError for the options ONNX's operators cannot express. `where` names the layer. */
export function checkRecurrent(layer: RecurrentLayer, where: string): void {
  const { projSize, cellClip, precision } = layer.config;
  const why = (option: string, reason: string) => new ExportError(`io.exportOnnx: ${where} has ${option}: ${reason}`);
  if (projSize > 0) throw why(`options.projSize = ${projSize}`, "ONNX's LSTM has no projection of the hidden state (LSTMP); export a model without projSize");
  if (cellClip > 0) {
    throw why(
      `options.cellClip = ${cellClip}`,
      "ONNX's LSTM clip attribute clamps the gates' pre-activations, while rnnkit (as cuDNN) clips the cell state where it is read, so the exported model would compute other values",
    );
  }
  if (precision !== 'fp32') {
    throw why(`options.precision = '${precision}'`, "ONNX's recurrent operators compute in the model's float32 type; export a model with precision 'fp32'");
  }
}

/** Rows of `data` ([gates * H, cols]) regrouped as `order` lists the gate blocks. */
function reorderGates(data: Float32Array, order: readonly number[]): Float32Array {
  const block = data.length / order.length;
  const out = new Float32Array(data.length);
  order.forEach((from, to) => out.set(data.subarray(from * block, (from + 1) * block), to * block));
  return out;
}

/** ONNX's W, R and B of layer l: [D, gates*H, in], [D, gates*H, H], [D, 2*gates*H] (B null without bias). */
async function layerWeights(layer: RecurrentLayer, l: number): Promise<{ w: Float32Array[]; r: Float32Array[]; b: Float32Array[] | null }> {
  const params = new Map(layer.namedParameters());
  const order = GATE_ORDER[layer.config.mode];
  const read = async (name: string) => reorderGates(await params.get(name)!.data(), order);
  const suffixes = layer.config.bidirectional ? ['', '_reverse'] : [''];
  const w: Float32Array[] = [];
  const r: Float32Array[] = [];
  const b: Float32Array[] = [];
  for (const s of suffixes) {
    w.push(await read(`weight_ih_l${l}${s}`));
    r.push(await read(`weight_hh_l${l}${s}`));
    if (layer.config.bias) b.push(await read(`bias_ih_l${l}${s}`), await read(`bias_hh_l${l}${s}`));
  }
  return { w, r, b: layer.config.bias ? b : null };
}

function stack(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Layer l's slice [l*D, (l+1)*D) of a state [numLayers * D, batch, H]. */
function layerSlice(g: GraphBuilder, state: Value, l: number, dirs: number): string {
  return g.node('Slice', [state.name, g.ints([l * dirs]), g.ints([(l + 1) * dirs]), g.ints([0])])[0]!;
}

/**
 * Emits the layer on x (in its own layout) with each sequence's length (int32 [batch]) and an
 * optional initial state; `name` prefixes its initializers.
 */
export async function emitRecurrent(
  g: GraphBuilder,
  layer: RecurrentLayer,
  name: string,
  x: Value,
  lengths: Value,
  initial: RecurrentState | null,
): Promise<RecurrentResult> {
  checkRecurrent(layer, name);
  const { mode, hiddenSize: H, numLayers, bidirectional, batchFirst } = layer.config;
  const dirs = bidirectional ? 2 : 1;
  const gates = GATE_ORDER[mode].length;
  const attrs = {
    hidden_size: H,
    direction: bidirectional ? 'bidirectional' : 'forward',
    ...(mode === 'gru' ? { linear_before_reset: 1 } : {}),
    ...(mode.startsWith('rnn_') ? { activations: { strings: Array<string>(dirs).fill(mode === 'rnn_relu' ? 'Relu' : 'Tanh') } } : {}),
  };
  let seq = batchFirst ? transpose(g, x, [1, 0, 2]) : x; // [time, batch, features]
  const time = seq.dims[0]!;
  const batch = seq.dims[1]!;
  const hs: string[] = [];
  const cs: string[] = [];
  for (let l = 0; l < numLayers; l++) {
    const inSize = l === 0 ? layer.config.inputSize : dirs * H;
    const { w, r, b } = await layerWeights(layer, l);
    const W = g.initializer(`${name}.W_l${l}`, stack(w), [dirs, gates * H, inSize]);
    const R = g.initializer(`${name}.R_l${l}`, stack(r), [dirs, gates * H, H]);
    const B = b === null ? null : g.initializer(`${name}.B_l${l}`, stack(b), [dirs, 2 * gates * H]);
    const h0 = initial === null ? '' : layerSlice(g, initial.h, l, dirs);
    const c0 = initial?.c ? layerSlice(g, initial.c, l, dirs) : '';
    const inputs = [seq.name, W.name, R.name, B?.name ?? '', lengths.name, h0, ...(mode === 'lstm' ? [c0] : [])];
    const [y, yh, yc] = g.node(OP_TYPE[mode], inputs, attrs, mode === 'lstm' ? 3 : 2, `${name}_l${l}`);
    hs.push(yh!);
    if (yc !== undefined) cs.push(yc);
    // Y [time, D, batch, H] → [time, batch, D * H]: each step's directions side by side, as rnnkit's output.
    const y4 = transpose(g, { name: y!, dims: [time, dirs, batch, H] }, [0, 2, 1, 3]);
    seq = reshape(g, y4, [0, 0, -1], [time, batch, dirs * H]);
  }
  const stateDims = [numLayers * dirs, batch, H];
  const concat = (names: string[]): Value => ({ name: names.length === 1 ? names[0]! : g.node('Concat', names, { axis: 0 })[0]!, dims: stateDims });
  return {
    output: batchFirst ? transpose(g, seq, [1, 0, 2]) : seq,
    state: { h: concat(hs), c: cs.length > 0 ? concat(cs) : null },
    top: { name: hs.at(-1)!, dims: [dirs, batch, H] },
  };
}
