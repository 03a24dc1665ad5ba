// nn.RNN / nn.LSTM / nn.GRU against PyTorch: every case of test/fixtures/rnn.json (made by
// test/fixtures/make_rnn_fixtures.py) loads PyTorch's weights by name, runs forward and backward,
// and must match outputs and final states to 1e-5 and every gradient to 1e-4.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { expectClose, settledMemory } from '../helpers.js';
import { type Encoded, makeLayer, rnnCases, values } from '../rnn-fixtures.js';

const decode = (e: Encoded, requiresGrad = false): rk.Tensor<'float32'> =>
  rk.tensor(values(e), { shape: e.shape, requiresGrad });

describe('recurrent layers equal PyTorch', () => {
  let baseline: rk.MemoryInfo;
  beforeAll(async () => {
    baseline = await settledMemory();
  });

  it('has fixtures covering every mode, both directions, projection, lengths and states', () => {
    const cases = rnnCases;
    expect(cases.length).toBeGreaterThanOrEqual(30);
    for (const mode of ['rnn_tanh', 'rnn_relu', 'lstm', 'gru']) expect(cases.some((c) => c.config.mode === mode)).toBe(true);
    expect(cases.some((c) => c.config.bidirectional && c.config.numLayers > 1)).toBe(true);
    expect(cases.some((c) => c.config.projSize > 0)).toBe(true);
    expect(cases.some((c) => !c.config.bias)).toBe(true);
    expect(cases.some((c) => c.lengths !== null && new Set(c.lengths).size > 1)).toBe(true);
    expect(cases.some((c) => c.c0 !== null)).toBe(true);
  });

  for (const fx of rnnCases) {
    it(fx.name, () => {
      const layer = makeLayer(fx.config);
      expect(layer.namedParameters().map(([name]) => name)).toEqual(Object.keys(fx.params));
      const state = Object.fromEntries(Object.entries(fx.params).map(([k, v]) => [k, decode(v)]));
      layer.loadStateDict(state);
      for (const t of Object.values(state)) t.dispose();

      const x = decode(fx.x, true);
      const h0 = fx.h0 ? decode(fx.h0, true) : undefined;
      const c0 = fx.c0 ? decode(fx.c0, true) : undefined;
      const loss = rk.tidy(() => {
        const { output, state: out } = layer.forward(x, {
          ...(fx.lengths ? { lengths: fx.lengths } : {}),
          ...(h0 ? { state: c0 ? { h: h0, c: c0 } : { h: h0 } } : {}),
        });
        expectClose(output.dataSync(), values(fx.output), 1e-5);
        expect([...output.shape]).toEqual(fx.output.shape);
        expectClose(out.h.dataSync(), values(fx.h), 1e-5);
        if (fx.c) expectClose(out.c!.dataSync(), values(fx.c), 1e-5);
        else expect(out.c).toBeUndefined();
        let total = rk.add(rk.sum(rk.mul(output, decode(fx.wOut))), rk.sum(rk.mul(out.h, decode(fx.wH))));
        if (fx.wC) total = rk.add(total, rk.sum(rk.mul(out.c!, decode(fx.wC))));
        return total;
      });
      loss.backward();
      expectClose(x.grad!.dataSync(), values(fx.grads.x!), 1e-4);
      if (h0) expectClose(h0.grad!.dataSync(), values(fx.grads.h0!), 1e-4);
      if (c0) expectClose(c0.grad!.dataSync(), values(fx.grads.c0!), 1e-4);
      for (const [name, p] of layer.namedParameters()) {
        const expected = fx.grads[name];
        expect(expected, `fixture has a gradient for ${name}`).toBeTruthy();
        try {
          expectClose(p.grad!.dataSync(), values(expected!), 1e-4);
        } catch (err) {
          throw new Error(`gradient of ${name}: ${(err as Error).message}`, { cause: err });
        }
      }
      for (const t of [x, h0, c0, loss]) {
        t?.grad?.dispose();
        t?.dispose();
      }
      for (const p of layer.parameters()) p.grad?.dispose();
    });
  }

  afterAll(async () => {
    // The layers themselves were dropped, not disposed: after collection nothing may remain.
    expect(await settledMemory()).toEqual(baseline);
  });
});
