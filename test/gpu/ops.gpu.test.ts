// Every op on CUDA against the CPU backend: the same inputs on both devices, forward values and
// gradients through autograd compared with the tolerances stated per group; optimizers, clipping,
// moving models between devices, fit(), checkpoints, loss scaling and profiling on the GPU.
// Skipped, with the reason printed, where no CUDA device works.
//
// Tolerances (float32 on both sides; fp32 math with TF32 off on the GPU):
//   elementwise, gather, concat, dropout, copies:     exact or ≤ 1e-6 abs + 1e-6 rel (CUDA's libm)
//   reductions, softmax, cross-entropy, mse, matmul: ≤ 1e-5 abs + 1e-5 rel (summation order)
//   optimizers after 5 steps:                         ≤ 1e-6 abs + 1e-5 rel
//   a BiLSTM classifier's training step:              logits/loss ≤ 1e-5, gradients ≤ 1e-4 abs

import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { expectClose, settledMemory, uniform } from '../helpers.js';
import { cuda, describeGpu } from './helpers.js';

type Float = rk.Tensor<'float32'>;

const EXACT = { atol: 0, rtol: 0 };
const ELEMENTWISE = { atol: 1e-6, rtol: 1e-6 };
const SUMMED = { atol: 1e-5, rtol: 1e-5 };

interface Tol {
  atol: number;
  rtol: number;
}

interface Leaf {
  shape: number[];
  values: number[];
}

const leaf = (shape: number[], seed: number, lo = -1, hi = 1): Leaf => ({
  shape,
  values: uniform(shape.reduce((a, b) => a * b, 1), seed, lo, hi),
});

/**
 * Builds float32 leaves on `device`, applies fn, and returns the output followed by each leaf's
 * gradient of sum(output * w) for a fixed random w (so every output element's path is checked).
 */
function forwardBackward(device: rk.Device, leaves: Leaf[], fn: (...xs: Float[]) => Float): number[][] {
  return rk.tidy(() => {
    const xs = leaves.map((l) => rk.tensor(l.values, { shape: l.shape, device, requiresGrad: true }));
    const out = fn(...xs);
    const w = rk.tensor(uniform(out.size, 77), { shape: [...out.shape], device });
    rk.sum(rk.mul(out, w)).backward();
    const result = [out, ...xs.map((x) => x.grad ?? rk.zeros(x.shape, { device }))].map((t) => Array.from(t.dataSync()));
    for (const x of xs) x.grad?.dispose();
    return result;
  });
}

/** fn's output and leaf gradients on the GPU equal the CPU's within tol. */
function sameAsCpu(label: string, leaves: Leaf[], fn: (...xs: Float[]) => Float, tol: Tol): void {
  const want = forwardBackward('cpu', leaves, fn);
  const got = forwardBackward(cuda(), leaves, fn);
  expect(got.length).toBe(want.length);
  got.forEach((values, i) => {
    try {
      expectClose(values, want[i]!, tol.atol, tol.rtol);
    } catch (err) {
      throw new Error(`${label}: ${i === 0 ? 'output' : `gradient of input ${i - 1}`}: ${(err as Error).message}`, { cause: err });
    }
  });
}

/** Values of tensors built by fn on each device (no gradients). */
function valuesOn(device: rk.Device, fn: (device: rk.Device) => rk.Tensor[]): number[][] {
  return rk.tidy(() => fn(device).map((t) => Array.from(t.dataSync())));
}

function sameValues(label: string, fn: (device: rk.Device) => rk.Tensor[], tol: Tol): void {
  const want = valuesOn('cpu', fn);
  const got = valuesOn(cuda(), fn);
  got.forEach((values, i) => {
    try {
      expectClose(values, want[i]!, tol.atol, tol.rtol);
    } catch (err) {
      throw new Error(`${label}: result ${i}: ${(err as Error).message}`, { cause: err });
    }
  });
}

describeGpu('CUDA ops against the CPU backend', () => {
  // With a GPU the default device is the GPU; the tests create on the CPU unless they say where.
  const initialDefault = rk.defaultDevice();
  beforeAll(() => rk.setDefaultDevice('cpu'));
  afterAll(() => rk.setDefaultDevice(initialDefault));

  it('backends() describes the GPU; the default device is the first GPU', () => {
    const entry = rk.backends().find((b) => b.device === cuda())!;
    expect(entry.available).toBe(true);
    expect(entry.gpu!.name.length).toBeGreaterThan(0);
    expect(entry.gpu!.computeCapability).toMatch(/^\d+\.\d+$/);
    // Free memory is null until rnnkit uses the device (memory() lists it), then below the total.
    expect(entry.gpu!.freeMemory === null ? entry.device in rk.memory().byDevice : entry.gpu!.freeMemory >= entry.gpu!.totalMemory).toBe(false);
    expect(entry.gpu!.multiprocessors).toBeGreaterThan(0);
    for (const v of Object.values(entry.versions!)) expect(v).toMatch(/\d/);
    // The first GPU, unless RNNKIT_DEVICE pins the default (e.g. 'cpu' for the CPU suites).
    const pinned = process.env.RNNKIT_DEVICE;
    expect(initialDefault).toBe(pinned === undefined || pinned === 'cuda' ? 'cuda:0' : pinned);
    const t = rk.tensor([1], { device: 'cuda' });
    expect(t.device).toBe('cuda:0');
    t.dispose();
  });

  it('layers built on the GPU get the same seeded weights as on the CPU, under the same names', () => {
    const build = (device: rk.Device) => {
      rk.setDefaultDevice(device);
      rk.seed(8);
      const model = new rk.nn.SequenceClassifier({ vocabSize: 11, numClasses: 3, embeddingDim: 6, hiddenSize: 5, numLayers: 2, cell: 'gru' });
      rk.setDefaultDevice('cpu');
      return model.namedParameters().map(([name, p]) => [name, p.device, Array.from(p.dataSync())] as const);
    };
    const want = build('cpu');
    const got = build(cuda());
    expect(got.map(([name, device]) => [name, device])).toEqual(want.map(([name]) => [name, cuda()]));
    got.forEach(([, , values], i) => expect(values).toEqual(want[i]![2]));
  });

  it('copies between devices are exact both ways, and Tensor.to is differentiable', () => {
    const values = uniform(2 * 3 * 5, 1, -1e3, 1e3);
    const host = rk.tensor(values, { shape: [2, 3, 5], device: 'cpu' });
    const onGpu = host.to(cuda());
    expect(onGpu.device).toBe(cuda());
    expect(Array.from(onGpu.dataSync())).toEqual(Array.from(host.dataSync()));
    // A strided view (transpose) arrives contiguous, in row-major order of the view.
    const t = host.transpose(0, 2).to(cuda());
    expect(Array.from(t.to('cpu').dataSync())).toEqual(Array.from(host.transpose(0, 2).contiguous().dataSync()));
    const ints = rk.tensor(Int32Array.of(1, -2, 2147483647), { device: 'cpu' }).to(cuda());
    expect([ints.dtype, ...ints.dataSync()]).toEqual(['int32', 1, -2, 2147483647]);
    sameAsCpu('to and back', [leaf([4, 3], 2)], (x) => rk.mul(x.to('cpu').to(cuda()), 3).to(x.device), EXACT);
    for (const x of [host, onGpu, t, ints]) x.dispose();
  });

  it('binary ops with broadcasting, forward and backward', () => {
    const shapes: [number[], number[]][] = [
      [[2, 3, 4], [2, 3, 4]],
      [[2, 3, 4], [3, 1]],
      [[2, 3, 4], [4]],
      [[1, 3, 1], [2, 1, 4]],
      [[5], []],
    ];
    shapes.forEach(([sa, sb], k) => {
      const a = leaf(sa, 10 + k);
      const b = leaf(sb, 20 + k, 0.5, 2); // away from 0 for div
      sameAsCpu(`add ${k}`, [a, b], (x, y) => rk.add(x, y), ELEMENTWISE);
      sameAsCpu(`sub ${k}`, [a, b], (x, y) => rk.sub(x, y), ELEMENTWISE);
      sameAsCpu(`mul ${k}`, [a, b], (x, y) => rk.mul(x, y), SUMMED);
      sameAsCpu(`div ${k}`, [a, b], (x, y) => rk.div(x, y), SUMMED);
    });
    sameAsCpu('scalar operands', [leaf([3, 4], 3)], (x) => rk.sub(rk.div(rk.mul(rk.add(x, 2), -3), 0.5), 1), ELEMENTWISE);
    sameValues('int32 binary', (device) => {
      const a = rk.tensor(Int32Array.of(1, -7, 30, 4), { shape: [2, 2], device });
      const b = rk.tensor(Int32Array.of(3, -2), { device });
      return [rk.add(a, b), rk.sub(a, b), rk.mul(a, b)];
    }, EXACT);
  });

  it('unary ops, forward and backward', () => {
    const x = leaf([3, 7], 4, -3, 3);
    sameAsCpu('neg', [x], (t) => rk.neg(t), EXACT);
    sameAsCpu('relu', [x], (t) => rk.relu(t), EXACT);
    sameAsCpu('tanh', [x], (t) => rk.tanh(t), ELEMENTWISE);
    sameAsCpu('sigmoid', [x], (t) => rk.sigmoid(t), ELEMENTWISE);
    sameAsCpu('exp', [x], (t) => rk.exp(t), ELEMENTWISE);
    sameAsCpu('log', [leaf([3, 7], 5, 0.01, 5)], (t) => rk.log(t), ELEMENTWISE);
    const special = (device: rk.Device): rk.Tensor[] => {
      const t = rk.tensor([0, Infinity, -Infinity, NaN], { device });
      return [rk.tanh(t), rk.sigmoid(t), rk.exp(t), rk.relu(t), rk.neg(t)];
    };
    expect(valuesOn(cuda(), special)).toEqual(valuesOn('cpu', special)); // inf, NaN and exact values
    sameValues('extreme values', (device) => {
      const t = rk.tensor([88, -88, -104, 1e-30, 20, -20], { device });
      return [rk.tanh(t), rk.sigmoid(t), rk.exp(t)];
    }, ELEMENTWISE);
  });

  it('reductions (sum, mean, max) over all, one and several axes, keepDims, forward and backward', () => {
    const x = leaf([3, 4, 5], 6);
    const axesList: (number[] | undefined)[] = [undefined, [0], [1], [2], [0, 2], [-1, 0]];
    for (const axes of axesList) {
      for (const keepDims of [false, true]) {
        const label = `${JSON.stringify(axes)} keepDims ${keepDims}`;
        sameAsCpu(`sum ${label}`, [x], (t) => rk.sum(t, axes, { keepDims }), SUMMED);
        sameAsCpu(`mean ${label}`, [x], (t) => rk.mean(t, axes, { keepDims }), SUMMED);
        sameAsCpu(`max ${label}`, [x], (t) => rk.max(t, axes, { keepDims }), EXACT);
      }
    }
    // Ties go to the first maximal element; NaN wins; int32 max and sum.
    sameAsCpu('max ties', [{ shape: [2, 3], values: [1, 3, 3, 2, 2, 2] }], (t) => rk.max(t, 1), EXACT);
    sameValues('max NaN and int32', (device) => {
      const f = rk.tensor([1, NaN, 3, -1, -2, -3], { shape: [2, 3], device });
      const i = rk.tensor(Int32Array.of(5, -9, 7, 2), { shape: [2, 2], device });
      return [rk.max(f, 1), rk.max(i, 0), rk.sum(i, 1)];
    }, EXACT);
    // A long row: the summation order differs, the result must not drift.
    sameAsCpu('sum of 100000', [leaf([100000], 7)], (t) => rk.sum(t), { atol: 1e-3, rtol: 1e-5 });
  });

  it('softmax and logSoftmax on the last and a middle axis, forward and backward', () => {
    const x = leaf([2, 5, 7], 8, -6, 6);
    for (const axis of [-1, 1, 0]) {
      sameAsCpu(`softmax axis ${axis}`, [x], (t) => rk.softmax(t, axis), SUMMED);
      sameAsCpu(`logSoftmax axis ${axis}`, [x], (t) => rk.logSoftmax(t, axis), SUMMED);
    }
    sameAsCpu('softmax of large logits', [leaf([3, 1000], 9, -80, 80)], (t) => rk.logSoftmax(t), SUMMED);
  });

  it('matmul: 2-D, batched, broadcast batch and transposed operands, forward and backward', () => {
    const cases: [number[], number[]][] = [
      [[4, 6], [6, 3]],
      [[3, 4, 5], [3, 5, 2]],
      [[2, 1, 4, 5], [3, 5, 6]],
      [[7, 33], [33, 65]],
      [[1, 1], [1, 1]],
    ];
    cases.forEach(([sa, sb], k) => sameAsCpu(`matmul ${k}`, [leaf(sa, 30 + k), leaf(sb, 40 + k)], (a, b) => rk.matmul(a, b), SUMMED));
    sameAsCpu('matmul of transposed views', [leaf([6, 4], 50), leaf([3, 6], 51)], (a, b) => rk.matmul(a.transpose(), b.transpose()), SUMMED);
    sameAsCpu('nn.Linear-like', [leaf([2, 5, 8], 52), leaf([3, 8], 53), leaf([3], 54)], (x, w, b) => rk.add(rk.matmul(x, w.transpose()), b), SUMMED);
  });

  it('concat, slice, narrow, permute, reshape and contiguous, forward and backward', () => {
    const a = leaf([2, 3, 4], 60);
    const b = leaf([2, 1, 4], 61);
    sameAsCpu('concat axis 1', [a, b], (x, y) => rk.concat([x, y], 1), EXACT);
    sameAsCpu('concat axis 0', [a, a], (x, y) => rk.concat([x, y], 0), EXACT);
    sameAsCpu('slice', [a], (x) => x.slice([1, 1, 0], [1, 2, -1]), EXACT);
    sameAsCpu('narrow', [a], (x) => x.narrow(2, 1, 2), EXACT);
    sameAsCpu('permute + contiguous', [a], (x) => x.permute([2, 0, 1]).contiguous(), EXACT);
    sameAsCpu('reshape of a strided view', [a], (x) => x.transpose(0, 2).reshape([4, 6]), EXACT);
  });

  it('gather and nn.Embedding: repeated indices accumulate, paddingIdx gets no gradient', () => {
    const table = leaf([6, 4], 70);
    const ids = [0, 5, 2, 2, 5, 5, 1, 3];
    for (const paddingIdx of [undefined, 5]) {
      const grads = (device: rk.Device): number[][] =>
        rk.tidy(() => {
          const emb = new rk.nn.Embedding(6, 4, paddingIdx === undefined ? {} : { paddingIdx }).to(device);
          // loadStateDict copies from the CPU tensor into the parameter on its device.
          emb.loadStateDict({ weight: rk.tensor(table.values, { shape: table.shape, device: 'cpu' }) });
          const out = emb.forward(rk.tensor(Int32Array.from(ids), { shape: [2, 4], device }));
          const w = rk.tensor(uniform(out.size, 71), { shape: [...out.shape], device });
          rk.sum(rk.mul(out, w)).backward();
          const result = [out, emb.weight.grad!].map((t) => Array.from(t.dataSync()));
          emb.weight.grad!.dispose();
          emb.weight.dispose();
          return result;
        });
      const want = grads('cpu');
      const got = grads(cuda());
      expectClose(got[0]!, want[0]!, 0);
      expectClose(got[1]!, want[1]!, 1e-6, 1e-6);
      if (paddingIdx !== undefined) expect(got[1]!.slice(20, 24)).toEqual([0, 0, 0, 0]);
    }
    sameAsCpu('gather of rows of a 3-D table', [leaf([5, 2, 3], 72)], (t) => rk.gather(t, rk.tensor(Int32Array.of(4, 0, 4), { device: t.device })), ELEMENTWISE);
  });

  it('a bad index on the GPU is an IndexError at the next read, with the CPU\'s message, and the device stays usable', async () => {
    // GPU indices are checked on the device (no stream sync in the op): the op returns, the read rejects.
    const table = rk.tensor(uniform(10 * 3, 73), { shape: [10, 3], device: cuda() });
    const cases = [
      { what: 'gather', make: () => rk.gather(table, rk.tensor(Int32Array.of(1, 12, 3), { device: cuda() })), message: /indices\[1\] = 12 is out of range \[0, 10\)/ },
      {
        what: 'crossEntropy targets',
        make: () => rk.crossEntropy(rk.tensor(uniform(2 * 4 * 5, 74), { shape: [2, 4, 5], device: cuda() }), rk.tensor(Int32Array.of(0, 1, 2, 3, 4, 9, 0, 0), { shape: [2, 4], device: cuda() }), { lengths: [4, 2] }),
        message: /targets\[1, 1\] = 9 is out of range \[0, 5\)/,
      },
    ];
    for (const c of cases) {
      const out = c.make();
      await expect(out.data(), c.what).rejects.toThrow(rk.IndexError);
      out.dispose();
      const again = c.make();
      await expect(again.data(), c.what).rejects.toThrow(c.message);
      again.dispose();
      // The stream is not left poisoned: the next op reads back fine.
      const ok = rk.gather(table, rk.tensor(Int32Array.of(9, 0), { device: cuda() }));
      const rows = Array.from(table.dataSync());
      expect(Array.from(await ok.data()), c.what).toEqual([...rows.slice(27, 30), ...rows.slice(0, 3)]);
      ok.dispose();
    }
    table.dispose();
  });

  it('dropout: for one seed the GPU drops exactly the elements the CPU drops; backward uses the same mask', () => {
    const x = leaf([4, 33, 17], 80);
    for (const p of [0.1, 0.5, 0.9]) {
      const run = (device: rk.Device): number[][] => {
        rk.seed(1234);
        return forwardBackward(device, [x], (t) => rk.dropout(t, p));
      };
      const [want, got] = [run('cpu'), run(cuda())];
      expect(got[0]).toEqual(want[0]);
      expect(got[1]).toEqual(want[1]);
      const dropped = want[0]!.filter((v) => v === 0).length / want[0]!.length;
      expect(Math.abs(dropped - p)).toBeLessThan(0.05);
    }
  });

  it('crossEntropy with ignoreIndex, every reduction, label smoothing and lengths, forward and backward', () => {
    const logits = leaf([3, 4, 5], 90, -4, 4);
    const targets = [0, 4, 2, 1, 3, -100, 0, 4, 2, 2, 1, -100];
    const options: rk.CrossEntropyOptions[] = [
      {},
      { reduction: 'sum' },
      { reduction: 'none' },
      { ignoreIndex: 2 },
      { labelSmoothing: 0.1 },
      { labelSmoothing: 0.2, reduction: 'none' },
    ];
    for (const o of options) {
      const tgt = targets.map((t) => (t === -100 && o.ignoreIndex !== undefined ? 0 : t));
      sameAsCpu(`crossEntropy ${JSON.stringify(o)}`, [logits], (l) => rk.crossEntropy(l, rk.tensor(Int32Array.from(tgt), { shape: [3, 4], device: l.device }), o), SUMMED);
    }
    // Lengths: targets past each sequence's end may hold anything.
    const junk = [0, 4, 2, 1, 3, 77, -5, 99, 2, 2, 1000, -1];
    sameAsCpu('crossEntropy lengths', [logits], (l) =>
      rk.crossEntropy(l, rk.tensor(Int32Array.from(junk), { shape: [3, 4], device: l.device }), { lengths: [4, 1, 2], labelSmoothing: 0.05 }), SUMMED);
    // A target out of range is an IndexError on the GPU too, and the device stays usable.
    expect(() =>
      rk.tidy(() => rk.crossEntropy(rk.zeros([2, 3], { device: cuda() }), rk.tensor(Int32Array.of(0, 3), { device: cuda() })).dataSync()),
    ).toThrow(rk.IndexError);
    expect(rk.tidy(() => rk.add(rk.ones([2], { device: cuda() }), 1).dataSync()[0])).toBe(2);
  });

  it('mse with every reduction, forward and backward', () => {
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      sameAsCpu(`mse ${reduction}`, [leaf([4, 6], 100), leaf([4, 6], 101)], (a, b) => rk.mse(a, b, { reduction }), SUMMED);
    }
  });

  it('every optimizer: 5 steps from the same weights and gradients give the same weights and state', () => {
    const configs: [string, (params: Float[]) => rk.optim.Optimizer][] = [
      ['SGD', (p) => new rk.optim.SGD(p, { lr: 0.1 })],
      ['SGD momentum nesterov wd', (p) => new rk.optim.SGD(p, { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01 })],
      ['SGD momentum dampening', (p) => new rk.optim.SGD(p, { lr: 0.05, momentum: 0.5, dampening: 0.2 })],
      ['Adam', (p) => new rk.optim.Adam(p, { lr: 0.01, weightDecay: 0.1 })],
      ['Adam maximize', (p) => new rk.optim.Adam(p, { lr: 0.01, betas: [0.8, 0.99], maximize: true })],
      ['AdamW', (p) => new rk.optim.AdamW(p, { lr: 0.01, weightDecay: 0.05 })],
      ['RMSprop', (p) => new rk.optim.RMSprop(p, { lr: 0.01 })],
      ['RMSprop centered momentum', (p) => new rk.optim.RMSprop(p, { lr: 0.01, centered: true, momentum: 0.9, weightDecay: 0.01 })],
      ['Adagrad', (p) => new rk.optim.Adagrad(p, { lr: 0.1, lrDecay: 0.01, initialAccumulatorValue: 0.1 })],
    ];
    const shapes = [[5, 3], [7], [2, 2, 2]];
    for (const [name, make] of configs) {
      const run = (device: rk.Device): number[][] => {
        const params = shapes.map((s, i) => rk.keep(rk.tensor(uniform(s.reduce((a, b) => a * b), 110 + i), { shape: s, device, requiresGrad: true })));
        const opt = make(params);
        for (let step = 0; step < 5; step++) {
          params.forEach((p, i) => {
            p.grad?.dispose();
            p.grad = rk.keep(rk.tensor(uniform(p.size, 1000 * step + i), { shape: [...p.shape], device }));
          });
          opt.step();
        }
        const state = rk.tidy(() => Object.entries(opt.stateDict().state).sort(([a], [b]) => a.localeCompare(b)).map(([, t]) => Array.from(t.dataSync())));
        const result = [...params.map((p) => Array.from(p.dataSync())), ...state];
        opt.dispose();
        params.forEach((p) => {
          p.grad?.dispose();
          p.dispose();
        });
        return result;
      };
      const want = run('cpu');
      const got = run(cuda());
      expect(got.length).toBe(want.length);
      got.forEach((v, i) => {
        try {
          expectClose(v, want[i]!, 1e-6, 1e-5);
        } catch (err) {
          throw new Error(`${name}: tensor ${i}: ${(err as Error).message}`, { cause: err });
        }
      });
    }
  });

  it('clipGradNorm (2, 1, inf) returns the same norm on the device and scales the same; clipGradValue clamps the same', () => {
    for (const [maxNorm, normType] of [[0.5, 2], [0.5, 1], [0.1, Infinity], [Infinity, 2], [100, 2]] as const) {
      sameValues(`clipGradNorm ${maxNorm} ${normType}`, (device) => {
        const params = [[4, 5], [9], [3, 3, 3]].map((s, i) => {
          const p = rk.zeros(s, { device, requiresGrad: true });
          p.grad = rk.tensor(uniform(p.size, 120 + i, -2, 2), { shape: s, device });
          return p;
        });
        const norm = rk.optim.clipGradNorm(params, maxNorm, normType);
        expect(norm.device).toBe(device);
        return [norm, ...params.map((p) => p.grad!)];
      }, SUMMED);
    }
    sameValues('clipGradValue', (device) => {
      const p = rk.zeros([20], { device, requiresGrad: true });
      p.grad = rk.tensor([...uniform(19, 130, -3, 3), NaN], { device });
      rk.optim.clipGradValue(p, 1.5);
      return [p.grad];
    }, EXACT);
  });

  it('a BiLSTM classifier: one training step (forward, cross-entropy, backward, clipping, Adam) matches the CPU', () => {
    const batch = 4;
    const time = 7;
    const ids = Int32Array.from(uniform(batch * time, 140, 1, 50), Math.floor);
    const lengths = Int32Array.of(7, 3, 5, 1);
    const targets = Int32Array.of(0, 2, 1, 2);
    const step = (device: rk.Device) => {
      rk.seed(99);
      const model = new rk.nn.SequenceClassifier({ vocabSize: 50, numClasses: 3, embeddingDim: 16, hiddenSize: 24, numLayers: 2, pooling: 'mean' });
      model.to(device);
      const opt = new rk.optim.Adam(model.parameters(), { lr: 0.01 });
      const result = rk.tidy(() => {
        const logits = model.forward(rk.tensor(ids, { shape: [batch, time], device }), { lengths });
        const loss = rk.crossEntropy(logits, rk.tensor(targets, { device }));
        loss.backward();
        const norm = rk.optim.clipGradNorm(model.parameters(), 0.5);
        const grads = model.namedParameters().map(([name, p]) => [name, Array.from(p.grad!.dataSync())] as const);
        opt.step();
        const after = model.namedParameters().map(([name, p]) => [name, Array.from(p.dataSync())] as const);
        return { logits: Array.from(logits.dataSync()), loss: loss.item(), norm: norm.item(), grads, after };
      });
      opt.dispose();
      return result;
    };
    const want = step('cpu');
    const got = step(cuda());
    expectClose(got.logits, want.logits, 1e-5, 1e-5);
    expectClose([got.loss, got.norm], [want.loss, want.norm], 1e-5, 1e-5);
    got.grads.forEach(([name, g], i) => {
      expect(name).toBe(want.grads[i]![0]);
      try {
        expectClose(g, want.grads[i]![1], 1e-4);
      } catch (err) {
        throw new Error(`gradient of ${name}: ${(err as Error).message}`, { cause: err });
      }
    });
    got.after.forEach(([name, p], i) => {
      try {
        expectClose(p, want.after[i]![1], 1e-5);
      } catch (err) {
        throw new Error(`${name} after the step: ${(err as Error).message}`, { cause: err });
      }
    });
  });

  it('Module.to moves parameters by name into the device layout and back exactly, keeping identity; an optimizer follows', () => {
    rk.seed(7);
    const model = new rk.nn.LSTM({ inputSize: 5, hiddenSize: 6, numLayers: 2, bidirectional: true, projSize: 3 });
    const params = model.parameters();
    const before = model.namedParameters().map(([name, p]) => [name, Array.from(p.dataSync())] as const);
    const opt = new rk.optim.Adam(params, { lr: 0.01 });
    const x = rk.tensor(uniform(2 * 4 * 5, 150), { shape: [2, 4, 5] });
    const train = (): void =>
      rk.tidy(() => {
        const input = x.to(model.parameters()[0]!.device);
        rk.sum(rk.mul(model.forward(input, { lengths: [4, 2] }).output, 0.1)).backward();
        opt.step();
        opt.zeroGrad();
      });
    train(); // optimizer state on the CPU
    const cpuAfterOne = model.namedParameters().map(([, p]) => Array.from(p.dataSync()));

    model.to(cuda());
    expect(model.parameters().every((p, i) => p === params[i] && p.device === cuda())).toBe(true);
    model.namedParameters().forEach(([name, p], i) => {
      expect(name).toBe(before[i]![0]);
      expect(Array.from(p.dataSync())).toEqual(cpuAfterOne[i]);
    });
    train(); // the Adam state moves to the GPU with its parameters
    model.to('cpu');
    expect(model.parameters().every((p, i) => p === params[i] && p.device === 'cpu')).toBe(true);

    // The same two steps on the CPU alone.
    rk.seed(7);
    const ref = new rk.nn.LSTM({ inputSize: 5, hiddenSize: 6, numLayers: 2, bidirectional: true, projSize: 3 });
    const refOpt = new rk.optim.Adam(ref.parameters(), { lr: 0.01 });
    for (let i = 0; i < 2; i++) {
      rk.tidy(() => {
        rk.sum(rk.mul(ref.forward(x, { lengths: [4, 2] }).output, 0.1)).backward();
        refOpt.step();
        refOpt.zeroGrad();
      });
    }
    model.namedParameters().forEach(([name, p], i) => {
      try {
        expectClose(p.dataSync(), ref.parameters()[i]!.dataSync(), 1e-5);
      } catch (err) {
        throw new Error(`${name}: ${(err as Error).message}`, { cause: err });
      }
    });
    opt.dispose();
    refOpt.dispose();
    [...params, ...ref.parameters(), x].forEach((t) => t.dispose());
  });

  it('mixing devices in one op is a DeviceError that names both', () => {
    const a = rk.ones([2], { device: 'cpu' });
    const b = rk.ones([2], { device: cuda() });
    expect(() => rk.add(a, b)).toThrow(`add: tensors on different devices: a on cpu, b on ${cuda()}`);
    expect(() => rk.matmul(a.reshape([1, 2]), b.reshape([2, 1]))).toThrow(rk.DeviceError);
    expect(() => rk.concat([a, b])).toThrow(/tensors\[0\] on cpu, tensors\[1\] on cuda:0/);
    const model = new rk.nn.GRU({ inputSize: 2, hiddenSize: 3 }).to(cuda());
    expect(() => model.forward(rk.zeros([1, 2, 2], { device: 'cpu' }))).toThrow(/gru.forward: tensors on different devices: x on cpu, .* on cuda:0/);
    model.parameters().forEach((p) => p.dispose());
    a.dispose();
    b.dispose();
  });

  it('fit() moves CPU batches to a GPU model and trains like the CPU; checkpoints load across devices', async () => {
    const examples = Array.from({ length: 32 }, (_, i) => ({ input: [1 + (i % 7), 2 + (i % 3), 5, 1 + (i % 2)], target: i % 2 }));
    const run = async (device: rk.Device) => {
      rk.seed(5);
      const model = new rk.nn.SequenceClassifier({ vocabSize: 10, numClasses: 2, embeddingDim: 8, hiddenSize: 8 }).to(device);
      const optimizer = new rk.optim.Adam(model.parameters(), { lr: 0.02 });
      const data = new rk.train.SequenceDataset(examples, { batchSize: 8, seed: 1 });
      const history = await rk.train.fit(model, { data, epochs: 3, optimizer, loss: (o, b) => rk.crossEntropy(o, b.targets), clipGradNorm: 1, progress: 'off' });
      return { model, losses: history.epochs.map((e) => e.loss) };
    };
    const previous = rk.defaultDevice();
    rk.setDefaultDevice('cpu'); // the data source makes its batches on the CPU
    try {
      const cpu = await run('cpu');
      const gpu = await run(cuda());
      expectClose(gpu.losses, cpu.losses, 1e-3);
      const file = join(tmpdir(), `rnnkit-gpu-${process.pid}.safetensors`);
      await rk.io.save(file, { model: gpu.model });
      rk.seed(6);
      const back = new rk.nn.SequenceClassifier({ vocabSize: 10, numClasses: 2, embeddingDim: 8, hiddenSize: 8 });
      await rk.io.load(file, { model: back });
      back.namedParameters().forEach(([name, p], i) => {
        expect(p.device).toBe('cpu');
        expect(Array.from(p.dataSync()), name).toEqual(Array.from(gpu.model.parameters()[i]!.dataSync()));
      });
      await rm(file);
    } finally {
      rk.setDefaultDevice(previous);
    }
  });

  it('GradScaler on the GPU: an inf gradient skips the step and halves the scale', async () => {
    const p = rk.keep(rk.tensor([1, 2, 3], { device: cuda(), requiresGrad: true }));
    const opt = new rk.optim.SGD([p], { lr: 1 });
    const scaler = new rk.optim.GradScaler({ initScale: 4 });
    p.grad = rk.keep(rk.tensor([4, Infinity, 4], { device: cuda() }));
    expect(await scaler.step(opt)).toBe(false);
    scaler.update();
    expect([...p.dataSync()]).toEqual([1, 2, 3]);
    expect(scaler.getScale()).toBe(2);
    p.grad.dispose();
    p.grad = rk.keep(rk.tensor([2, 4, 6], { device: cuda() }));
    expect(await scaler.step(opt)).toBe(true);
    scaler.update();
    expect([...p.dataSync()]).toEqual([0, 0, 0]);
    opt.dispose();
    p.grad.dispose();
    p.dispose();
  });

  it('profile.capture runs the work between cudaProfilerStart/Stop and returns its result; ranges nest', async () => {
    const value = await rk.profile.capture(async () =>
      rk.profile.range('outer', () => rk.tidy(() => rk.sum(rk.ones([1000], { device: cuda() })).item())),
    );
    expect(value).toBe(1000);
  });

  it('training on the GPU, moving models and dropping them leaves GPU memory at its baseline', async () => {
    const before = await settledMemory();
    const work = (): void => {
      rk.seed(2);
      const model = new rk.nn.SequenceClassifier({ vocabSize: 9, numClasses: 2, embeddingDim: 4, hiddenSize: 6 }).to(cuda());
      const opt = new rk.optim.AdamW(model.parameters(), { lr: 0.01 });
      for (let i = 0; i < 5; i++) {
        rk.tidy(() => {
          const ids = rk.tensor(Int32Array.of(1, 2, 3, 4, 5, 6), { shape: [2, 3], device: cuda() });
          rk.crossEntropy(model.forward(ids, { lengths: Int32Array.of(3, 2) }), rk.tensor(Int32Array.of(0, 1), { device: cuda() })).backward();
          rk.optim.clipGradNorm(model.parameters(), 1);
          opt.step();
          opt.zeroGrad();
        });
      }
      model.to('cpu').to(cuda());
      opt.dispose();
    };
    work();
    const after = await settledMemory();
    expect(after.byDevice[cuda()]?.tensors).toBe(before.byDevice[cuda()]?.tensors);
    expect(after.byDevice[cuda()]?.bytes).toBe(before.byDevice[cuda()]?.bytes);
  });
});
