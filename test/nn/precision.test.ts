// The precision option of the recurrent layers: checked, kept in the config the native op gets,
// passed through by the ready models, and on the CPU (which computes float32 for all four)
// giving exactly the fp32 results, so a model moves between devices freely.

import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { uniform } from '../helpers.js';

const PRECISIONS: rk.RnnPrecision[] = ['fp32', 'tf32', 'bf16', 'fp16'];
const onCpu = rk.defaultDevice() === 'cpu';

describe('precision option', () => {
  it("defaults to 'fp32' and is kept in each layer's config", () => {
    expect(new rk.nn.LSTM({ inputSize: 2, hiddenSize: 3 }).config.precision).toBe('fp32');
    for (const precision of PRECISIONS) {
      expect(new rk.nn.LSTM({ inputSize: 2, hiddenSize: 3, precision }).config.precision).toBe(precision);
      expect(new rk.nn.GRU({ inputSize: 2, hiddenSize: 3, precision }).config.precision).toBe(precision);
      expect(new rk.nn.RNN({ inputSize: 2, hiddenSize: 3, precision, nonlinearity: 'relu' }).config.precision).toBe(precision);
      expect(new rk.nn.SequenceClassifier({ vocabSize: 5, numClasses: 2, embeddingDim: 2, hiddenSize: 3, precision }).rnn.config.precision).toBe(precision);
      expect(new rk.nn.LanguageModel({ vocabSize: 5, embeddingDim: 2, hiddenSize: 3, precision }).rnn.config.precision).toBe(precision);
    }
  });

  it('rejects anything else with an ArgumentError naming the option and the four values', () => {
    for (const bad of ['fp64', 'FP16', 'half', '', 16]) {
      const precision = bad as rk.RnnPrecision;
      expect(() => new rk.nn.LSTM({ inputSize: 2, hiddenSize: 3, precision })).toThrow(rk.ArgumentError);
      expect(() => new rk.nn.LSTM({ inputSize: 2, hiddenSize: 3, precision })).toThrow(
        /^nn.LSTM: options.precision must be one of 'fp32', 'tf32', 'bf16', 'fp16', got /,
      );
      expect(() => new rk.nn.GRU({ inputSize: 2, hiddenSize: 3, precision })).toThrow(/^nn.GRU: options.precision/);
      expect(() => new rk.nn.SequenceClassifier({ vocabSize: 5, numClasses: 2, precision })).toThrow(/options.precision must be one of/);
    }
  });

  it.skipIf(!onCpu)('on the CPU every precision gives exactly the fp32 outputs, states and gradients (same seed)', () => {
    const x = rk.tensor(uniform(3 * 6 * 4, 1), { shape: [3, 6, 4] });
    const lengths = [6, 2, 4];
    const run = (mode: 'lstm' | 'gru', precision: rk.RnnPrecision): number[][] => {
      rk.seed(17);
      const options = { inputSize: 4, hiddenSize: 5, numLayers: 2, bidirectional: true, precision };
      const layer = mode === 'lstm' ? new rk.nn.LSTM(options) : new rk.nn.GRU(options);
      return rk.tidy(() => {
        const { output, state } = layer.forward(x, { lengths });
        const parts = [output, state.h, ...(state.c ? [state.c] : [])];
        rk.sum(rk.mul(output, output)).backward();
        const values = [...parts, ...layer.parameters().map((p) => p.grad!)].map((t) => Array.from(t.dataSync()));
        layer.parameters().forEach((p) => p.dispose());
        return values;
      });
    };
    for (const mode of ['lstm', 'gru'] as const) {
      const fp32 = run(mode, 'fp32');
      expect(fp32[0]!.some((v) => v !== 0)).toBe(true);
      for (const precision of PRECISIONS.slice(1)) expect(run(mode, precision)).toEqual(fp32);
    }
    x.dispose();
  });
});
