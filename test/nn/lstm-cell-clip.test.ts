// LSTM cell clipping (cellClip) as cuDNN 9 computes it (cudnnRNNSetClip_v9, CUDNN_RNN_CLIP_MINMAX):
// the cell state is clipped where it is read (c0 too) and inside tanh, while the stored and
// returned c is not clipped:
//   c_t = f ⊙ clip(c_{t-1}) + i ⊙ g   (c_{-1} = c0)
//   h_t = o ⊙ tanh(clip(c_t))
// The CPU backend runs it through its own cell instead of oneDNN's primitive:
//  - with a clip too large to bite it must equal the oneDNN path (outputs, states, every gradient),
//  - with a biting clip (c0 beyond it too) it must equal a float64 reference, forward and its
//    reverse-mode gradient, and finite differences.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import type { RnnConfig } from '../../lib/binding.js';
import { native } from '../../lib/native.js';
import { expectClose, gradcheck, settledMemory, uniform } from '../helpers.js';

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

/** A case's sizes: batch, time, the hidden output (projSize or H) and the state rows L*D. */
function dimsOf(c: Case) {
  const o = c.options;
  const D = o.bidirectional ? 2 : 1;
  const L = o.numLayers ?? 1;
  const [B, T] = o.batchFirst === false ? [c.shape[1], c.shape[0]] : [c.shape[0], c.shape[1]];
  return { C: o.inputSize, H: o.hiddenSize, P: o.projSize ?? 0, hOut: o.projSize || o.hiddenSize, L, D, B, T };
}

/** x in the case's layout, h0 [L*D, B, hOut], c0 [L*D, B, H]: x and c0 uniform in ±range. */
interface Inputs {
  x: number[];
  h0: number[];
  c0: number[];
}

function draw(c: Case, xRange = 1, c0Range = 1): Inputs {
  const { H, hOut, L, D, B } = dimsOf(c);
  return {
    x: uniform(c.shape.reduce((a, b) => a * b), c.seed, -xRange, xRange),
    h0: uniform(L * D * B * hOut, c.seed + 1),
    c0: uniform(L * D * B * H, c.seed + 2, -c0Range, c0Range),
  };
}

/** The weights of L = sum(output w.output) + sum(h w.h) + sum(c w.c) (output in the case's layout). */
function lossWeights(c: Case): { output: number[]; h: number[]; c: number[] } {
  const { H, hOut, L, D, B, T } = dimsOf(c);
  return { output: uniform(T * B * D * hOut, 101), h: uniform(L * D * B * hOut, 102), c: uniform(L * D * B * H, 103) };
}

/** Forward and backward of lossWeights' L from `inputs`; its gradients of x, h0, c0 and each parameter. */
function runLayer(layer: rk.nn.LSTM, c: Case, inputs: Inputs, dropoutSeed: number): Run {
  const { H, hOut, L, D, B } = dimsOf(c);
  const x = rk.tensor(inputs.x, { shape: c.shape, requiresGrad: true });
  const h0 = rk.tensor(inputs.h0, { shape: [L * D, B, hOut], requiresGrad: true });
  const c0 = rk.tensor(inputs.c0, { shape: [L * D, B, H], requiresGrad: true });
  const w = lossWeights(c);
  let run: Omit<Run, 'grads'> = { output: [], h: [], c: [] };
  const loss = rk.tidy(() => {
    rk.seed(dropoutSeed);
    const { output, state } = layer.forward(x, { ...(c.lengths ? { lengths: c.lengths } : {}), state: { h: h0, c: c0 } });
    run = { output: read(output), h: read(state.h), c: read(state.c!) };
    const weigh = (t: rk.Tensor<'float32'>, values: number[]) => rk.sum(rk.mul(t, rk.tensor(values, { shape: [...t.shape] })));
    return rk.add(rk.add(weigh(output, w.output), weigh(state.h, w.h)), weigh(state.c!, w.c));
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

/** [n0, n1, w] -> [n1, n0, w]. */
function swap01(values: number[], n0: number, n1: number, w: number): number[] {
  const out = new Array<number>(values.length);
  for (let a = 0; a < n0; a++) {
    for (let b = 0; b < n1; b++) {
      for (let k = 0; k < w; k++) out[(b * n0 + a) * w + k] = values[(a * n1 + b) * w + k]!;
    }
  }
  return out;
}

// ---- A float64 reference LSTM with clipping, differentiated in reverse mode ------------------

/** Float64 scalars on a tape: node n holds its value and edges [parent, ∂n/∂parent, ...]. */
class Tape {
  readonly value: number[] = [];
  private readonly edges: number[][] = [];

  leaf(value: number): number {
    return this.node(value, []);
  }

  /** Σ a b over `products` (pairs of nodes) + Σ `terms`. */
  affine(products: [number, number][], terms: number[] = []): number {
    let v = 0;
    const edges: number[] = [];
    for (const [a, b] of products) {
      v += this.value[a]! * this.value[b]!;
      edges.push(a, this.value[b]!, b, this.value[a]!);
    }
    for (const t of terms) {
      v += this.value[t]!;
      edges.push(t, 1);
    }
    return this.node(v, edges);
  }

  sigmoid(a: number): number {
    const s = 1 / (1 + Math.exp(-this.value[a]!));
    return this.node(s, [a, s * (1 - s)]);
  }

  tanh(a: number): number {
    const t = Math.tanh(this.value[a]!);
    return this.node(t, [a, 1 - t * t]);
  }

  /** Clamps to [-c, c]; its derivative is 1 inside (ends included), 0 outside. */
  clip(a: number, c: number): number {
    const v = this.value[a]!;
    const inside = v >= -c && v <= c;
    return this.node(Math.min(Math.max(v, -c), c), [a, inside ? 1 : 0]);
  }

  /** ∂(Σ_k w_k outs_k) / ∂n for every node n. */
  gradient(outs: number[], w: number[]): number[] {
    const adjoint = new Array<number>(this.value.length).fill(0);
    outs.forEach((n, k) => (adjoint[n]! += w[k]!));
    for (let n = adjoint.length - 1; n >= 0; n--) {
      const g = adjoint[n]!;
      const edges = this.edges[n]!;
      for (let k = 0; g !== 0 && k < edges.length; k += 2) adjoint[edges[k]!]! += g * edges[k + 1]!;
    }
    return adjoint;
  }

  private node(value: number, edges: number[]): number {
    this.value.push(value);
    this.edges.push(edges);
    return this.value.length - 1;
  }
}

interface RefResult {
  output: number[]; // [B, T, D*hOut]
  h: number[]; // [L*D, B, hOut]
  c: number[]; // [L*D, B, H]
  /** Smallest | |c| - clip | over c0 and every step's c: how far the values stay from the kinks. */
  margin: number;
  c0Clipped: number; // c0 values beyond ±clip
  clipped: number; // c_t values beyond ±clip (t >= 0), of `total`
  total: number;
  /** Of sum(output w.output) + sum(h w.h) + sum(c w.c): x [B, T, C], h0, c0, each parameter. */
  grads: Record<string, number[]>;
}

/** The stacked LSTM of `dims` in float64, with cuDNN's clipping (see the file's header). */
function referenceLstm(
  params: Record<string, number[]>,
  dims: { C: number; H: number; P: number; L: number; D: number; B: number; T: number },
  x: number[], // [B, T, C]
  lengths: number[],
  h0: number[], // [L*D, B, hOut]
  c0: number[], // [L*D, B, H]
  clip: number,
  w: { output: number[]; h: number[]; c: number[] }, // output [B, T, D*hOut]
): RefResult {
  const { C, H, P, L, D, B, T } = dims;
  const hOut = P || H;
  const tape = new Tape();
  const leaves = (values: number[]) => values.map((v) => tape.leaf(v));
  const X = leaves(x);
  const H0 = leaves(h0);
  const C0 = leaves(c0);
  const W: Record<string, number[]> = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, leaves(v)]));
  const zero = tape.leaf(0);
  const res = { margin: Infinity, c0Clipped: 0, clipped: 0, total: 0 };
  const see = (v: number) => (res.margin = Math.min(res.margin, Math.abs(Math.abs(v) - clip)));
  for (const v of c0) {
    see(v);
    if (Math.abs(v) > clip) res.c0Clipped++;
  }
  let layerInput = (b: number, t: number) => X.slice((b * T + t) * C, (b * T + t + 1) * C);
  let out: number[] = [];
  const hFinal: number[] = [];
  const cFinal: number[] = [];
  for (let k = 0; k < L; k++) {
    out = new Array<number>(B * T * D * hOut).fill(zero);
    for (let d = 0; d < D; d++) {
      const sfx = `_l${k}${d === 1 ? '_reverse' : ''}`;
      const wih = W[`weight_ih${sfx}`]!;
      const whh = W[`weight_hh${sfx}`]!;
      const bias = W[`bias_ih${sfx}`] ? [W[`bias_ih${sfx}`]!, W[`bias_hh${sfx}`]!] : [];
      const whr = W[`weight_hr${sfx}`];
      const state = k * D + d;
      for (let b = 0; b < B; b++) {
        let h = H0.slice((state * B + b) * hOut, (state * B + b + 1) * hOut);
        let c = C0.slice((state * B + b) * H, (state * B + b + 1) * H);
        const len = lengths[b]!;
        for (let s = 0; s < len; s++) {
          const t = d === 1 ? len - 1 - s : s;
          const xt = layerInput(b, t);
          const gate = (row: number) =>
            tape.affine(
              [...xt.map((n, j): [number, number] => [wih[row * xt.length + j]!, n]), ...h.map((n, j): [number, number] => [whh[row * hOut + j]!, n])],
              bias.map((v) => v[row]!),
            );
          const raw: number[] = [];
          const next: number[] = [];
          for (let u = 0; u < H; u++) {
            const i = tape.sigmoid(gate(u));
            const f = tape.sigmoid(gate(H + u));
            const g = tape.tanh(gate(2 * H + u));
            const o = tape.sigmoid(gate(3 * H + u));
            const cu = tape.affine([
              [f, tape.clip(c[u]!, clip)],
              [i, g],
            ]);
            const v = tape.value[cu]!;
            see(v);
            res.total++;
            if (Math.abs(v) > clip) res.clipped++;
            next.push(cu);
            raw.push(tape.affine([[o, tape.tanh(tape.clip(cu, clip))]]));
          }
          c = next;
          h = whr ? Array.from({ length: P }, (_, p) => tape.affine(raw.map((n, j): [number, number] => [whr[p * H + j]!, n]))) : raw;
          for (let j = 0; j < hOut; j++) out[(b * T + t) * D * hOut + d * hOut + j] = h[j]!;
        }
        hFinal.push(...h); // state-major, then b: the order of these loops
        cFinal.push(...c);
      }
    }
    const below = out;
    layerInput = (b, t) => below.slice((b * T + t) * D * hOut, (b * T + t + 1) * D * hOut);
  }
  const adjoint = tape.gradient([...out, ...hFinal, ...cFinal], [...w.output, ...w.h, ...w.c]);
  const grads: Record<string, number[]> = { x: X, h0: H0, c0: C0, ...W };
  for (const key of Object.keys(grads)) grads[key] = grads[key]!.map((n) => adjoint[n]!);
  const values = (nodes: number[]) => nodes.map((n) => tape.value[n]!);
  return { ...res, output: values(out), h: values(hFinal), c: values(cFinal), grads };
}

/** The reference for case `c` on `inputs` (in the case's layout), its results back in that layout. */
function reference(c: Case, params: Record<string, number[]>, inputs: Inputs, clip: number): RefResult {
  const dims = dimsOf(c);
  const { C, hOut, D, B, T } = dims;
  const timeMajor = c.options.batchFirst === false;
  const toRef = (v: number[], w: number) => (timeMajor ? swap01(v, T, B, w) : v);
  const fromRef = (v: number[], w: number) => (timeMajor ? swap01(v, B, T, w) : v);
  const w = lossWeights(c);
  const lengths = c.lengths ?? new Array<number>(B).fill(T);
  const ref = referenceLstm(params, dims, toRef(inputs.x, C), lengths, inputs.h0, inputs.c0, clip, { ...w, output: toRef(w.output, D * hOut) });
  ref.output = fromRef(ref.output, D * hOut);
  ref.grads.x = fromRef(ref.grads.x!, C);
  return ref;
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

/** expectClose for each gradient, naming the one that differs. */
function expectGradsClose(actual: Record<string, number[]>, expected: Record<string, number[]>, atol: number, rtol = 0): void {
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  for (const key of Object.keys(expected)) {
    try {
      expectClose(actual[key]!, expected[key]!, atol, rtol);
    } catch (err) {
      throw new Error(`gradient of ${key}: ${(err as Error).message}`, { cause: err });
    }
  }
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
        const inputs = draw(c);
        const a = runLayer(plain, c, inputs, 7);
        const b = runLayer(clipped, c, inputs, 7);
        expectClose(b.output, a.output, 1e-5);
        expectClose(b.h, a.h, 1e-5);
        expectClose(b.c, a.c, 1e-5);
        expectGradsClose(b.grads, a.grads, 1e-4);
        if ((c.options.dropout ?? 0) > 0) {
          // The dropout masks bite (another seed changes the result) and both paths drew the same.
          expect(runLayer(clipped, c, inputs, 8).output).not.toEqual(b.output);
        }
      });
    }
  });

  describe('a biting clip equals a float64 reference, forward and gradient', () => {
    // x and c0 uniform in ±3, so the clip bites at c0 and during the sequences.
    const cases: [string, Case, number][] = [
      ['unidirectional, lengths', { options: { inputSize: 3, hiddenSize: 4 }, shape: [3, 5, 3], lengths: [5, 2, 4], seed: 20 }, 0.5],
      [
        'bidirectional, projection, no bias, equal lengths',
        { options: { inputSize: 3, hiddenSize: 4, projSize: 2, bidirectional: true, bias: false }, shape: [3, 4, 3], seed: 38 },
        0.75,
      ],
      [
        '2-layer bidirectional, projection, unequal unsorted lengths, time-major',
        {
          options: { inputSize: 3, hiddenSize: 5, projSize: 3, numLayers: 2, bidirectional: true, batchFirst: false },
          shape: [6, 4, 3],
          lengths: [4, 6, 1, 3],
          seed: 38,
        },
        0.75,
      ],
    ];
    it('the reference without a clip equals the oneDNN path (its forward and its gradient)', () => {
      const c = cases[2]![1];
      const layer = new rk.nn.LSTM(c.options);
      const params = setParams(layer, c.seed + 100, 0.8);
      const inputs = draw(c, 3, 3);
      const ref = reference(c, params, inputs, Infinity);
      const run = runLayer(layer, c, inputs, 7);
      expectClose(run.output, ref.output, 1e-5);
      expectClose(run.h, ref.h, 1e-5);
      expectClose(run.c, ref.c, 1e-5);
      expectGradsClose(run.grads, ref.grads, 1e-4, 1e-4);
    });

    for (const [name, c, clip] of cases) {
      it(`${name}, clip ${clip}`, () => {
        const layer = new rk.nn.LSTM({ ...c.options, cellClip: clip });
        const params = setParams(layer, c.seed + 100, 0.8);
        const inputs = draw(c, 3, 3);
        const ref = reference(c, params, inputs, clip);
        expect(ref.margin).toBeGreaterThan(1e-4); // float32 rounding cannot cross a kink
        expect(ref.c0Clipped).toBeGreaterThan(0); // the clip bites at c0 ...
        expect(ref.c0Clipped).toBeLessThan(inputs.c0.length);
        expect(ref.clipped / ref.total).toBeGreaterThan(0.1); // ... and during the sequences
        expect(ref.clipped).toBeLessThan(ref.total);
        const unclipped = reference(c, params, inputs, Infinity);

        const run = runLayer(layer, c, inputs, 7);
        expectClose(run.output, ref.output, 1e-5);
        expectClose(run.h, ref.h, 1e-5);
        expectClose(run.c, ref.c, 1e-5);
        // The returned c is not clipped: final states taken at each sequence's own end included.
        expect(Math.max(...run.c.map(Math.abs))).toBeGreaterThan(clip * 1.05);
        expect(() => expectClose(run.output, unclipped.output, 1e-3)).toThrow();
        expectGradsClose(run.grads, ref.grads, 1e-4, 1e-4);
        // c0 beyond the clip gets no gradient; inside it does.
        inputs.c0.forEach((v, j) => {
          if (Math.abs(v) > clip) expect(Math.abs(run.grads.c0![j]!)).toBe(0);
        });
        expect(run.grads.c0!.some((g, j) => Math.abs(inputs.c0[j]!) < clip && Math.abs(g) > 1e-3)).toBe(true);
      });
    }
  });

  describe('gradients with a biting clip match finite differences', () => {
    // Small nets whose cell values (c0 and every step's c) all stay at least `margin` from ±clip
    // (asserted through the reference), so no finite-difference probe (eps 1e-2) crosses a kink.
    const clip = 0.5;
    const margin = 0.04;
    const cases: [string, Case][] = [
      ['unidirectional, lengths', { options: { inputSize: 2, hiddenSize: 2 }, shape: [2, 3, 2], lengths: [3, 2], seed: 121 }],
      [
        '2-layer bidirectional, projection, unsorted lengths, time-major',
        {
          options: { inputSize: 2, hiddenSize: 2, projSize: 1, numLayers: 2, bidirectional: true, batchFirst: false },
          shape: [3, 3, 2],
          lengths: [2, 3, 1],
          seed: 362,
        },
      ],
    ];
    for (const [name, c] of cases) {
      const { H, hOut, L, D, B } = dimsOf(c);
      const setup = () => {
        const layer = new rk.nn.LSTM({ ...c.options, cellClip: clip });
        const params = setParams(layer, c.seed + 100, 1);
        const inputs = draw(c, 2, 3);
        const ref = reference(c, params, inputs, clip);
        expect(ref.margin).toBeGreaterThan(margin);
        expect(ref.c0Clipped).toBeGreaterThan(0);
        expect(ref.c0Clipped).toBeLessThan(inputs.c0.length);
        expect(ref.clipped).toBeGreaterThan(0);
        expect(ref.clipped).toBeLessThan(ref.total);
        return { layer, params, inputs };
      };
      const forward = (layer: rk.nn.LSTM, x: rk.Tensor<'float32'>, h: rk.Tensor<'float32'>, cell: rk.Tensor<'float32'>) =>
        layer.forward(x, { ...(c.lengths ? { lengths: c.lengths } : {}), state: { h, c: cell } });

      it(`${name}: x, h0, c0`, () => {
        const { layer, inputs } = setup();
        gradcheck(
          (xs, h, cell) => {
            const { output, state } = forward(layer, xs, h, cell);
            return rk.add(rk.sum(rk.mul(output, output)), rk.add(rk.sum(state.h), rk.sum(rk.mul(state.c!, state.c!))));
          },
          [
            { shape: c.shape, values: inputs.x },
            { shape: [L * D, B, hOut], values: inputs.h0 },
            { shape: [L * D, B, H], values: inputs.c0 },
          ],
        );
      });

      it(`${name}: every parameter`, () => {
        const { layer, params, inputs } = setup();
        const w = lossWeights(c);
        const objective = () =>
          rk.tidy(() => {
            const { output, state } = forward(
              layer,
              rk.tensor(inputs.x, { shape: c.shape }),
              rk.tensor(inputs.h0, { shape: [L * D, B, hOut] }),
              rk.tensor(inputs.c0, { shape: [L * D, B, H] }),
            );
            return rk.add(rk.sum(rk.mul(output, rk.tensor(w.output, { shape: [...output.shape] }))), rk.add(rk.sum(state.h), rk.sum(state.c!)));
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
