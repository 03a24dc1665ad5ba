// Checkpoint files: save()/load() of models, extra tensors, optimizer state and metadata; strict
// fitting with CheckpointErrors that name the file and tensors; atomic writes; plain tensor files.

import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { settledMemory, uniform } from '../helpers.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rnnkit-io-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const read = (t: rk.Tensor): number[] => Array.from(t.dataSync());
const params = (m: rk.nn.Module): Record<string, number[]> => Object.fromEntries(m.namedParameters().map(([n, p]) => [n, read(p)]));

/** A stand-in optimizer: state tensors it owns, copied on load (as the real ones must). */
class ToyOptimizer {
  state: Record<string, rk.Tensor>;
  constructor(state: Record<string, rk.Tensor>) {
    this.state = state;
  }
  stateDict(): Record<string, rk.Tensor> {
    return this.state;
  }
  loadStateDict(state: Record<string, rk.Tensor>): void {
    if (!('step' in state)) throw new Error('toy optimizer: step is missing');
    this.state = Object.fromEntries(Object.entries(state).map(([k, t]) => [k, rk.tensor(t.dataSync(), { shape: t.shape, dtype: t.dtype })]));
  }
}

const lstmOptions = { inputSize: 3, hiddenSize: 5, numLayers: 2, bidirectional: true, projSize: 2 };

async function tempFiles(): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.includes('.tmp-'));
}

describe('save and load', () => {
  it('round-trips an LSTM (2 layers, bidirectional, projection): same parameters, same outputs', async () => {
    rk.seed(11);
    const a = new rk.nn.LSTM(lstmOptions);
    const b = new rk.nn.LSTM(lstmOptions);
    expect(params(b)).not.toEqual(params(a));
    const path = join(dir, 'lstm.safetensors');
    await rk.io.save(path, { model: a });
    const start = await settledMemory();
    const loaded = await rk.io.load(path, { model: b });
    expect(loaded.tensors).toEqual({});
    expect(loaded.metadata).toEqual({});
    expect(params(b)).toEqual(params(a));
    expect((await settledMemory()).tensors).toBe(start.tensors); // the temporaries are disposed
    rk.tidy(() => {
      const x = rk.tensor(uniform(2 * 4 * 3, 5), { shape: [2, 4, 3] });
      const ya = a.forward(x, { lengths: [4, 2] });
      const yb = b.forward(x, { lengths: [4, 2] });
      expect(read(yb.output)).toEqual(read(ya.output));
      expect(read(yb.state.h)).toEqual(read(ya.state.h));
      expect(read(yb.state.c!)).toEqual(read(ya.state.c!));
    });
  });

  it('stores model, extra tensors, optimizer state and JSON metadata under their names', async () => {
    rk.seed(12);
    const model = new rk.nn.GRU({ inputSize: 2, hiddenSize: 3 });
    const optimizer = new ToyOptimizer({ step: rk.tensor([7], { dtype: 'int32' }), 'exp_avg.weight_ih_l0': rk.ones([9, 2]) });
    const metadata = { step: 120, epoch: 3, config: { lr: 0.001, layers: [2, 3], name: 'gru' }, note: 'ok', flag: true, none: null };
    const path = join(dir, 'full.safetensors');
    await rk.io.save(path, { model, tensors: { ema: rk.tensor([0.5, 0.25]) }, optimizer, metadata });

    const raw = await rk.io.loadTensors(path);
    expect(Object.keys(raw.tensors).sort()).toEqual(
      ['bias_hh_l0', 'bias_ih_l0', 'ema', 'optim.exp_avg.weight_ih_l0', 'optim.step', 'weight_hh_l0', 'weight_ih_l0'].sort(),
    );
    expect(raw.metadata).toEqual({
      'rnnkit.format': '1',
      step: '120',
      epoch: '3',
      config: '{"lr":0.001,"layers":[2,3],"name":"gru"}',
      note: '"ok"',
      flag: 'true',
      none: 'null',
    });
    expect(Object.keys(raw.metadata)[0]).toBe('rnnkit.format');
    for (const t of Object.values(raw.tensors)) t.dispose();

    const fresh = new rk.nn.GRU({ inputSize: 2, hiddenSize: 3 });
    const opt2 = new ToyOptimizer({});
    const loaded = await rk.io.load(path, { model: fresh, optimizer: opt2, strict: false });
    expect(params(fresh)).toEqual(params(model));
    expect(Object.keys(opt2.state).sort()).toEqual(['exp_avg.weight_ih_l0', 'step']);
    expect(read(opt2.state.step!)).toEqual([7]);
    expect(opt2.state.step!.dtype).toBe('int32');
    expect(Object.keys(loaded.tensors)).toEqual(['ema']); // only what nobody took
    expect(read(loaded.tensors.ema!)).toEqual([0.5, 0.25]);
    expect(loaded.metadata).toEqual(metadata);

    // Without model or optimizer, everything comes back, optim.* under its full name.
    const everything = await rk.io.load(path);
    expect(Object.keys(everything.tensors)).toHaveLength(7);
    expect(read(everything.tensors['optim.step']!)).toEqual([7]);
    for (const t of Object.values(everything.tensors)) t.dispose();
  });

  it('refuses a checkpoint of another model, naming the tensors, and leaves the model unchanged', async () => {
    rk.seed(13);
    const model = new rk.nn.LSTM(lstmOptions);
    const before = params(model);
    const wider = join(dir, 'wider.safetensors');
    await rk.io.save(wider, { model: new rk.nn.LSTM({ ...lstmOptions, hiddenSize: 6 }) });
    const err = await rk.io.load(wider, { model }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(rk.CheckpointError);
    expect((err as Error).message).toBe(
      `io.load: ${wider} does not fit the model: tensor 'weight_ih_l0' has shape [24, 3], the parameter has [20, 3]; ` +
        "tensor 'weight_hh_l0' has shape [24, 2], the parameter has [20, 2]; tensor 'bias_ih_l0' has shape [24], the parameter has [20]; " +
        "tensor 'bias_hh_l0' has shape [24], the parameter has [20] (and 16 more)",
    );
    const oneWay = join(dir, 'one-way.safetensors');
    await rk.io.save(oneWay, { model: new rk.nn.LSTM({ ...lstmOptions, bidirectional: false }) });
    await expect(rk.io.load(oneWay, { model })).rejects.toThrow(
      new RegExp(`^io\\.load: ${oneWay.replace(/[.\\/]/g, '\\$&')} does not fit the model: missing weight_ih_l0_reverse, weight_hh_l0_reverse, .*weight_hr_l1_reverse$`),
    );
    const noProj = join(dir, 'no-proj.safetensors');
    await rk.io.save(noProj, { model: new rk.nn.LSTM({ ...lstmOptions, projSize: 0 }) });
    await expect(rk.io.load(noProj, { model })).rejects.toThrow(/does not fit the model: missing weight_hr_l0, weight_hr_l0_reverse, weight_hr_l1, weight_hr_l1_reverse/);
    const extra = join(dir, 'extra.safetensors');
    await rk.io.save(extra, { model: new rk.nn.LSTM(lstmOptions), tensors: { head_weight: rk.ones([2]) } });
    await expect(rk.io.load(extra, { model })).rejects.toThrow(/does not fit the model: unexpected head_weight$/);
    const ints = join(dir, 'ints.safetensors');
    const intState = Object.fromEntries(model.namedParameters().map(([n, p]) => [n, rk.zeros(p.shape, { dtype: n === 'bias_ih_l1' ? 'int32' : 'float32' })]));
    await rk.io.saveTensors(ints, intState);
    await expect(rk.io.load(ints, { model })).rejects.toThrow(/tensor 'bias_ih_l1' is int32, the parameter is float32/);
    // An optimizer that rejects its state: checked before the model changes.
    const withOpt = join(dir, 'with-opt.safetensors');
    await rk.io.save(withOpt, { model: new rk.nn.LSTM(lstmOptions), optimizer: new ToyOptimizer({ m: rk.ones([1]) }) });
    await expect(rk.io.load(withOpt, { model, optimizer: new ToyOptimizer({}) })).rejects.toThrow(
      /with-opt\.safetensors: the optimizer did not accept its state: toy optimizer: step is missing/,
    );
    expect(params(model)).toEqual(before);
  });

  it('checks save arguments and metadata', async () => {
    const path = join(dir, 'args.safetensors');
    const model = new rk.nn.RNN({ inputSize: 1, hiddenSize: 1 });
    await expect(rk.io.save(path, { metadata: { 'rnnkit.format': '2' } })).rejects.toThrow(/metadata key 'rnnkit.format' is reserved/);
    await expect(rk.io.save(path, { metadata: { f: () => 1 } })).rejects.toThrow(/metadata\['f'\] cannot be JSON-encoded/);
    await expect(rk.io.save(path, { metadata: { big: 1n } })).rejects.toThrow(rk.ArgumentError);
    await expect(rk.io.save(path, { model, tensors: { weight_ih_l0: rk.ones([1]) } })).rejects.toThrow(
      /'weight_ih_l0' is both a tensor of the model and of options.tensors/,
    );
    await expect(rk.io.save(path, { tensors: { 'optim.x': rk.ones([1]) } })).rejects.toThrow(/names starting with 'optim.' are the optimizer's/);
    await expect(rk.io.save(path, { model: {} as rk.nn.Module })).rejects.toThrow(/options.model must be an nn.Module/);
    await expect(rk.io.save(path, { optimizer: {} as ToyOptimizer })).rejects.toThrow(/must have a stateDict\(\) method/);
    await expect(rk.io.save(path, { modle: model } as rk.io.SaveOptions)).rejects.toThrow(/unknown option 'modle'/);
    await expect(rk.io.save('', {})).rejects.toThrow(/save: path must be a file path or a file: URL, got ''/);
    await expect(rk.io.save(new URL('https://example.com/m.safetensors'), {})).rejects.toThrow(
      /save: path must be a file path or a file: URL, got https:\/\/example.com\/m.safetensors/,
    );
    await expect(rk.io.load(path, { strict: 'yes' } as unknown as rk.io.LoadOptions)).rejects.toThrow(/options.strict must be/);
    expect(await tempFiles()).toEqual([]);
  });

  it('reads foreign metadata as strings, and refuses a newer rnnkit format', async () => {
    const foreign = join(dir, 'foreign.safetensors');
    await rk.io.saveTensors(foreign, { w: rk.ones([1]) }, { format: 'pt', n: '3' });
    expect((await rk.io.load(foreign)).metadata).toEqual({ format: 'pt', n: 3 });
    const newer = join(dir, 'newer.safetensors');
    await rk.io.saveTensors(newer, { w: rk.ones([1]) }, { 'rnnkit.format': '2' });
    await expect(rk.io.load(newer)).rejects.toThrow(/newer\.safetensors: written in rnnkit checkpoint format "2"; this rnnkit reads format 1/);
    const broken = join(dir, 'broken-meta.safetensors');
    await rk.io.saveTensors(broken, { w: rk.ones([1]) }, { 'rnnkit.format': '1', step: 'x{' });
    await expect(rk.io.load(broken)).rejects.toThrow(/__metadata__\['step'\] is not JSON/);
  });

  it('gives a CheckpointError naming the path for a missing or damaged file, and leaks nothing', async () => {
    const missing = join(dir, 'nope.safetensors');
    const err = await rk.io.load(missing).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(rk.CheckpointError);
    expect((err as Error).message).toMatch(new RegExp(`^io\\.load: cannot read ${missing.replace(/[.\\/]/g, '\\$&')}: ENOENT`));
    await expect(rk.io.loadTensors(missing)).rejects.toThrow(/^io\.loadTensors: cannot read .*ENOENT/);
    const damaged = join(dir, 'damaged.safetensors');
    await rk.io.save(damaged, { model: new rk.nn.GRU({ inputSize: 2, hiddenSize: 2 }) });
    const bytes = await readFile(damaged);
    await writeFile(damaged, bytes.subarray(0, bytes.length - 3));
    await expect(rk.io.load(damaged)).rejects.toThrow(new RegExp(`^io\\.load: ${damaged.replace(/[.\\/]/g, '\\$&')}: tensor 'weight_ih_l0': data_offsets \\[96, 144\\] reach past the data buffer, which has 141 bytes`));
    // A failure after decoding (model mismatch) disposes every tensor it created.
    await writeFile(damaged, bytes);
    const narrow = new rk.nn.GRU({ inputSize: 2, hiddenSize: 3 });
    const same = new rk.nn.GRU({ inputSize: 2, hiddenSize: 2 });
    const start = await settledMemory();
    await expect(rk.io.load(damaged, { model: narrow })).rejects.toThrow(rk.CheckpointError);
    await expect(rk.io.load(damaged, { model: same, optimizer: new ToyOptimizer({}) })).rejects.toThrow(/the optimizer did not accept/);
    expect((await settledMemory()).tensors).toBe(start.tensors);
  });
});

describe('atomic writes', () => {
  it('a save that fails (disposed tensor, folder as target, missing folder) leaves the old file and no temp files', async () => {
    const path = join(dir, 'atomic.safetensors');
    rk.seed(14);
    const model = new rk.nn.LSTM({ inputSize: 2, hiddenSize: 3 });
    await rk.io.save(path, { model, metadata: { step: 1 } });
    const old = await readFile(path);

    const gone = rk.ones([2]);
    gone.dispose();
    await expect(rk.io.save(path, { model, tensors: { gone }, metadata: { step: 2 } })).rejects.toThrow(rk.DisposedError);
    expect(Buffer.compare(await readFile(path), old)).toBe(0);

    const folder = join(dir, 'a-folder.safetensors');
    await mkdir(folder);
    const err = await rk.io.save(folder, { model }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(rk.CheckpointError);
    expect((err as Error).message).toMatch(new RegExp(`^io\\.save: cannot write ${folder.replace(/[.\\/]/g, '\\$&')}: E(ISDIR|EXIST|NOTEMPTY|PERM)`));
    expect(await readdir(folder)).toEqual([]);

    await expect(rk.io.save(join(dir, 'no-such-folder', 'x.safetensors'), { model })).rejects.toThrow(/cannot write .*ENOENT/);
    await expect(rk.io.saveTensors(folder, { w: rk.ones([1]) })).rejects.toThrow(/^io\.saveTensors: cannot write/);

    expect(await tempFiles()).toEqual([]);
    const fresh = new rk.nn.LSTM({ inputSize: 2, hiddenSize: 3 });
    const loaded = await rk.io.load(path, { model: fresh });
    expect(loaded.metadata).toEqual({ step: 1 });
    expect(params(fresh)).toEqual(params(model));
  });

  it('a save that succeeds replaces the old file whole', async () => {
    const path = join(dir, 'replace.safetensors');
    await rk.io.saveTensors(path, { a: rk.tensor(uniform(1000, 1)) });
    await rk.io.saveTensors(pathToFileURL(path), { b: rk.tensor([1, 2], { dtype: 'int32' }) });
    // Any object with a URL's href and protocol is a file: URL (the public type is structural).
    const { tensors, metadata } = await rk.io.loadTensors({ href: pathToFileURL(path).href, protocol: 'file:' });
    expect(Object.keys(tensors)).toEqual(['b']);
    expect(metadata).toEqual({});
    expect(read(tensors.b!)).toEqual([1, 2]);
    expect((await readFile(path)).length).toBe(8 + 56 + 8);
    expect(await tempFiles()).toEqual([]);
  });
});
