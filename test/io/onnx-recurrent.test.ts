// io.exportOnnx of bare recurrent layers: every cell (LSTM, GRU, RNN tanh and relu) × 1 or 2
// layers × one or both directions × bias or not × batchFirst or not, on a batch of unequal,
// unsorted lengths and on a batch of 1; with and without an initial state. onnxruntime's outputs,
// final h and c must equal rnnkit's within 1e-5.

import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { uniform } from '../helpers.js';
import { tempDirPerFile } from './interop-fixtures.js';
import { expectSame, onnxFile, runOnnx, type Feeds } from './onnx-runtime.js';

const dir = tempDirPerFile('rnnkit-onnx-rnn-');
type Layer = rk.nn.LSTM | rk.nn.GRU | rk.nn.RNN;
const INPUT = 3;
const HIDDEN = 4;
const TIME = 5;

type Cell = 'lstm' | 'gru' | 'rnn_tanh' | 'rnn_relu';
interface Config {
  cell: Cell;
  numLayers: number;
  bidirectional: boolean;
  bias: boolean;
  batchFirst: boolean;
}

function build(c: Config, seed: number): Layer {
  rk.seed(seed);
  const options = { inputSize: INPUT, hiddenSize: HIDDEN, numLayers: c.numLayers, bidirectional: c.bidirectional, bias: c.bias, batchFirst: c.batchFirst };
  if (c.cell === 'lstm') return new rk.nn.LSTM(options);
  if (c.cell === 'gru') return new rk.nn.GRU(options);
  return new rk.nn.RNN({ ...options, nonlinearity: c.cell === 'rnn_relu' ? 'relu' : 'tanh' });
}

const name = (c: Config) =>
  `${c.cell} ${c.numLayers} layer${c.numLayers > 1 ? 's' : ''}${c.bidirectional ? ' bidirectional' : ''}${c.bias ? '' : ' no bias'}${c.batchFirst ? '' : ' time-major'}`;

/** Exports `layer`, runs it on lengths (and a random initial state with `withState`), compares with rnnkit. */
async function check(label: string, layer: Layer, lengths: number[], withState: boolean, seed: number): Promise<void> {
  const { batchFirst, numLayers, bidirectional, mode } = layer.config;
  const batch = lengths.length;
  const xDims = batchFirst ? [batch, TIME, INPUT] : [TIME, batch, INPUT];
  const x = Float32Array.from(uniform(batch * TIME * INPUT, seed));
  const stateDims = [numLayers * (bidirectional ? 2 : 1), batch, HIDDEN];
  const stateSize = stateDims[0]! * batch * HIDDEN;
  const h0 = Float32Array.from(uniform(stateSize, seed + 1));
  const c0 = Float32Array.from(uniform(stateSize, seed + 2));
  const file = onnxFile(dir(), `${label.replaceAll(' ', '_')}_${withState}_${batch}`);
  const info = await rk.io.exportOnnx(layer, file, { stateInputs: withState });
  expect(info.inputs.map((i) => i.name)).toEqual(['x', 'lengths', ...(withState ? ['h0', ...(mode === 'lstm' ? ['c0'] : [])] : [])]);

  const feeds: Feeds = { x: { data: x, dims: xDims }, lengths: { data: Int32Array.from(lengths), dims: [batch] } };
  if (withState) {
    feeds.h0 = { data: h0, dims: stateDims };
    if (mode === 'lstm') feeds.c0 = { data: c0, dims: stateDims };
  }
  const onnx = await runOnnx(file, feeds);
  layer.eval();
  const state = withState
    ? { h: rk.tensor(h0, { shape: stateDims }), ...(mode === 'lstm' ? { c: rk.tensor(c0, { shape: stateDims }) } : {}) }
    : undefined;
  const ours = rk.noGrad(() => layer.forward(rk.tensor(x, { shape: xDims }), { lengths, ...(state ? { state } : {}) }));
  await expectSame(`${label} output`, onnx.output, ours.output);
  await expectSame(`${label} h_n`, onnx.h_n, ours.state.h);
  if (mode === 'lstm') await expectSame(`${label} c_n`, onnx.c_n, ours.state.c!);
  else expect(onnx.c_n).toBeUndefined();
  for (const t of [ours.output, ours.state.h, ours.state.c, state?.h, state?.c]) t?.dispose();
}

const CONFIGS: Config[] = [];
for (const cell of ['lstm', 'gru', 'rnn_tanh', 'rnn_relu'] as const)
  for (const numLayers of [1, 2])
    for (const bidirectional of [false, true])
      for (const bias of [true, false]) for (const batchFirst of [true, false]) CONFIGS.push({ cell, numLayers, bidirectional, bias, batchFirst });

describe('io.exportOnnx of recurrent layers, run in onnxruntime', () => {
  CONFIGS.forEach((c, i) => {
    it(`${name(c)}: unequal, unsorted lengths; batch 1; an initial state`, async () => {
      const layer = build(c, 100 + i);
      await check(name(c), layer, [3, 5, 1, 4], false, 10 + i);
      await check(name(c), layer, [TIME - 1], false, 20 + i);
      await check(name(c), layer, [2, 5, 4], true, 30 + i);
    });
  });

  it('zeroes the outputs past each length, as rnnkit does', async () => {
    const layer = build({ cell: 'lstm', numLayers: 1, bidirectional: true, bias: true, batchFirst: true }, 7);
    const file = onnxFile(dir(), 'padding');
    await rk.io.exportOnnx(layer, file);
    const onnx = await runOnnx(file, {
      x: { data: Float32Array.from(uniform(2 * TIME * INPUT, 3)), dims: [2, TIME, INPUT] },
      lengths: { data: Int32Array.of(2, TIME), dims: [2] },
    });
    const first = onnx.output!.data.subarray(0, TIME * 2 * HIDDEN);
    expect([...first.subarray(2 * 2 * HIDDEN)].every((v) => v === 0)).toBe(true);
    expect([...first.subarray(0, 2 * 2 * HIDDEN)].some((v) => v !== 0)).toBe(true);
  });
});
