// LSTM cell clipping (cellClip: c_t = clamp(f c_{t-1} + i g, ±clip) at every step), which the CPU
// backend runs through its own cell instead of oneDNN's primitive:
//  - with a clip too large to bite it must equal the oneDNN path (outputs, states, every gradient),
//  - with a biting clip it must equal a float64 JS reference forward and finite differences.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import type { RnnConfig } from '../../lib/binding.js';
import { native } from '../../lib/native.js';
import { expectClose, gradcheck, input, settledMemory, uniform } from '../helpers.js';

const read = (t: rk.Tensor): number[] => Array.from(t.dataSync());

interface Run {
  output: number[];
  h: number[];
  c: number[];
  grads: Record<string, number[]>;
}

interface Case {
  options: rk.nn.LSTMOptions;
  shape: [number, number, number]; // x as given (batchFirst or not)
  lengths?: number[];
  seed: number;
}

/** Forward and backward of L = sum(output w1) + sum(h w2) + sum(c w3) with initial states. */
function runLayer(layer: rk.nn.LSTM, c: Case, dropoutSeed: number): Run {
  const o = c.options;
  const dirs = o.bidirectional ? 2 : 1;
  const batch = o.batchFirst === false ? c.shape[1] : c.shape[0];
  const hOut = o.projSize || o.hiddenSize;
  const states = (o.numLayers ?? 1) * dirs;
  const x = rk.tensor(uniform(c.shape.reduce((a, b) => a * b), c.seed), { shape: c.shape, requiresGrad: true });
  const h0 = rk.tensor(uniform(states * batch * hOut, c.seed + 1), { shape: [states, batch, hOut], requiresGrad: true });
  const c0 = rk.tensor(uniform(states * batch * o.hiddenSize, c.seed + 2), { shape: [states, batch, o.hiddenSize], requiresGrad: true });
  let run: Omit<Run, 'grads'> = { output: [], h: [], c: [] };
  const loss = rk.tidy(() => {
    rk.seed(dropoutSeed);
    const { output, state } = layer.forward(x, { ...(c.lengths ? { lengths: c.lengths } : {}), state: { h: h0, c: c0 } });
    run = { output: read(output), h: read(state.h), c: read(state.c!) };
    const w = (t: rk.Tensor, seed: number) => rk.tensor(uniform(t.size, seed), { shape: [...t.shape] });
    return rk.add(rk.add(rk.sum(rk.mul(output, w(output, 101))), rk.sum(rk.mul(state.h, w(state.h, 102)))), rk.sum(rk.mul(state.c!, w(state.c!, 103))));
  });
  loss.backward();
  const grads: Record<string, number[]> = { x: read(x.grad!), h0: read(h0.grad!), c0: read(c0.grad!) };
  for (const [name, p] of layer.namedParameters()) {
    grads[name] = read(p.grad!);
    p.grad!.dispose();
    p.grad = null;
  }
  for (const t of [x, h0, c0, loss]) {
    t.grad?.dispose();
    t.dispose();
  }
  return { ...run, grads };
}

// ---- A float64 reference LSTM with clipping (one layer) ---------------------------------------

interface RefResult {
  output: number[]; // [B, T, D*hOut]
  h: number[]; // [D, B, hOut]
  c: number[]; // [D, B, H]
  /** Smallest | |pre-clamp c| - clip | over every step: how far the values stay from the kink. */
  margin: number;
  clipped: number; // pre-clamp values beyond ±clip
  total: number;
}

function referenceLstm(
  params: Record<string, number[]>,
  dims: { C: number; H: number; P: number; D: number; B: number; T: number },
  x: number[], // [B, T, C]
  lengths: number[],
  h0: number[], // [D, B, hOut]
  c0: number[], // [D, B, H]
  clip: number,
): RefResult {
  const { C, H, P, D, B, T } = dims;
  const hOut = P || H;
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  const res: RefResult = { output: new Array(B * T * D * hOut).fill(0), h: [], c: [], margin: Infinity, clipped: 0, total: 0 };
  const hFinal = new Array(D * B * hOut).fill(0);
  const cFinal = new Array(D * B * H).fill(0);
  for (let d = 0; d < D; d++) {
    const sfx = d === 1 ? '_l0_reverse' : '_l0';
    const wih = params[`weight_ih${sfx}`]!;
    const whh = params[`weight_hh${sfx}`]!;
    const bih = params[`bias_ih${sfx}`];
    const bhh = params[`bias_hh${sfx}`];
    const whr = params[`weight_hr${sfx}`];
    for (let b = 0; b < B; b++) {
      let h = h0.slice((d * B + b) * hOut, (d * B + b + 1) * hOut);
      let c = c0.slice((d * B + b) * H, (d * B + b + 1) * H);
      const len = lengths[b]!;
      for (let s = 0; s < len; s++) {
        const t = d === 1 ? len - 1 - s : s;
        const xt = x.slice((b * T + t) * C, (b * T + t + 1) * C);
        const gate = (row: number) => {
          let v = (bih ? bih[row]! : 0) + (bhh ? bhh[row]! : 0);
          for (let k = 0; k < C; k++) v += wih[row * C + k]! * xt[k]!;
          for (let k = 0; k < hOut; k++) v += whh[row * hOut + k]! * h[k]!;
          return v;
        };
        const raw: number[] = [];
        const next: number[] = [];
        for (let u = 0; u < H; u++) {
          const i = sig(gate(u));
          const f = sig(gate(H + u));
          const g = Math.tanh(gate(2 * H + u));
          const o = sig(gate(3 * H + u));
          const pre = f * c[u]! + i * g;
          res.margin = Math.min(res.margin, Math.abs(Math.abs(pre) - clip));
          res.total++;
          if (Math.abs(pre) > clip) res.clipped++;
          next.push(Math.min(Math.max(pre, -clip), clip));
          raw.push(o * Math.tanh(next[u]!));
        }
        c = next;
        h = whr ? Array.from({ length: P }, (_, p) => raw.reduce((acc, v, k) => acc + whr[p * H + k]! * v, 0)) : raw;
        for (let k = 0; k < hOut; k++) res.output[(b * T + t) * D * hOut + d * hOut + k] = h[k]!;
      }
      for (let k = 0; k < hOut; k++) hFinal[(d * B + b) * hOut + k] = h[k]!;
      for (let k = 0; k < H; k++) cFinal[(d * B + b) * H + k] = c[k]!;
    }
  }
  res.h = hFinal;
  res.c = cFinal;
  return res;
}

/** Loads seeded parameters (scaled by `scale`) into `layer`; returns them as plain arrays. */
function setParams(layer: rk.nn.LSTM, seed: number, scale: number): Record<string, number[]> {
  const values: Record<string, number[]> = {};
  const state: Record<string, rk.Tensor> = {};
  layer.namedParameters().forEach(([name, p], i) => {
    values[name] = uniform(p.size, seed + i, -scale, scale);
    state[name] = rk.tensor(values[name]!, { shape: [...p.shape] });
  });
  layer.loadStateDict(state);
  for (const t of Object.values(state)) t.dispose();
  return values;
}

describe('LSTM cell clipping (cellClip)', () => {
  let baseline: rk.MemoryInfo;
  beforeAll(async () => {
    baseline = await settledMemory();
  });

  describe('a clip too large to bite equals the oneDNN path', () => {
    const cases: [string, Case][] = [
      [
        '2-layer bidirectional, lengths, projection, no bias, time-major, dropout',
        {
          options: { inputSize: 3, hiddenSize: 4, projSize: 2, numLayers: 2, bidirectional: true, bias: false, batchFirst: false, dropout: 0.3 },
          shape: [5, 4, 3],
          lengths: [5, 2, 5, 3],
          seed: 1,
        },
      ],
      [
        '2-layer bidirectional, equal lengths (one segment), bias, batch-major',
        {
          options: { inputSize: 3, hiddenSize: 5, numLayers: 2, bidirectional: true },
          shape: [3, 4, 3],
          seed: 2,
        },
      ],
      [
        '1 layer, lengths shorter than x in time, projection',
        {
          options: { inputSize: 2, hiddenSize: 3, projSize: 1 },
          shape: [3, 6, 2],
          lengths: [4, 4, 2],
          seed: 3,
        },
      ],
    ];
    for (const [name, c] of cases) {
      it(name, () => {
        rk.seed(c.seed);
        const plain = new rk.nn.LSTM(c.options);
        const clipped = new rk.nn.LSTM({ ...c.options, cellClip: 1e6 });
        clipped.loadStateDict(plain.stateDict());
        expect(clipped.config.cellClip).toBe(1e6);
        const a = runLayer(plain, c, 7);
        const b = runLayer(clipped, c, 7);
        expectClose(b.output, a.output, 1e-5);
        expectClose(b.h, a.h, 1e-5);
        expectClose(b.c, a.c, 1e-5);
        expect(Object.keys(b.grads)).toEqual(Object.keys(a.grads));
        for (const key of Object.keys(a.grads)) {
          try {
            expectClose(b.grads[key]!, a.grads[key]!, 1e-4);
          } catch (err) {
            throw new Error(`gradient of ${key}: ${(err as Error).message}`, { cause: err });
          }
        }
        if ((c.options.dropout ?? 0) > 0) {
          // The dropout masks bite (another seed changes the result) and both paths drew the same.
          expect(runLayer(clipped, c, 8).output).not.toEqual(b.output);
        }
      });
    }
  });

  describe('a biting clip equals a float64 reference', () => {
    for (const bidirectional of [false, true]) {
      for (const projSize of [0, 2]) {
        it(`${bidirectional ? 'bidirectional' : 'unidirectional'}, lengths${projSize ? ', projection' : ''}`, () => {
          const dims = { C: 3, H: 4, P: projSize, D: bidirectional ? 2 : 1, B: 3, T: 5 };
          const clip = 0.2;
          const hOut = projSize || dims.H;
          const lengths = [5, 2, 4];
          const layer = new rk.nn.LSTM({ inputSize: dims.C, hiddenSize: dims.H, projSize, bidirectional, cellClip: clip });
          const params = setParams(layer, 20 + projSize, 0.8);
          const x = uniform(dims.B * dims.T * dims.C, 30, -3, 3);
          const h0 = uniform(dims.D * dims.B * hOut, 31);
          const c0 = uniform(dims.D * dims.B * dims.H, 32, -0.5, 0.5);
          const ref = referenceLstm(params, dims, x, lengths, h0, c0, clip);
          const unclipped = referenceLstm(params, dims, x, lengths, h0, c0, Infinity);
          expect(ref.clipped / ref.total).toBeGreaterThan(0.3); // the clip bites
          expect(ref.clipped).toBeLessThan(ref.total);
          rk.tidy(() => {
            const { output, state } = layer.forward(rk.tensor(x, { shape: [dims.B, dims.T, dims.C] }), {
              lengths,
              state: { h: rk.tensor(h0, { shape: [dims.D, dims.B, hOut] }), c: rk.tensor(c0, { shape: [dims.D, dims.B, dims.H] }) },
            });
            expectClose(read(output), ref.output, 1e-5);
            expectClose(read(state.h), ref.h, 1e-5);
            expectClose(read(state.c!), ref.c, 1e-5);
            expect(Math.max(...read(state.c!).map(Math.abs))).toBeLessThanOrEqual(Math.fround(clip));
            expect(() => expectClose(read(output), unclipped.output, 1e-3)).toThrow();
          });
        });
      }
    }
  });

  describe('gradients with a biting clip match finite differences', () => {
    // Small nets whose pre-clamp cells all stay at least `margin` from ±clip (asserted through the
    // reference), so no finite-difference probe (eps 1e-2) crosses the kink.
    const clip = 0.3;
    const margin = 0.04;
    for (const bidirectional of [false, true]) {
      const dims = { C: 2, H: 2, P: 0, D: bidirectional ? 2 : 1, B: 2, T: 3 };
      const lengths = [3, 2];
      const seed = bidirectional ? 60 : 40;
      const name = bidirectional ? 'bidirectional' : 'unidirectional';
      const setup = () => {
        const layer = new rk.nn.LSTM({ inputSize: dims.C, hiddenSize: dims.H, bidirectional, cellClip: clip });
        const params = setParams(layer, seed, 1);
        const x = input([dims.B, dims.T, dims.C], seed + 10, -2, 2);
        const h0 = input([dims.D, dims.B, dims.H], seed + 11);
        const c0 = input([dims.D, dims.B, dims.H], seed + 12, -0.5, 0.5);
        const ref = referenceLstm(params, dims, x.values, lengths, h0.values, c0.values, clip);
        return { layer, params, x, h0, c0, ref };
      };

      it(`${name}: x, h0, c0`, () => {
        const { layer, x, h0, c0, ref } = setup();
        expect(ref.margin).toBeGreaterThan(margin);
        expect(ref.clipped).toBeGreaterThan(0);
        expect(ref.clipped).toBeLessThan(ref.total);
        gradcheck((xs, h, c) => {
          const { output, state } = layer.forward(xs, { lengths, state: { h, c } });
          return rk.add(rk.sum(rk.mul(output, output)), rk.add(rk.sum(state.h), rk.sum(rk.mul(state.c!, state.c!))));
        }, [x, h0, c0]);
      });

      it(`${name}: every parameter`, () => {
        const { layer, params, x, h0, c0, ref } = setup();
        expect(ref.margin).toBeGreaterThan(margin);
        const inputs = () => ({
          x: rk.tensor(x.values, { shape: x.shape }),
          state: { h: rk.tensor(h0.values, { shape: h0.shape }), c: rk.tensor(c0.values, { shape: c0.shape }) },
        });
        const w = uniform(dims.B * dims.T * dims.D * dims.H, 5);
        const objective = () =>
          rk.tidy(() => {
            const a = inputs();
            const { output, state } = layer.forward(a.x, { lengths, state: a.state });
            return rk.add(rk.sum(rk.mul(output, rk.tensor(w, { shape: [...output.shape] }))), rk.sum(state.c!));
          });
        const loss = objective();
        loss.backward();
        loss.dispose();
        const eps = 1e-2;
        for (const [pname, p] of layer.namedParameters()) {
          const analytic = read(p.grad!);
          p.grad!.dispose();
          p.grad = null;
          const numeric = params[pname]!.map((v, j) => {
            const probe = (delta: number) => {
              const values = params[pname]!.slice();
              values[j] = v + delta;
              const t = rk.tensor(values, { shape: [...p.shape] });
              layer.loadStateDict({ [pname]: t }, { strict: false });
              t.dispose();
              return rk.noGrad(() => {
                const l = objective();
                const s = l.dataSync()[0]!;
                l.dispose();
                return s;
              });
            };
            const g = (probe(eps) - probe(-eps)) / (2 * eps);
            probe(0);
            return g;
          });
          try {
            expectClose(analytic, numeric, 1e-3, 1e-2);
          } catch (err) {
            throw new Error(`gradient of ${pname}: ${(err as Error).message}`, { cause: err });
          }
        }
      });
    }
  });

  describe('bad input', () => {
    const config = (over: Partial<RnnConfig>): RnnConfig => ({
      mode: 'lstm', inputSize: 2, hiddenSize: 3, projSize: 0, numLayers: 1, bidirectional: false, bias: true,
      batchFirst: true, dropout: 0, cellClip: 0, precision: 'fp32', ...over,
    });
    const code = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (err) {
        return (err as { code?: string }).code;
      }
      return 'no error';
    };

    it('nn.LSTM rejects a negative, NaN or infinite cellClip; other layers have no such option', () => {
      for (const cellClip of [-1, NaN, Infinity]) {
        expect(() => new rk.nn.LSTM({ inputSize: 2, hiddenSize: 3, cellClip })).toThrow(rk.ArgumentError);
        expect(() => new rk.nn.LSTM({ inputSize: 2, hiddenSize: 3, cellClip })).toThrow(/cellClip/);
      }
      expect(() => new rk.nn.GRU({ inputSize: 2, hiddenSize: 3, cellClip: 1 } as rk.nn.GRUOptions)).toThrow(/unknown option 'cellClip'/);
    });

    it('the native op checks cellClip itself (RK_ARGUMENT naming the field)', () => {
      for (const cellClip of [-0.5, NaN, Infinity]) {
        expect(code(() => native.rnnLayout(config({ cellClip }), 'cpu'))).toBe('RK_ARGUMENT');
        expect(() => native.rnnLayout(config({ cellClip }), 'cpu')).toThrow(/config\.cellClip must be a finite number >= 0/);
      }
      for (const mode of ['gru', 'rnn_tanh', 'rnn_relu'] as const) {
        expect(code(() => native.rnnLayout(config({ mode, cellClip: 1 }), 'cpu'))).toBe('RK_ARGUMENT');
        expect(() => native.rnnLayout(config({ mode, cellClip: 1 }), 'cpu')).toThrow(/rnn: config\.cellClip is only for an LSTM/);
      }
      expect(code(() => native.rnnLayout(config({ cellClip: '1' as unknown as number }), 'cpu'))).toBe('RK_ARGUMENT');
      expect(() => native.rnnLayout(config({ cellClip: '1' as unknown as number }), 'cpu')).toThrow(/config\.cellClip/);
      // A config without the field (an older caller) means no clipping.
      const { cellClip: _, ...old } = config({});
      expect(native.rnnLayout(old as RnnConfig, 'cpu').size).toBe(native.rnnLayout(config({}), 'cpu').size);
    });

    it('rnnForward rejects cellClip on a GRU before queueing anything', () => {
      const x = rk.ones([1, 2, 2]);
      const weights = rk.zeros([native.rnnLayout(config({ mode: 'gru' }), 'cpu').size]);
      const hx = x.handleFor('test', 'x');
      const hw = weights.handleFor('test', 'weights');
      expect(code(() => native.rnnForward(config({ mode: 'gru', cellClip: 1 }), hx, hw, null, null, null, false, 1))).toBe('RK_ARGUMENT');
      // The same call without the clip runs.
      const ok = native.rnnForward(config({ mode: 'gru' }), hx, hw, null, null, null, false, 1);
      expect(ok.reserve).toBeNull();
      for (const t of [ok.output, ok.h]) t.dispose();
      for (const t of [x, weights]) t.dispose();
    });
  });

  it('leaves memory() at its baseline once everything is released', async () => {
    const before = await settledMemory();
    (() => {
      const layer = new rk.nn.LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, cellClip: 0.5, dropout: 0.2 });
      const x = rk.tensor(uniform(3 * 4 * 3, 9), { shape: [3, 4, 3], requiresGrad: true });
      const loss = rk.tidy(() => rk.sum(layer.forward(x, { lengths: [4, 1, 3] }).output));
      loss.backward();
      const inference = rk.noGrad(() => layer.eval().forward(x));
      for (const t of [inference.output, inference.state.h, inference.state.c!, loss, x.grad!, x]) t.dispose();
      for (const p of layer.parameters()) p.grad?.dispose();
    })();
    // The layer itself is dropped: once collected, nothing of it may remain.
    expect(await settledMemory()).toEqual(before);
  });

  afterAll(async () => {
    expect(await settledMemory()).toEqual(baseline);
  });
});
