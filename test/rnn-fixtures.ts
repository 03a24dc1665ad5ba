// The PyTorch fixtures of the recurrent layers (test/fixtures/rnn.json, made by
// test/fixtures/make_rnn_fixtures.py) and the layer a fixture's config describes: shared by the
// CPU suite (test/nn/rnn.test.ts) and the GPU suite (test/gpu/rnn.gpu.test.ts).

import { readFileSync } from 'node:fs';
import * as rk from '../lib/index.js';
import type { RnnConfig, RnnPrecision } from '../lib/binding.js';

export interface Encoded {
  shape: number[];
  data: string;
}

/** One case: config, inputs, PyTorch's parameters, the loss weights, and PyTorch's results. */
export interface RnnCase {
  name: string;
  config: RnnConfig;
  lengths: number[] | null;
  x: Encoded;
  h0: Encoded | null;
  c0: Encoded | null;
  params: Record<string, Encoded>;
  wOut: Encoded;
  wH: Encoded;
  wC: Encoded | null;
  output: Encoded;
  h: Encoded;
  c: Encoded | null;
  grads: Record<string, Encoded | null>;
}

export const rnnCases: RnnCase[] = (
  JSON.parse(readFileSync(new URL('./fixtures/rnn.json', import.meta.url), 'utf8')) as { cases: RnnCase[] }
).cases;

/** The float32 values of an encoded tensor. */
export const values = (e: Encoded): Float32Array => {
  const bytes = Buffer.from(e.data, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
};

export type RecurrentLayer = rk.nn.RNN | rk.nn.LSTM | rk.nn.GRU;

/** The layer of `config` (fields it leaves out take their defaults), computing in `precision`. */
export function makeLayer(
  config: Partial<RnnConfig> & Pick<RnnConfig, 'mode' | 'inputSize' | 'hiddenSize'>,
  precision: RnnPrecision = 'fp32',
): RecurrentLayer {
  const { mode, inputSize, hiddenSize, numLayers, bidirectional, bias, batchFirst, dropout } = config;
  const common = { inputSize, hiddenSize, numLayers, bidirectional, bias, batchFirst, dropout, precision };
  if (mode === 'lstm') return new rk.nn.LSTM({ ...common, projSize: config.projSize ?? 0, cellClip: config.cellClip ?? 0 });
  if (mode === 'gru') return new rk.nn.GRU(common);
  return new rk.nn.RNN({ ...common, nonlinearity: mode === 'rnn_tanh' ? 'tanh' : 'relu' });
}
