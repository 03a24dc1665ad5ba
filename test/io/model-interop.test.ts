// A whole model between PyTorch and rnnkit through safetensors, both directions, with fixtures
// made by test/fixtures/make_classifier_fixtures.py (run by hand; see its docstring):
// - torch_classifier.safetensors (a seeded PyTorch twin of nn.SequenceClassifier, written by
//   safetensors.torch.save_file) loads into nn.SequenceClassifier as is and gives the twin's
//   logits for the committed ids and lengths, with 'last', 'mean' and 'max' pooling;
// - rnnkit_classifier.safetensors is what io.save writes for a seeded nn.SequenceClassifier, byte
//   for byte; the script loads it into the twin (load_state_dict strict) and records the twin's
//   logits for the stored ids and lengths (rnnkit_classifier_torch.json, --record), which
//   rnnkit's logits must match with each pooling. RNNKIT_WRITE_FIXTURES=1 rewrites rnnkit's file
//   and rnnkit_classifier_io.json (then rerun the script with --record).

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { expectClose, uniform } from '../helpers.js';
import { decodeF32, type Encoded, encodeF32, fixture, readFixtureJson, tempDirPerFile } from './interop-fixtures.js';

type Pooling = 'last' | 'mean' | 'max';
const POOLINGS: Pooling[] = ['last', 'mean', 'max'];

interface IoFixture {
  generator: string;
  config: typeof CONFIG;
  names?: string[];
  ids: { shape: [number, number]; data: number[] };
  lengths: number[];
  logits: Record<Pooling, Encoded>;
}

const CONFIG = { vocabSize: 50, numClasses: 4, embeddingDim: 8, hiddenSize: 8, numLayers: 2, bidirectional: true, cell: 'lstm' as const };
const SEED = 2025;

const readIo = (name: string): Promise<IoFixture> => readFixtureJson<IoFixture>(name);

/** The model's logits for the fixture's ids and lengths. */
function logitsOf(model: rk.nn.SequenceClassifier, io: Pick<IoFixture, 'ids' | 'lengths'>): rk.Tensor<'float32'> {
  return rk.tidy(() => {
    const ids = rk.tensor(Int32Array.from(io.ids.data), { shape: io.ids.shape });
    return model.forward(ids, { lengths: Int32Array.from(io.lengths) });
  });
}

const dir = tempDirPerFile('rnnkit-model-interop-');

describe('PyTorch → rnnkit: nn.SequenceClassifier', () => {
  it('has the twin’s parameter names, in the same order', async () => {
    const io = await readIo('torch_classifier_io.json');
    const model = new rk.nn.SequenceClassifier(CONFIG);
    expect(model.namedParameters().map(([name]) => name)).toEqual(io.names);
    for (const p of model.parameters()) p.dispose();
  });

  for (const pooling of POOLINGS) {
    it(`a twin's state dict saved with safetensors.torch.save_file loads as is and gives its logits (pooling '${pooling}')`, async () => {
      const io = await readIo('torch_classifier_io.json');
      expect(io.config).toEqual(CONFIG);
      expect(new Set(io.lengths).size).toBeGreaterThan(1); // unequal lengths, unsorted
      rk.seed(1); // a different init, so the values can only come from the file
      const model = new rk.nn.SequenceClassifier({ ...io.config, pooling });
      const before = logitsOf(model, io);
      const { tensors, metadata } = await rk.io.load(fixture('torch_classifier.safetensors'), { model });
      expect(tensors).toEqual({});
      expect(metadata).toEqual({ format: 'pt' });
      const logits = logitsOf(model, io);
      expect([...logits.shape]).toEqual(io.logits[pooling].shape);
      const want = decodeF32(io.logits[pooling]);
      expectClose(logits.dataSync(), want, 1e-5);
      // The check can fail: the freshly initialised model's logits are far from the twin's.
      const got = before.dataSync();
      expect(Math.max(...got.map((v, i) => Math.abs(v - want[i]!)))).toBeGreaterThan(1e-2);
      before.dispose();
      logits.dispose();
      for (const p of model.parameters()) p.dispose();
    });
  }

  it('into a model of another shape or cell: a CheckpointError naming the file and a tensor', async () => {
    const file = fixture('torch_classifier.safetensors');
    await expect(rk.io.load(file, { model: new rk.nn.SequenceClassifier({ ...CONFIG, hiddenSize: 6 }) })).rejects.toThrow(
      /torch_classifier\.safetensors does not fit the model: tensor 'rnn\.weight_ih_l0' has shape \[32, 8\], the parameter has \[24, 8\]/,
    );
    await expect(rk.io.load(file, { model: new rk.nn.SequenceClassifier({ ...CONFIG, cell: 'gru' }) })).rejects.toThrow(
      /torch_classifier\.safetensors does not fit the model/,
    );
    await expect(rk.io.load(file, { model: new rk.nn.SequenceClassifier({ ...CONFIG, numLayers: 1 }) })).rejects.toThrow(
      /torch_classifier\.safetensors does not fit the model/,
    );
  });
});

describe('rnnkit → PyTorch: nn.SequenceClassifier', () => {
  it("io.save writes the committed rnnkit_classifier.safetensors byte for byte, and PyTorch's logits from that file equal rnnkit's", async () => {
    rk.seed(SEED);
    const model = new rk.nn.SequenceClassifier(CONFIG);
    const path = join(dir(), 'rnnkit_classifier.safetensors');
    await rk.io.save(path, { model });
    const bytes = await readFile(path);
    // ids in [1, vocab) within each length, 0 past it; unsorted lengths with a full and a 1.
    const [batch, time] = [4, 6];
    const lengths = [3, 6, 1, 5];
    const r = uniform(batch * time, 99);
    const ids = r.map((v, i) => (i % time < lengths[Math.floor(i / time)]! ? 1 + Math.floor(((v + 1) / 2) * (CONFIG.vocabSize - 1)) : 0));
    const input = { ids: { shape: [batch, time] as [number, number], data: ids }, lengths };
    const logits = {} as Record<Pooling, Encoded>;
    for (const pooling of POOLINGS) {
      const twin = new rk.nn.SequenceClassifier({ ...CONFIG, pooling });
      await rk.io.load(path, { model: twin }); // the same weights under each pooling
      const y = logitsOf(twin, input);
      logits[pooling] = encodeF32(y);
      y.dispose();
      for (const p of twin.parameters()) p.dispose();
    }
    expect(rk.tidy(() => encodeF32(logitsOf(model, input)))).toEqual(logits.last);
    if (process.env.RNNKIT_WRITE_FIXTURES === '1') {
      await writeFile(fixture('rnnkit_classifier.safetensors'), bytes);
      const io = { generator: 'test/io/model-interop.test.ts (RNNKIT_WRITE_FIXTURES=1)', config: CONFIG, seed: SEED, ...input, logits };
      await writeFile(fixture('rnnkit_classifier_io.json'), `${JSON.stringify(io, null, 1)}\n`);
    }
    const committed = await readFile(fixture('rnnkit_classifier.safetensors'));
    expect(bytes.length).toBe(committed.length);
    expect(Buffer.compare(bytes, committed)).toBe(0);
    const io = await readIo('rnnkit_classifier_io.json');
    expect(io.config).toEqual(CONFIG);
    expect(io.ids).toEqual(input.ids);
    expect(io.lengths).toEqual(lengths);
    const torch = await readFixtureJson<{ logits: Record<Pooling, Encoded> }>('rnnkit_classifier_torch.json');
    for (const pooling of POOLINGS) {
      expect(torch.logits[pooling].shape).toEqual([batch, CONFIG.numClasses]);
      expectClose(decodeF32(logits[pooling]), decodeF32(torch.logits[pooling]), 1e-5);
    }
    for (const p of model.parameters()) p.dispose();
  });
});
