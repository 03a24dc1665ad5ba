// layer.step(x, state): one time step for users' own decoding loops. Stepping through a sequence
// one token at a time, carrying the state, must give what forward() gives over the whole
// sequence; and a step is differentiable like forward().

import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { expectClose, settledMemory, uniform } from '../helpers.js';

type Layer = rk.nn.RNN | rk.nn.LSTM | rk.nn.GRU;

const CASES: { name: string; make: () => Layer }[] = [
  { name: 'LSTM, 2 layers', make: () => new rk.nn.LSTM({ inputSize: 5, hiddenSize: 7, numLayers: 2 }) },
  { name: 'LSTM, projection and cell clipping', make: () => new rk.nn.LSTM({ inputSize: 5, hiddenSize: 8, projSize: 3, cellClip: 0.4 }) },
  { name: 'LSTM, time-major, no bias', make: () => new rk.nn.LSTM({ inputSize: 5, hiddenSize: 6, batchFirst: false, bias: false }) },
  { name: 'GRU, 2 layers', make: () => new rk.nn.GRU({ inputSize: 5, hiddenSize: 6, numLayers: 2 }) },
  { name: 'RNN relu', make: () => new rk.nn.RNN({ inputSize: 5, hiddenSize: 4, nonlinearity: 'relu' }) },
];

const B = 3;
const T = 6;

/** x [B, T, 5] as rows of one step each: step t's x is [B, 5]. */
function sequence(seed: number): { whole: number[]; steps: number[][] } {
  const whole = uniform(B * T * 5, seed, -2, 2);
  const steps = Array.from({ length: T }, (_, t) => Array.from({ length: B * 5 }, (_, i) => whole[(Math.floor(i / 5) * T + t) * 5 + (i % 5)]!));
  return { whole, steps };
}

describe('layer.step', () => {
  for (const { name, make } of CASES) {
    it(`${name}: T steps with the state carried equal forward() over the sequence`, async () => {
      rk.seed(11);
      const layer = make();
      const { batchFirst, numLayers } = layer.config;
      const hOut = layer.outputSize;
      const { whole, steps } = sequence(3);
      const before = await settledMemory();
      rk.noGrad(() => {
        const xs = rk.tensor(whole, { shape: [B, T, 5] });
        const x = batchFirst ? xs : xs.transpose(0, 1).contiguous();
        const ref = layer.forward(x);
        const refOut = (batchFirst ? ref.output : ref.output.transpose(0, 1).contiguous()).dataSync();
        let state: rk.nn.RecurrentState | undefined;
        for (let t = 0; t < T; t++) {
          const r = layer.step(rk.tensor(steps[t]!, { shape: [B, 5] }), state);
          expect(r.output.shape).toEqual([B, hOut]);
          const out = r.output.dataSync();
          const expected = Array.from({ length: B * hOut }, (_, i) => refOut[(Math.floor(i / hOut) * T + t) * hOut + (i % hOut)]!);
          expectClose(out, expected, 1e-5);
          // The step's output is the top layer's new h.
          expectClose(out, r.state.h.narrow(0, numLayers - 1, 1).dataSync(), 0);
          r.output.dispose();
          if (state) rk.tidy(() => [state!.h.dispose(), state!.c?.dispose()]);
          state = r.state;
        }
        expectClose(state!.h.dataSync(), ref.state.h.dataSync(), 1e-5);
        if (ref.state.c) expectClose(state!.c!.dataSync(), ref.state.c.dataSync(), 1e-5);
        for (const t of [xs, x, ref.output, ref.state.h, ref.state.c, state!.h, state!.c]) t?.dispose();
      });
      expect((await settledMemory()).tensors).toBe(before.tensors);
    });
  }

  it('is differentiable: gradients equal those of forward() over a one-step sequence', () => {
    rk.seed(5);
    const lstm = new rk.nn.LSTM({ inputSize: 4, hiddenSize: 5, numLayers: 2 });
    const values = uniform(2 * 4, 9);
    const h = rk.tensor(uniform(2 * 2 * 5, 10), { shape: [2, 2, 5] });
    const c = rk.tensor(uniform(2 * 2 * 5, 12), { shape: [2, 2, 5] });
    const grads = (run: (x: rk.Tensor<'float32'>) => rk.Tensor<'float32'>) => {
      const x = rk.tensor(values, { shape: [2, 4], requiresGrad: true });
      for (const p of lstm.parameters()) p.grad = null;
      rk.tidy(() => rk.sum(rk.mul(run(x), run(x))).backward());
      return [x.grad!.dataSync(), ...lstm.parameters().map((p) => p.grad!.dataSync())];
    };
    const viaStep = grads((x) => lstm.step(x, { h, c }).output);
    const viaForward = grads((x) => lstm.forward(x.reshape([2, 1, 4]), { state: { h, c } }).output.reshape([2, 5]));
    viaStep.forEach((g, i) => expectClose(g, viaForward[i]!, 1e-6));
  });

  it('refuses a bidirectional layer, a wrong x and a wrong state with typed errors', () => {
    const bi = new rk.nn.LSTM({ inputSize: 4, hiddenSize: 3, bidirectional: true });
    expect(() => bi.step(rk.zeros([1, 4]))).toThrow(rk.ArgumentError);
    expect(() => bi.step(rk.zeros([1, 4]))).toThrow(/lstm\.step: a bidirectional layer/);
    const lstm = new rk.nn.LSTM({ inputSize: 4, hiddenSize: 3 });
    expect(() => lstm.step(rk.zeros([1, 1, 4]))).toThrow(rk.ShapeError);
    expect(() => lstm.step(rk.zeros([2, 5]))).toThrow(/lstm\.step: x must be \[batch, inputSize = 4\], got \[2, 5\]/);
    expect(() => lstm.step(rk.zeros([2, 4]), { h: rk.zeros([1, 2, 3]) })).toThrow(/lstm\.step: options\.state\.c is missing/);
    expect(() => lstm.step(rk.zeros([2, 4]), { h: rk.zeros([1, 3, 3]), c: rk.zeros([1, 3, 3]) })).toThrow(rk.ShapeError);
    expect(() => lstm.step('x' as unknown as rk.Tensor<'float32'>)).toThrow(rk.ArgumentError);
  });
});
