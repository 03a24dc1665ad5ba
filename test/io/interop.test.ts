// safetensors checkpoints between PyTorch and rnnkit, both directions, with fixtures made by
// test/fixtures/make_safetensors_fixtures.py (run by hand; see its docstring):
// - torch_lstm.safetensors (written by safetensors.torch.save_file) loads into nn.LSTM as is and
//   gives PyTorch's outputs;
// - rnnkit_lstm.safetensors is what io.save writes for a seeded nn.LSTM, byte for byte; the
//   script's --check mode loads it into the twin torch LSTM (strict) and compares the outputs
//   rnnkit computed (rnnkit_lstm_io.json). RNNKIT_WRITE_FIXTURES=1 rewrites those two files.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { expectClose, uniform } from '../helpers.js';

interface Encoded {
  shape: number[];
  data: string;
}
interface IoFixture {
  generator: string;
  config: { inputSize: number; hiddenSize: number; numLayers: number; bidirectional: boolean; batchFirst: boolean };
  x: Encoded;
  output: Encoded;
  h: Encoded;
  c: Encoded;
}

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const decodeF32 = (e: Encoded): Float32Array => {
  const b = Buffer.from(e.data, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
};
const encodeF32 = (t: rk.Tensor): Encoded => ({
  shape: [...t.shape],
  data: Buffer.from((t.dataSync() as Float32Array).buffer).toString('base64'),
});

const CONFIG = { inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, batchFirst: true };

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rnnkit-interop-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('PyTorch → rnnkit', () => {
  it('a torch nn.LSTM state dict saved with safetensors.torch.save_file loads as is and gives its outputs', async () => {
    const io = JSON.parse(await readFile(fixture('torch_lstm_io.json'), 'utf8')) as IoFixture;
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
  it('io.save writes the committed rnnkit_lstm.safetensors byte for byte (deterministic)', async () => {
    rk.seed(2024);
    const lstm = new rk.nn.LSTM(CONFIG);
    const path = join(dir, 'rnnkit_lstm.safetensors');
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
    // rnnkit's outputs stored for the Python check still hold.
    const io = JSON.parse(await readFile(fixture('rnnkit_lstm_io.json'), 'utf8')) as IoFixture;
    expect(io.x).toEqual(output.x);
    expectClose(decodeF32(output.output), decodeF32(io.output), 1e-5);
    expectClose(decodeF32(output.h), decodeF32(io.h), 1e-5);
    expectClose(decodeF32(output.c), decodeF32(io.c), 1e-5);
  });
});
