// The CPU's small-batch inference kernel (native/cpu/rnn_infer.cpp: eval / noGrad, one or two
// directions, batch x time <= 16) against
//  - a float64 reference written here from PyTorch's equations (and cuDNN's cell clip), and the
//    oneDNN path (the same layer forward while recording gradients), to 1e-5, for every mode with
//    and without bias, projection and cell clip, 1-3 layers, unsorted lengths, with and without a
//    state, B = 1 with T = 1 and 7, B = 5 with T = 1 and 3;
//  - itself: row b of a batch of 5 is bitwise the call on row b alone (so batched generation
//    equals one prompt at a time), also on strided inputs and states;
//  - itself with 1 and 2 OpenMP threads, bitwise (rnn-inference-child.mjs, on dist/ as
//    `npm run build` leaves it, at sizes that go parallel).
// (B = 5, T = 7 would take oneDNN: see kMaxRowSteps.) Bidirectional stacks too, and one
// bidirectional sequence longer than 16 steps at H = 256 (kMinBidirectionalHidden).
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { expectClose, uniform } from '../helpers.js';

type Mode = 'rnn_tanh' | 'rnn_relu' | 'lstm' | 'gru';

interface Config {
  mode: Mode;
  C: number;
  H: number;
  L: number;
  P: number; // projSize, 0 = none
  bias: boolean;
  clip: number; // 0 = none
  bi?: boolean; // bidirectional
}

interface Result {
  output: Float32Array; // [B, T, D * hOut]
  h: Float32Array; // [L * D, B, hOut]
  c?: Float32Array; // [L * D, B, H]
}

function makeLayer(cfg: Config, batchFirst = true) {
  const common = { inputSize: cfg.C, hiddenSize: cfg.H, numLayers: cfg.L, bias: cfg.bias, bidirectional: cfg.bi ?? false, batchFirst };
  if (cfg.mode === 'lstm') return new rk.nn.LSTM({ ...common, projSize: cfg.P, cellClip: cfg.clip });
  if (cfg.mode === 'gru') return new rk.nn.GRU(common);
  return new rk.nn.RNN({ ...common, nonlinearity: cfg.mode === 'rnn_tanh' ? 'tanh' : 'relu' });
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
const clamp = (v: number, clip: number) => (clip > 0 ? Math.min(Math.max(v, -clip), clip) : v);

/** PyTorch's nn.LSTM / GRU / RNN forward in float64 (x [B, T, C]; lengths as rnnkit's). */
function reference(cfg: Config, params: Map<string, Float32Array>, x: Float32Array, B: number, T: number,
  lengths: number[], h0?: Float32Array, c0?: Float32Array): Result {
  const { H, L } = cfg;
  const P = cfg.P || H;
  const G = { lstm: 4, gru: 3, rnn_tanh: 1, rnn_relu: 1 }[cfg.mode];
  const D = cfg.bi ? 2 : 1;
  const output = new Float32Array(B * T * D * P), hOut = new Float32Array(L * D * B * P), cOut = new Float32Array(L * D * B * H);
  let input = Array.from({ length: B }, (_, b) => Array.from({ length: T }, (_, t) => Array.from(x.subarray((b * T + t) * cfg.C, (b * T + t + 1) * cfg.C))));
  for (let k = 0; k < L; k++) {
    // next[b][t]: the directions' outputs side by side, [fwd, rev]; zeros past each length.
    const next = Array.from({ length: B }, () => Array.from({ length: T }, () => new Array<number>(D * P).fill(0)));
    for (let d = 0; d < D; d++) {
      const name = (w: string) => params.get(`${w}_l${k}${d ? '_reverse' : ''}`);
      const wIh = name('weight_ih')!, wHh = name('weight_hh')!, wHr = name('weight_hr');
      const bIh = name('bias_ih'), bHh = name('bias_hh');
      const state = k * D + d;
      for (let b = 0; b < B; b++) {
        let h = Array.from({ length: P }, (_, j) => h0?.[(state * B + b) * P + j] ?? 0);
        const c = Array.from({ length: H }, (_, j) => c0?.[(state * B + b) * H + j] ?? 0);
        for (let s = 0; s < lengths[b]!; s++) {
          const t = d ? lengths[b]! - 1 - s : s; // the reverse direction: reversed within its length
          const xt = input[b]![t]!, C = xt.length;
          const gi: number[] = [], gh: number[] = [];
          for (let r = 0; r < G * H; r++) {
            let si = bIh?.[r] ?? 0, sh = bHh?.[r] ?? 0;
            for (let i = 0; i < C; i++) si += wIh[r * C + i]! * xt[i]!;
            for (let i = 0; i < P; i++) sh += wHh[r * P + i]! * h[i]!;
            gi.push(si);
            gh.push(sh);
          }
          let hNew: number[];
          if (cfg.mode === 'lstm') {
            const raw: number[] = [];
            for (let u = 0; u < H; u++) {
              const a = (g: number) => gi[g * H + u]! + gh[g * H + u]!;
              c[u] = sigmoid(a(1)) * clamp(c[u]!, cfg.clip) + sigmoid(a(0)) * Math.tanh(a(2));
              raw.push(sigmoid(a(3)) * Math.tanh(clamp(c[u]!, cfg.clip)));
            }
            hNew = wHr ? Array.from({ length: P }, (_, p) => raw.reduce((s, v, u) => s + wHr[p * H + u]! * v, 0)) : raw;
          } else if (cfg.mode === 'gru') {
            hNew = Array.from({ length: H }, (_, u) => {
              const r = sigmoid(gi[u]! + gh[u]!), z = sigmoid(gi[H + u]! + gh[H + u]!);
              const n = Math.tanh(gi[2 * H + u]! + r * gh[2 * H + u]!);
              return (1 - z) * n + z * h[u]!;
            });
          } else {
            hNew = gi.map((v, u) => (cfg.mode === 'rnn_tanh' ? Math.tanh(v + gh[u]!) : Math.max(0, v + gh[u]!)));
          }
          h = hNew;
          for (let j = 0; j < P; j++) next[b]![t]![d * P + j] = h[j]!;
        }
        hOut.set(h, (state * B + b) * P);
        cOut.set(c, (state * B + b) * H);
      }
    }
    input = next;
  }
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) output.set(input[b]![t]!, (b * T + t) * D * P);
  return cfg.mode === 'lstm' ? { output, h: hOut, c: cOut } : { output, h: hOut };
}

interface Call {
  layer: ReturnType<typeof makeLayer>;
  x: rk.Tensor<'float32'>;
  lengths?: number[];
  h0?: rk.Tensor<'float32'>;
  c0?: rk.Tensor<'float32'>;
}

/** The layer's forward: on the inference kernel, or (`recording`) on the oneDNN training path. */
function forward({ layer, x, lengths, h0, c0 }: Call, recording = false): Result {
  const run = () => {
    const state = h0 ? (c0 ? { h: h0, c: c0 } : { h: h0 }) : undefined;
    const input = recording ? rk.add(x, rk.zeros(x.shape as number[], { requiresGrad: true })) : x;
    const out = layer.forward(input, { ...(lengths ? { lengths } : {}), ...(state ? { state } : {}) });
    const r: Result = { output: out.output.dataSync(), h: out.state.h.dataSync() };
    if (out.state.c) r.c = out.state.c.dataSync();
    return r;
  };
  return rk.tidy(() => (recording ? run() : rk.noGrad(run)));
}

const modes: Config[] = [
  { mode: 'rnn_tanh', C: 4, H: 5, L: 1, P: 0, bias: true, clip: 0 },
  { mode: 'rnn_relu', C: 4, H: 5, L: 1, P: 0, bias: true, clip: 0 },
  { mode: 'gru', C: 4, H: 5, L: 1, P: 0, bias: true, clip: 0 },
  { mode: 'lstm', C: 4, H: 5, L: 1, P: 0, bias: true, clip: 0 },
  { mode: 'lstm', C: 4, H: 5, L: 1, P: 3, bias: true, clip: 0 },
  { mode: 'lstm', C: 4, H: 5, L: 1, P: 0, bias: true, clip: 0.1 },
  { mode: 'lstm', C: 4, H: 5, L: 1, P: 3, bias: true, clip: 0.1 },
];
const cases = [...modes, ...modes.map((m) => ({ ...m, bi: true }))].flatMap((m) =>
  [1, 2, 3].flatMap((L) =>
    [true, false].flatMap((bias) =>
      [1, 5].flatMap((B) => (B === 1 ? [1, 7] : [1, 3]).flatMap((T) => [true, false].map((state) => ({ cfg: { ...m, L, bias }, B, T, state })))),
    ),
  ),
);
const nameOf = ({ cfg, B, T, state }: (typeof cases)[number]) =>
  `${cfg.bi ? 'bi ' : ''}${cfg.mode}${cfg.P ? ' proj' : ''}${cfg.clip ? ' clip' : ''} L=${cfg.L}${cfg.bias ? '' : ' no bias'} B=${B} T=${T}${state ? ' state' : ''}`;

/** A seeded call of a case: lengths unsorted (B = 5, T = 7), states scaled past the clip. */
function callOf({ cfg, B, T, state }: (typeof cases)[number], seed: number): Call {
  rk.seed(seed);
  const layer = makeLayer(cfg).eval();
  const hOut = cfg.P || cfg.H, D = cfg.bi ? 2 : 1;
  const lengths = B === 5 ? (T === 3 ? [2, 3, 1, 3, 2] : [1, 1, 1, 1, 1]) : undefined;
  const tensor = (n: number, s: number, shape: number[], scale = 1) =>
    rk.tensor(uniform(n, s).map((v) => v * scale), { shape });
  return {
    layer,
    x: tensor(B * T * cfg.C, seed + 1, [B, T, cfg.C], 2),
    lengths,
    h0: state ? tensor(D * cfg.L * B * hOut, seed + 2, [D * cfg.L, B, hOut]) : undefined,
    c0: state && cfg.mode === 'lstm' ? tensor(D * cfg.L * B * cfg.H, seed + 3, [D * cfg.L, B, cfg.H], 2) : undefined,
  };
}

const params = (layer: Call['layer']) => new Map(layer.namedParameters().map(([n, p]) => [n, p.dataSync()]));

describe('the inference kernel equals PyTorch\'s equations and the oneDNN path', () => {
  it.each(cases.map((c, i) => [nameOf(c), c, i] as const))('%s', (_, c, i) => {
    const call = callOf(c, 10 * i);
    const got = forward(call);
    const ref = reference(c.cfg, params(call.layer), call.x.dataSync(), c.B, c.T, call.lengths ?? new Array<number>(c.B).fill(c.T),
      call.h0?.dataSync(), call.c0?.dataSync());
    const onednn = forward(call, true);
    for (const want of [ref, onednn]) {
      expectClose(got.output, want.output, 1e-5);
      expectClose(got.h, want.h, 1e-5);
      if (want.c) expectClose(got.c!, want.c, 1e-5);
    }
    const bites = (v: number) => Math.abs(v) > c.cfg.clip;
    if (c.cfg.clip) expect(ref.c!.some(bites) || call.c0?.dataSync().some(bites)).toBe(true);
  });

  it('one bidirectional LSTM sequence of 20 steps at H = 256 with projection, clip and a state', () => {
    const c = { cfg: { mode: 'lstm', C: 8, H: 256, L: 2, P: 64, bias: true, clip: 0.5, bi: true } as Config, B: 1, T: 20, state: true };
    const call = callOf(c, 5);
    const got = forward(call);
    const ref = reference(c.cfg, params(call.layer), call.x.dataSync(), 1, 20, [20], call.h0!.dataSync(), call.c0!.dataSync());
    const onednn = forward(call, true);
    for (const want of [ref, onednn]) {
      expectClose(got.output, want.output, 1e-5);
      expectClose(got.h, want.h, 1e-5);
      expectClose(got.c!, want.c!, 1e-5);
    }
  });
});

/** Row b of a batch-first [B, ...] tensor's data as a [1, ...] tensor. */
const rowOf = (t: rk.Tensor<'float32'>, b: number, axis: number) =>
  rk.contiguous(rk.narrow(t, axis, b, 1)) as rk.Tensor<'float32'>;

describe('each batch row is bitwise independent of the batch', () => {
  const big = cases.filter((c) => c.B === 5 && c.T === 3 && c.state && c.cfg.L === 2);
  it.each(big.map((c) => [nameOf(c), c] as const))('%s', (_, c) => {
    const call = callOf(c, 7);
    const all = forward(call);
    const D = c.cfg.bi ? 2 : 1, hOut = c.cfg.P || c.cfg.H, yOut = D * hOut;
    for (let b = 0; b < c.B; b++) {
      const one = forward({
        layer: call.layer,
        x: rowOf(call.x, b, 0),
        lengths: [call.lengths![b]!],
        h0: rowOf(call.h0!, b, 1),
        c0: call.c0 && rowOf(call.c0, b, 1),
      });
      expect(one.output).toEqual(all.output.subarray(b * c.T * yOut, (b + 1) * c.T * yOut));
      for (let k = 0; k < D * c.cfg.L; k++) {
        expect(one.h.subarray(k * hOut, (k + 1) * hOut)).toEqual(all.h.subarray((k * c.B + b) * hOut, (k * c.B + b + 1) * hOut));
        if (one.c) expect(one.c.subarray(k * c.cfg.H, (k + 1) * c.cfg.H)).toEqual(all.c!.subarray((k * c.B + b) * c.cfg.H, (k * c.B + b + 1) * c.cfg.H));
      }
    }
  });

  it('reads strided x and states and time-major layouts as their contiguous copies', () => {
    const cfg: Config = { mode: 'lstm', C: 6, H: 5, L: 2, P: 0, bias: true, clip: 0 };
    const [B, T] = [5, 3];
    rk.seed(3);
    const lstm = makeLayer(cfg).eval();
    const timeMajor = makeLayer(cfg, false).eval();
    timeMajor.loadStateDict(Object.fromEntries(lstm.namedParameters()));
    // x [B, T, C] as a permuted [C, T, B] (channel stride B*T), states as transposed [B, L, H].
    const xt = rk.tensor(uniform(B * T * cfg.C, 4), { shape: [cfg.C, T, B] });
    const x = rk.permute(xt, [2, 1, 0]) as rk.Tensor<'float32'>;
    const h0 = rk.transpose(rk.tensor(uniform(B * 2 * 5, 5), { shape: [B, 2, 5] }), 0, 1) as rk.Tensor<'float32'>;
    const c0 = rk.transpose(rk.tensor(uniform(B * 2 * 5, 6), { shape: [B, 2, 5] }), 0, 1) as rk.Tensor<'float32'>;
    const lengths = [3, 2, 1, 3, 2];
    const strided = forward({ layer: lstm, x, lengths, h0, c0 });
    const dense = forward({ layer: lstm, x: rk.contiguous(x), lengths, h0: rk.contiguous(h0), c0: rk.contiguous(c0) });
    expect(strided).toEqual(dense);
    const tm = forward({ layer: timeMajor, x: rk.contiguous(rk.transpose(x, 0, 1)), lengths, h0, c0 });
    expect(tm.h).toEqual(dense.h);
    const back = rk.tidy(() => rk.contiguous(rk.transpose(rk.tensor(tm.output, { shape: [T, B, 5] }), 0, 1)).dataSync());
    expect(back).toEqual(dense.output);
  });
});

describe('one and two OpenMP threads give the same bits', () => {
  const child = path.join(import.meta.dirname, 'rnn-inference-child.mjs');
  const runWith = (threads: number) =>
    execFileSync(process.execPath, [child], { env: { ...process.env, OMP_NUM_THREADS: String(threads), RNNKIT_DEVICE: 'cpu' } }).toString();

  it('for LSTM (with projection), GRU and RNN steps large enough to go parallel, and bidirectional layers', () => {
    const one = runWith(1);
    expect(JSON.parse(one)).toHaveLength(6);
    expect(runWith(2)).toEqual(one);
  });
});
