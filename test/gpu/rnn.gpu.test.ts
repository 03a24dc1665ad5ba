// The recurrent layers on CUDA (cuDNN's fused RNN): every case of test/fixtures/rnn.json (PyTorch)
// on the GPU in fp32 (TF32 off) to 1e-5 / 1e-4, the tf32 / fp16 / bf16 precisions against the
// float32 CPU backend with looser stated bounds, unequal lengths in any order, seeded dropout
// between layers, and pinned coverage CPU-vs-GPU (every mode x direction x bias, projection, cell
// clipping with |c0| above the clip, both layouts). Skipped, with the reason printed, when no CUDA
// device works here (a failure with RNNKIT_REQUIRE_GPU=1).

// (vitest.config.ts sets CUBLAS_WORKSPACE_CONFIG, without which cuBLAS inside cuDNN's RNN is not
// repeatable: the dropout test compares two runs.)

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import type { RnnConfig, RnnPrecision } from '../../lib/binding.js';
import { expectClose, settledMemory, uniform } from '../helpers.js';
import { type Encoded, makeLayer, type RecurrentLayer, type RnnCase, rnnCases, values } from '../rnn-fixtures.js';
import { describeGpu, gpuDevice } from './helpers.js';

const gpu = rk.backends().find((b) => b.device === gpuDevice);

// ---- Running a layer ----------------------------------------------------------------------------

type Layer = RecurrentLayer;
type Device = 'cpu' | 'cuda';

interface Data {
  values: Float32Array;
  shape: number[];
}
/** One forward and backward: the inputs and the weights of the loss <output, wOut> + <h, wH> + <c, wC>. */
interface Inputs {
  x: Data;
  h0: Data | null;
  c0: Data | null;
  lengths: number[] | null;
  wOut: Data;
  wH: Data;
  wC: Data | null;
}
interface Results {
  output: Float32Array;
  h: Float32Array;
  c: Float32Array | null;
  /** 'x', 'h0', 'c0' and every parameter's name. */
  grads: Map<string, Float32Array>;
}

function run(layer: Layer, device: Device, inputs: Inputs): Results {
  const on = (d: Data, requiresGrad = false) => rk.tensor(d.values, { shape: d.shape, device, requiresGrad });
  const x = on(inputs.x, true);
  const h0 = inputs.h0 ? on(inputs.h0, true) : null;
  const c0 = inputs.c0 ? on(inputs.c0, true) : null;
  let results!: Omit<Results, 'grads'>;
  const loss = rk.tidy(() => {
    const { output, state } = layer.forward(x, {
      ...(inputs.lengths ? { lengths: inputs.lengths } : {}),
      ...(h0 ? { state: c0 ? { h: h0, c: c0 } : { h: h0 } } : {}),
    });
    expect(output.device).toBe(device === 'cuda' ? 'cuda:0' : 'cpu');
    results = { output: output.dataSync(), h: state.h.dataSync(), c: state.c ? state.c.dataSync() : null };
    let total = rk.add(rk.sum(rk.mul(output, on(inputs.wOut))), rk.sum(rk.mul(state.h, on(inputs.wH))));
    if (inputs.wC) total = rk.add(total, rk.sum(rk.mul(state.c!, on(inputs.wC))));
    return total;
  });
  loss.backward();
  const grads = new Map<string, Float32Array>([['x', x.grad!.dataSync()]]);
  if (h0) grads.set('h0', h0.grad!.dataSync());
  if (c0) grads.set('c0', c0.grad!.dataSync());
  for (const [name, p] of layer.namedParameters()) {
    grads.set(name, p.grad!.dataSync());
    p.grad!.dispose();
    p.grad = null;
  }
  for (const t of [x, h0, c0, loss]) {
    t?.grad?.dispose();
    t?.dispose();
  }
  return { ...results, grads };
}

interface Bounds {
  forward: number;
  grad: number;
  /** Also allowed: rtol * |want| (0: the bounds are absolute). */
  rtol: number;
}
/** |got - want| <= bound + rtol * |want| for every element. */
function expectResults(got: Results, want: Results, bounds: Bounds): void {
  const check = (what: string, a: Float32Array, b: Float32Array, bound: number) => {
    try {
      expectClose(a, b, bound, bounds.rtol);
    } catch (err) {
      throw new Error(`${what}: ${(err as Error).message}`, { cause: err });
    }
  };
  check('output', got.output, want.output, bounds.forward);
  check('h', got.h, want.h, bounds.forward);
  expect(got.c === null).toBe(want.c === null);
  if (want.c) check('c', got.c!, want.c, bounds.forward);
  expect([...got.grads.keys()]).toEqual([...want.grads.keys()]);
  for (const [name, g] of want.grads) check(`gradient of ${name}`, got.grads.get(name)!, g, bounds.grad);
}

/** The fixture's inputs and PyTorch's results. */
function fixtureInputs(fx: RnnCase): { inputs: Inputs; expected: Results } {
  const data = (e: Encoded): Data => ({ values: values(e), shape: e.shape });
  const inputs: Inputs = {
    x: data(fx.x),
    h0: fx.h0 && data(fx.h0),
    c0: fx.c0 && data(fx.c0),
    lengths: fx.lengths,
    wOut: data(fx.wOut),
    wH: data(fx.wH),
    wC: fx.wC && data(fx.wC),
  };
  const grads = new Map<string, Float32Array>([['x', values(fx.grads.x!)]]);
  if (fx.h0) grads.set('h0', values(fx.grads.h0!));
  if (fx.c0) grads.set('c0', values(fx.grads.c0!));
  for (const name of Object.keys(fx.params)) grads.set(name, values(fx.grads[name]!));
  return { inputs, expected: { output: values(fx.output), h: values(fx.h), c: fx.c && values(fx.c), grads } };
}

/** Loads named float32 values (or another layer's parameters) into `layer`. */
function loadInto(layer: Layer, params: Record<string, Float32Array> | Layer): void {
  const state =
    params instanceof rk.nn.Module
      ? Object.fromEntries(params.namedParameters())
      : Object.fromEntries(
          layer.namedParameters().map(([name, p]) => [name, rk.tensor(params[name]!, { shape: [...p.shape], device: 'cpu' })]),
        );
  layer.loadStateDict(state);
  if (!(params instanceof rk.nn.Module)) for (const t of Object.values(state)) t.dispose();
}

// ---- Random problems ----------------------------------------------------------------------------

/** Deterministic random problem of `config`: inputs, states, lengths (null: all T). */
function randomInputs(
  config: RnnConfig,
  batch: number,
  time: number,
  seed: number,
  opts: { lengths: number[] | null; states: boolean; xScale?: number; c0Scale?: number },
): Inputs {
  const data = (shape: number[], s: number, scale = 1): Data => ({
    values: Float32Array.from(uniform(shape.reduce((a, b) => a * b, 1), s, -scale, scale)),
    shape,
  });
  const D = config.bidirectional ? 2 : 1;
  const hOut = config.projSize || config.hiddenSize;
  const S = config.numLayers * D;
  const seq = (c: number) => (config.batchFirst ? [batch, time, c] : [time, batch, c]);
  const lstm = config.mode === 'lstm';
  return {
    x: data(seq(config.inputSize), seed, opts.xScale ?? 1),
    h0: opts.states ? data([S, batch, hOut], seed + 1, 0.5) : null,
    c0: opts.states && lstm ? data([S, batch, config.hiddenSize], seed + 2, opts.c0Scale ?? 0.5) : null,
    lengths: opts.lengths,
    wOut: data(seq(D * hOut), seed + 3),
    wH: data([S, batch, hOut], seed + 4),
    wC: lstm ? data([S, batch, config.hiddenSize], seed + 5) : null,
  };
}

function config(partial: Partial<RnnConfig> & Pick<RnnConfig, 'mode' | 'inputSize' | 'hiddenSize'>): RnnConfig {
  return {
    projSize: 0,
    numLayers: 1,
    bidirectional: false,
    bias: true,
    batchFirst: true,
    dropout: 0,
    cellClip: 0,
    precision: 'fp32',
    ...partial,
  };
}

/** The same weights on the CPU (fp32) and on the GPU (`precision`), run on the same inputs. */
function cpuAndGpu(cfg: RnnConfig, inputs: Inputs, precision: RnnPrecision): { cpu: Results; gpu: Results } {
  rk.seed(3);
  const cpuLayer = makeLayer(cfg, 'fp32').to('cpu');
  const gpuLayer = makeLayer(cfg, precision).to('cuda');
  loadInto(gpuLayer, cpuLayer);
  return { cpu: run(cpuLayer, 'cpu', inputs), gpu: run(gpuLayer, 'cuda', inputs) };
}

const FP32: Bounds = { forward: 1e-5, grad: 1e-4, rtol: 0 };
/**
 * Against float32 on unit-scale problems: TF32 and fp16 keep 10 mantissa bits (~5e-4 per
 * rounding), bf16 keeps 7 (~4e-3); errors grow through the gates, the steps and the sums of the
 * weight gradients, hence these bounds (absolute, plus as much relative to larger values).
 */
const LOOSE: Record<Exclude<RnnPrecision, 'fp32'>, Bounds> = {
  tf32: { forward: 5e-3, grad: 2e-2, rtol: 2e-2 },
  fp16: { forward: 5e-3, grad: 2e-2, rtol: 2e-2 },
  bf16: { forward: 4e-2, grad: 1.5e-1, rtol: 5e-2 },
};

// ---- The suite ----------------------------------------------------------------------------------

describeGpu('recurrent layers on CUDA (cuDNN)', () => {
  let baseline: rk.MemoryInfo;
  beforeAll(async () => {
    baseline = await settledMemory();
  });

  describe('every PyTorch fixture in fp32 (TF32 off)', () => {
    for (const fx of rnnCases) {
      it(fx.name, () => {
        const layer = makeLayer(fx.config, 'fp32').to('cuda');
        expect(layer.namedParameters().map(([name]) => name)).toEqual(Object.keys(fx.params));
        loadInto(layer, Object.fromEntries(Object.entries(fx.params).map(([k, v]) => [k, values(v)])));
        const { inputs, expected } = fixtureInputs(fx);
        const got = run(layer, 'cuda', inputs);
        expect(got.output.length).toBe(expected.output.length);
        expectResults(got, expected, FP32);
      });
    }
  });

  describe('tf32, fp16 and bf16 against the float32 CPU backend', () => {
    const problems = [
      { name: '2-layer BiLSTM, unequal lengths, states', cfg: config({ mode: 'lstm', inputSize: 24, hiddenSize: 32, numLayers: 2, bidirectional: true }), lengths: [12, 5, 9, 1, 12, 7], states: true },
      { name: 'LSTM with projection, sequence-major', cfg: config({ mode: 'lstm', inputSize: 16, hiddenSize: 32, projSize: 8, batchFirst: false }), lengths: null, states: true },
      { name: '2-layer BiGRU', cfg: config({ mode: 'gru', inputSize: 16, hiddenSize: 24, numLayers: 2, bidirectional: true }), lengths: [3, 12, 8, 8, 2, 11], states: false },
      { name: 'tanh RNN', cfg: config({ mode: 'rnn_tanh', inputSize: 16, hiddenSize: 24 }), lengths: null, states: true },
    ];
    // cuDNN's RNN takes bfloat16 from 9.13 on; before, rnnkit refuses 'bf16' naming the alternatives.
    const [major = 0, minor = 0] = (gpu?.versions?.cudnn ?? '0').split('.').map(Number);
    const bf16Runs = major > 9 || (major === 9 && minor >= 13);
    if (!bf16Runs) {
      it(`bf16 with cuDNN ${gpu?.versions?.cudnn} (< 9.13) is a clear error naming fp16 and tf32`, () => {
        const p = problems[0]!;
        const layer = makeLayer(p.cfg, 'bf16').to('cuda');
        const inputs = randomInputs(p.cfg, 6, 12, 100, { lengths: p.lengths, states: p.states });
        expect(() => run(layer, 'cuda', inputs)).toThrow(/9\.13.*'fp16'.*'tf32'/);
      });
    }
    for (const precision of bf16Runs ? (['tf32', 'fp16', 'bf16'] as const) : (['tf32', 'fp16'] as const)) {
      for (const p of problems) {
        it(`${precision}: ${p.name}`, () => {
          const inputs = randomInputs(p.cfg, 6, 12, 100, { lengths: p.lengths, states: p.states });
          const { cpu, gpu: got } = cpuAndGpu(p.cfg, inputs, precision);
          expectResults(got, cpu, LOOSE[precision]);
        });
      }
    }
  });

  describe('variable lengths', () => {
    it('any order, outputs past each end exactly zero, final states at each own end', () => {
      const cfg = config({ mode: 'lstm', inputSize: 5, hiddenSize: 7, numLayers: 2, bidirectional: true });
      const lengths = [3, 9, 1, 7, 9, 2, 5, 8];
      const inputs = randomInputs(cfg, lengths.length, 9, 200, { lengths, states: true });
      const { cpu, gpu: got } = cpuAndGpu(cfg, inputs, 'fp32');
      expectResults(got, cpu, FP32);
      const channels = 2 * 7;
      const dx = got.grads.get('x')!;
      lengths.forEach((len, b) => {
        for (let t = len; t < 9; t++) {
          const at = (b * 9 + t) * channels;
          expect([...got.output.subarray(at, at + channels)]).toEqual(new Array(channels).fill(0));
          const xt = (b * 9 + t) * 5;
          expect([...dx.subarray(xt, xt + 5)]).toEqual([0, 0, 0, 0, 0]);
        }
      });
    });

    it('strided x and states (permuted views) give what their contiguous copies give', () => {
      const cfg = config({ mode: 'lstm', inputSize: 6, hiddenSize: 5, numLayers: 2, bidirectional: true });
      const [B, T, S, H] = [4, 7, 4, 5];
      const lengths = [7, 3, 5, 1];
      rk.seed(9);
      const layer = makeLayer(cfg, 'fp32').to('cuda');
      // Stored time-major / batch-major, read through permute: strides the cuDNN call must copy.
      const xStored = rk.tensor(Float32Array.from(uniform(T * B * 6, 21)), { shape: [T, B, 6], device: 'cuda' });
      const hStored = rk.tensor(Float32Array.from(uniform(B * S * H, 22, -0.5, 0.5)), { shape: [B, S, H], device: 'cuda' });
      const cStored = rk.tensor(Float32Array.from(uniform(B * S * H, 23, -0.5, 0.5)), { shape: [B, S, H], device: 'cuda' });
      const outputs = (strided: boolean) =>
        rk.tidy(() => {
          const view = (t: rk.Tensor<'float32'>, axes: number[]) => (strided ? rk.permute(t, axes) : rk.contiguous(rk.permute(t, axes)));
          const x = view(xStored, [1, 0, 2]);
          const { output, state } = layer.forward(x, { lengths, state: { h: view(hStored, [1, 0, 2]), c: view(cStored, [1, 0, 2]) } });
          rk.add(rk.sum(output), rk.sum(state.h)).backward();
          const grads = layer.namedParameters().map(([, p]) => {
            const g = p.grad!.dataSync();
            p.grad!.dispose();
            p.grad = null;
            return g;
          });
          return { output: output.dataSync(), h: state.h.dataSync(), c: state.c!.dataSync(), grads };
        });
      const strided = outputs(true);
      const copied = outputs(false);
      expectClose(strided.output, copied.output, 1e-6);
      expectClose(strided.h, copied.h, 1e-6);
      expectClose(strided.c, copied.c, 1e-6);
      strided.grads.forEach((g, i) => expectClose(g, copied.grads[i]!, 1e-6));
      for (const t of [xStored, hStored, cStored]) t.dispose();
    });

    it('a large batch (4096 sequences of lengths 1..16)', () => {
      const cfg = config({ mode: 'lstm', inputSize: 8, hiddenSize: 16, bidirectional: true });
      const lengths = Array.from({ length: 4096 }, (_, i) => 1 + ((i * 7) % 16));
      const inputs = randomInputs(cfg, 4096, 16, 300, { lengths, states: false });
      const { cpu, gpu: got } = cpuAndGpu(cfg, inputs, 'fp32');
      // Weight gradients sum over 4096 × 16 steps: float32 summation order differs between backends.
      expectResults(got, cpu, { forward: 1e-5, grad: 1e-3, rtol: 1e-4 });
    });

    it('more than 65,535 steps is a clear error, and the device stays usable', () => {
      const layer = makeLayer(config({ mode: 'gru', inputSize: 1, hiddenSize: 2 }), 'fp32').to('cuda');
      const x = rk.zeros([1, 65536, 1], { device: 'cuda' });
      expect(() => rk.tidy(() => layer.forward(x).output.dataSync())).toThrow(/65535/);
      x.dispose();
      const ok = rk.tidy(() => layer.forward(rk.zeros([1, 3, 1], { device: 'cuda' })).output.dataSync());
      expect(ok.length).toBe(6);
    });
  });

  describe('dropout between layers (cuDNN dropout, seeded per call)', () => {
    const cfg = config({ mode: 'lstm', inputSize: 8, hiddenSize: 16, numLayers: 3, dropout: 0.5 });
    const inputs = randomInputs(cfg, 4, 10, 400, { lengths: [10, 4, 7, 9], states: false });

    it('the same seed gives the same masks, outputs and gradients; another seed other masks', () => {
      const layer = makeLayer(cfg, 'fp32').to('cuda');
      const runSeeded = (s: number) => {
        rk.seed(s);
        return run(layer, 'cuda', inputs);
      };
      const a = runSeeded(11);
      const b = runSeeded(11);
      // Other masks would move values by ~0.1; 1e-6 leaves room only for summation order.
      expectResults(b, a, { forward: 1e-6, grad: 1e-6, rtol: 0 });
      const c = runSeeded(12);
      expect(c.output).not.toEqual(a.output);
      layer.eval();
      const evaluated = runSeeded(11);
      layer.train();
      expect(evaluated.output).not.toEqual(a.output);
    });

    it('eval mode (no dropout) equals the CPU backend', () => {
      rk.seed(5);
      const cpuLayer = makeLayer(cfg, 'fp32').to('cpu').eval();
      const gpuLayer = makeLayer(cfg, 'fp32').to('cuda').eval();
      loadInto(gpuLayer, cpuLayer);
      expectResults(run(gpuLayer, 'cuda', inputs), run(cpuLayer, 'cpu', inputs), FP32);
    });
  });

  // Pinned coverage (not seeds): every mode x direction x bias, LSTM projection, cell clipping,
  // unsorted unequal lengths, both layouts, with and without initial states, 1-3 layers.
  describe('every mode x direction x bias, CPU vs GPU in fp32', () => {
    const modes = ['rnn_tanh', 'rnn_relu', 'lstm', 'gru'] as const;
    let i = 0;
    for (const mode of modes) {
      for (const bidirectional of [false, true]) {
        for (const bias of [true, false]) {
          const cfg = config({ mode, inputSize: 7, hiddenSize: 9, numLayers: 1 + (i % 3), bidirectional, bias, batchFirst: i % 2 === 0 });
          const lengths = i % 4 < 2 ? [5, 1, 7, 3, 7] : null;
          const states = i % 3 !== 1;
          const seed = 500 + i++;
          it(`${mode} ${bidirectional ? 'bidirectional' : 'unidirectional'} ${bias ? 'bias' : 'no bias'}: ${cfg.numLayers} layers, ${cfg.batchFirst ? 'batch' : 'sequence'}-major, ${lengths ? 'unsorted lengths' : 'equal lengths'}, ${states ? 'initial states' : 'zero states'}`, () => {
            const inputs = randomInputs(cfg, 5, 7, seed, { lengths, states });
            const { cpu, gpu: got } = cpuAndGpu(cfg, inputs, 'fp32');
            expectResults(got, cpu, FP32);
          });
        }
      }
    }
  });

  describe('LSTM projection (projSize), CPU vs GPU in fp32', () => {
    for (const [k, bidirectional, lengths, batchFirst] of [
      [0, false, null, true],
      [1, true, [6, 2, 4, 6], true],
      [2, true, null, false],
      [3, false, [1, 6, 3, 5], false],
    ] as const) {
      const cfg = config({ mode: 'lstm', inputSize: 6, hiddenSize: 10, projSize: 4, numLayers: 2, bidirectional, batchFirst });
      it(`projection #${k}: ${bidirectional ? 'bidirectional' : 'unidirectional'}, ${batchFirst ? 'batch' : 'sequence'}-major, ${lengths ? 'unsorted lengths' : 'equal lengths'}`, () => {
        const inputs = randomInputs(cfg, 4, 6, 600 + k, { lengths: lengths ? [...lengths] : null, states: k % 2 === 0 });
        const { cpu, gpu: got } = cpuAndGpu(cfg, inputs, 'fp32');
        expectResults(got, cpu, FP32);
      });
    }
  });

  // cuDNN clips the cell state where it reads it (c0 too) and inside tanh, and returns the
  // unclipped c; the CPU backend computes the same function (native/cpu/lstm_clip_cell.h). Each
  // case has |c0| above the clip and inputs large enough for the clip to bite during the sequence,
  // and checks that it did (else an implementation that ignores the clip would pass).
  describe('LSTM cell clipping (cellClip) with |c0| above the clip, CPU vs GPU in fp32', () => {
    const clip = 0.5;
    for (const [k, cfg, lengths] of [
      [0, config({ mode: 'lstm', inputSize: 5, hiddenSize: 6, cellClip: clip }), null],
      [1, config({ mode: 'lstm', inputSize: 5, hiddenSize: 6, cellClip: clip, numLayers: 2, bidirectional: true, batchFirst: false }), [4, 8, 1, 6]],
      [2, config({ mode: 'lstm', inputSize: 5, hiddenSize: 8, projSize: 3, cellClip: clip, numLayers: 2, bidirectional: true }), [8, 3, 6, 2]],
    ] as const) {
      it(`cell clipping #${k}: ${cfg.numLayers} layers, ${cfg.bidirectional ? 'bidirectional' : 'unidirectional'}${cfg.projSize ? ', projection' : ''}${lengths ? ', unsorted lengths' : ''}`, () => {
        const inputs = randomInputs(cfg, 4, 8, 700 + k, { lengths: lengths ? [...lengths] : null, states: true, xScale: 3, c0Scale: 2 });
        expect(inputs.c0!.values.some((v) => Math.abs(v) > clip)).toBe(true);
        const { cpu, gpu: got } = cpuAndGpu(cfg, inputs, 'fp32');
        // The returned c is the unclipped state: some of it lies beyond the clip.
        expect(cpu.c!.some((v) => Math.abs(v) > clip)).toBe(true);
        expectResults(got, cpu, FP32);
      });
    }
  });

  it('cuDNN maps only the sub-libraries the RNN needs (the loader preloads libcudnn.so.9 alone)', async () => {
    // After the forwards and backwards above: cuDNN loaded what it needed itself (graph, ops, adv
    // were expected), not all ten of its libraries (about 960 MB) as the loader once preloaded.
    const { readFileSync } = await import('node:fs');
    const mapped = [...new Set(readFileSync('/proc/self/maps', 'utf8').match(/libcudnn[a-z_]*\.so\.\d+/g) ?? [])].sort();
    console.log(`cuDNN libraries mapped after the RNN suite: ${mapped.join(', ')}`);
    expect(mapped).toContain('libcudnn_adv.so.9');
    expect(mapped.length).toBeLessThan(10);
  });

  afterAll(async () => {
    // Layers were dropped, not disposed: once collected, nothing of theirs (reserves included) remains.
    expect(await settledMemory()).toEqual(baseline);
  });
});
