// nn.LanguageModel's cell ('gru'), embeddingDropout and outputDropout: where each dropout acts
// (against the model written out layer by layer with the same seeds), a GRU's state, generation
// from a GRU model (native loop against the JS reference loop), and bad options.

import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { expectClose } from '../helpers.js';
import { referenceTokens } from '../text/reference-generate.js';

const read = (t: rk.Tensor): number[] => Array.from(t.dataSync());
const ids = () => rk.tensor(new Int32Array([3, 1, 4, 1, 5, 8, 2, 6, 5, 3, 5, 8]), { shape: [2, 6] });

describe('nn.LanguageModel options', () => {
  for (const cell of ['lstm', 'gru'] as const) {
    it(`${cell}: training logits are embedding → dropout → ${cell} → dropout → head, with the same masks`, () => {
      rk.seed(1);
      const lm = new rk.nn.LanguageModel({ vocabSize: 9, embeddingDim: 6, hiddenSize: 7, numLayers: 2, cell, embeddingDropout: 0.4, outputDropout: 0.3, dropout: 0.2 });
      expect(lm.rnn).toBeInstanceOf(cell === 'lstm' ? rk.nn.LSTM : rk.nn.GRU);
      rk.tidy(() => {
        const x = ids();
        rk.seed(42);
        const { logits, state } = lm.run(x);
        rk.seed(42);
        const embedded = rk.dropout(lm.embedding.forward(x), 0.4);
        const manual = lm.head!.forward(rk.dropout(lm.rnn.forward(embedded).output, 0.3));
        expect(read(logits)).toEqual(read(manual));
        expect(state.h.shape).toEqual([2, 2, 7]);
        expect(state.c === undefined).toBe(cell === 'gru');
        // The dropouts act: without them (p = 0) the same seed gives other logits.
        rk.seed(42);
        const undropped = lm.head!.forward(lm.rnn.forward(lm.embedding.forward(x)).output);
        expect(read(undropped)).not.toEqual(read(logits));
        // In evaluation mode none of them acts: the same logits for any seed.
        lm.eval();
        rk.seed(1);
        const a = read(lm.run(x).logits);
        rk.seed(2);
        expectClose(read(lm.run(x).logits), a, 0);
        lm.train();
      });
    });
  }

  it('a GRU model continues a sequence from its carried state (no c)', () => {
    rk.seed(2);
    const lm = new rk.nn.LanguageModel({ vocabSize: 9, embeddingDim: 5, hiddenSize: 8, numLayers: 2, cell: 'gru' });
    lm.eval();
    rk.tidy(() => {
      const x = rk.tensor(new Int32Array([3, 1, 4, 1, 5, 8, 2, 6]), { shape: [1, 8] });
      const whole = read(lm.run(x).logits);
      let state: rk.nn.RecurrentState | undefined;
      const steps: number[] = [];
      for (let t = 0; t < 8; t++) {
        const out = lm.run(x.narrow(1, t, 1).contiguous(), state ? { state } : {});
        expect(out.state.c).toBeUndefined();
        steps.push(...read(out.logits));
        state = out.state;
      }
      expectClose(steps, whole, 1e-5);
    });
  });

  it('generation from a GRU model (native loop) equals the JS reference loop', async () => {
    const corpus = 'the quick brown fox jumps over the lazy dog, then sleeps.';
    const tok = rk.data.CharTokenizer.fromCorpus(corpus);
    for (const tieWeights of [false, true]) {
      rk.seed(7);
      const lm = new rk.nn.LanguageModel({ vocabSize: tok.vocabSize, embeddingDim: 16, hiddenSize: 16, numLayers: 2, cell: 'gru', tieWeights, embeddingDropout: 0.5, outputDropout: 0.5 });
      for (const sampling of [{ temperature: 0 }, { temperature: 1, topK: 5 }]) {
        const options = { prompt: 'the lazy', maxTokens: 20, seed: 5, ...sampling };
        const expected = await referenceTokens(lm, tok, options);
        const got: rk.GeneratedToken[] = [];
        for await (const t of rk.generateTokens(lm, tok, options)) got.push(t);
        expect(got.map((t) => t.id)).toEqual(expected.map((t) => t.id));
        got.forEach((t, i) => expectClose(t.logits, expected[i]!.logits, 1e-5));
      }
    }
  });

  it('bad options are ArgumentErrors naming them', () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ cell: 'rnn' }, /nn\.LanguageModel: options\.cell must be one of 'lstm', 'gru', got/],
      [{ embeddingDropout: 1 }, /nn\.LanguageModel: options\.embeddingDropout must be a probability in \[0, 1\), got 1/],
      [{ outputDropout: -0.1 }, /nn\.LanguageModel: options\.outputDropout must be a probability in \[0, 1\), got -0\.1/],
      [{ outputDropout: '0.5' }, /nn\.LanguageModel: options\.outputDropout must be a probability in \[0, 1\), got/],
    ];
    for (const [options, message] of bad) {
      expect(() => new rk.nn.LanguageModel({ vocabSize: 5, ...options } as rk.nn.LanguageModelOptions)).toThrow(rk.ArgumentError);
      expect(() => new rk.nn.LanguageModel({ vocabSize: 5, ...options } as rk.nn.LanguageModelOptions)).toThrow(message);
    }
  });
});
