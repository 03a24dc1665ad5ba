// safetensors checkpoints between PyTorch and rnnkit, both directions, with fixtures made by
// test/fixtures/make_safetensors_fixtures.py (run by hand; see its docstring):
// - torch_lstm.safetensors (written by safetensors.torch.save_file) loads into nn.LSTM as is and
//   gives PyTorch's outputs;
// - rnnkit_lstm.safetensors is what io.save writes for a seeded nn.LSTM, byte for byte; the
//   script loads it into the twin torch LSTM (strict) and records torch's outputs for the stored
//   input (rnnkit_lstm_torch.json, --record), which rnnkit's outputs must match: PyTorch, reading
//   rnnkit's bytes, computes what rnnkit computes. RNNKIT_WRITE_FIXTURES=1 rewrites rnnkit's
//   file and rnnkit_lstm_io.json (then rerun the script with --record).

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { expectClose, uniform } from '../helpers.js';
import { decodeF32, type Encoded, encodeF32, fixture, readFixtureJson, tempDirPerFile } from './interop-fixtures.js';

interface IoFixture {
  generator: string;
  config: { inputSize: number; hiddenSize: number; numLayers: number; bidirectional: boolean; batchFirst: boolean };
  x: Encoded;
  output: Encoded;
  h: Encoded;
  c: Encoded;
}


const CONFIG = { inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, batchFirst: true };

const dir = tempDirPerFile('rnnkit-interop-');

describe('PyTorch → rnnkit', () => {
  it('a torch nn.LSTM state dict saved with safetensors.torch.save_file loads as is and gives its outputs', async () => {
    const io = await readFixtureJson<IoFixture>('torch_lstm_io.json');
    expect(io.config).toEqual(CONFIG);
    const lstm = new rk.nn.LSTM(io.config);
    const { tensors, metadata } = await rk.io.load(fixture('torch_lstm.safetensors'), { model: lstm });
    expect(tensors).toEqual({});
    expect(metadata).toEqual({ format: 'pt' }); // not JSON: kept as the string torch wrote
    rk.tidy(() => {
      const x = rk.tensor(decodeF32(io.x), { shape: io.x.shape });
      const y = lstm.forward(x);
      expect([...y.output.shape]).toEqual(io.output.shape);
      expectClose(y.output.dataSync(), decodeF32(io.output), 1e-5);
      expectClose(y.state.h.dataSync(), decodeF32(io.h), 1e-5);
      expectClose(y.state.c!.dataSync(), decodeF32(io.c), 1e-5);
    });
    // Into a model of another shape: a CheckpointError naming the file and a tensor.
    await expect(rk.io.load(fixture('torch_lstm.safetensors'), { model: new rk.nn.LSTM({ ...CONFIG, hiddenSize: 5 }) })).rejects.toThrow(
      /torch_lstm\.safetensors does not fit the model: tensor 'weight_ih_l0' has shape \[16, 3\], the parameter has \[20, 3\]/,
    );
  });
});

describe('rnnkit → PyTorch', () => {
  it("io.save writes the committed rnnkit_lstm.safetensors byte for byte, and PyTorch's outputs from that file equal rnnkit's", async () => {
    rk.seed(2024);
    const lstm = new rk.nn.LSTM(CONFIG);
    const path = join(dir(), 'rnnkit_lstm.safetensors');
    await rk.io.save(path, { model: lstm });
    const bytes = await readFile(path);
    const output = rk.tidy(() => {
      const x = rk.tensor(uniform(2 * 5 * 3, 77), { shape: [2, 5, 3] });
      const y = lstm.forward(x);
      return { x: encodeF32(x), output: encodeF32(y.output), h: encodeF32(y.state.h), c: encodeF32(y.state.c!) };
    });
    if (process.env.RNNKIT_WRITE_FIXTURES === '1') {
      await writeFile(fixture('rnnkit_lstm.safetensors'), bytes);
      const io = { generator: 'test/io/interop.test.ts (RNNKIT_WRITE_FIXTURES=1)', config: CONFIG, seed: 2024, ...output };
      await writeFile(fixture('rnnkit_lstm_io.json'), `${JSON.stringify(io, null, 1)}\n`);
    }
    const committed = await readFile(fixture('rnnkit_lstm.safetensors'));
    expect(bytes.length).toBe(committed.length);
    expect(Buffer.compare(bytes, committed)).toBe(0);
    const io = await readFixtureJson<IoFixture>('rnnkit_lstm_io.json');
    expect(io.x).toEqual(output.x);
    // What torch computed from the committed file for this input (make_safetensors_fixtures.py --record).
    const torch = await readFixtureJson<Pick<IoFixture, 'output' | 'h' | 'c'>>('rnnkit_lstm_torch.json');
    for (const name of ['output', 'h', 'c'] as const) {
      expect(torch[name].shape).toEqual(output[name].shape);
      expectClose(decodeF32(output[name]), decodeF32(torch[name]), 1e-5);
    }
  });
});
