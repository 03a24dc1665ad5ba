// Native generation against the JS loop it replaced (test/text/reference-generate.ts): the same
// ids and logits for a seed, batched prompts against each prompt alone, cancellation, failures
// inside the loop, and the batch options.

import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { native } from '../../lib/native.js';
import { expectClose, settledMemory } from '../helpers.js';
import { referenceTokens, type ReferenceOptions } from './reference-generate.js';

const CORPUS = 'the quick brown fox jumps over the lazy dog, then sleeps.';
const chars = rk.data.CharTokenizer.fromCorpus(CORPUS);
const words = rk.data.WordTokenizer.fromVocabulary(['', '[UNK]', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight']);

function model(vocabSize: number, numLayers: number, tieWeights: boolean): rk.nn.LanguageModel {
  rk.seed(100 + numLayers + (tieWeights ? 10 : 0));
  const size = tieWeights ? 24 : 16;
  return new rk.nn.LanguageModel({ vocabSize, embeddingDim: size, hiddenSize: tieWeights ? size : 20, numLayers, tieWeights, dropout: numLayers > 1 ? 0.3 : 0 });
}

async function nativeTokens(lm: rk.nn.LanguageModel, tok: rk.data.Tokenizer, options: rk.GenerateOptions | rk.BatchGenerateOptions): Promise<rk.GeneratedToken[]> {
  const tokens: rk.GeneratedToken[] = [];
  for await (const t of rk.generateTokens(lm, tok, options)) tokens.push(t);
  return tokens;
}

function expectSameTokens(actual: readonly rk.GeneratedToken[], expected: readonly { id: number; text: string; logits: Float32Array }[], what: string): void {
  expect(actual.map((t) => t.id), what).toEqual(expected.map((t) => t.id));
  expect(actual.map((t) => t.text).join(''), what).toBe(expected.map((t) => t.text).join(''));
  actual.forEach((t, i) => expectClose(t.logits, expected[i]!.logits, 1e-5));
}

const SAMPLINGS = [{ temperature: 0 }, { temperature: 1.2 }, { temperature: 0.8, topK: 5 }, { temperature: 1, topP: 0.9 }, { temperature: 0.9, topK: 8, topP: 0.8 }];

describe('native generation equals the JS loop it replaced', () => {
  for (const numLayers of [1, 2]) {
    for (const tied of [false, true]) {
      it(`${numLayers} layer(s), ${tied ? 'tied' : 'untied'}: char and word tokenizers, greedy and sampled`, async () => {
        for (const [tok, prompt] of [[chars, 'the lazy'], [words, 'two one four']] as const) {
          const lm = model(tok.vocabSize, numLayers, tied);
          lm.train(); // generation runs as in evaluation mode whatever the model's mode
          for (const [n, sampling] of SAMPLINGS.entries()) {
            const options: ReferenceOptions = { prompt, maxTokens: 25, seed: 31 + n, ...sampling };
            const expected = await referenceTokens(lm, tok, options);
            expectSameTokens(await nativeTokens(lm, tok, options), expected, `${tok.kind} ${JSON.stringify(sampling)}`);
          }
          expect(lm.training).toBe(true);
        }
      });
    }
  }
});

describe('batched generation', () => {
  const lm = model(chars.vocabSize, 2, false);
  const prompts = ['t', 'the quick b', 'jumps o'];

  it('equals generating each prompt alone with seed + i, tokens tagged with their prompt', async () => {
    for (const sampling of [{ temperature: 0 }, { temperature: 1.1, topK: 10 }, { temperature: 0.9, topP: 0.85 }]) {
      const options = { prompts, maxTokens: 20, seed: 7, ...sampling };
      const tokens = await nativeTokens(lm, chars, options);
      expect(tokens.length).toBe(60);
      for (const [i, prompt] of prompts.entries()) {
        const expected = await referenceTokens(lm, chars, { prompt, maxTokens: 20, seed: 7 + i, ...sampling });
        expectSameTokens(tokens.filter((t) => t.prompt === i), expected, `prompt ${i} ${JSON.stringify(sampling)}`);
      }
      const texts = await rk.generate(lm, chars, options);
      expect(texts).toEqual(await Promise.all(prompts.map((prompt, i) => rk.generate(lm, chars, { prompt, maxTokens: 20, seed: 7 + i, ...sampling }))));
    }
  });

  it('stops each prompt at its own stop string', async () => {
    const alone = await Promise.all(prompts.map((prompt, i) => rk.generate(lm, chars, { prompt, maxTokens: 30, seed: 3 + i, temperature: 1 })));
    const stop = [alone[0]!.slice(2, 4), alone[2]!.slice(5, 7)];
    const cut = await Promise.all(prompts.map((prompt, i) => rk.generate(lm, chars, { prompt, maxTokens: 30, seed: 3 + i, temperature: 1, stop })));
    expect(cut[0]!.length).toBeLessThan(alone[0]!.length);
    expect(await rk.generate(lm, chars, { prompts, maxTokens: 30, seed: 3, temperature: 1, stop })).toEqual(cut);
    // Each prompt's tokens end with the one that completes its stop string.
    const tokens = await nativeTokens(lm, chars, { prompts, maxTokens: 30, seed: 3, temperature: 1, stop });
    for (const [i, text] of cut.entries()) {
      const mine = tokens.filter((t) => t.prompt === i).map((t) => t.text).join('');
      expect(mine.startsWith(text)).toBe(true);
      if (text.length < alone[i]!.length) expect(stop.some((s) => mine.endsWith(s))).toBe(true);
    }
  });

  it('maxTokens 0 gives an empty text per prompt', async () => {
    expect(await rk.generate(lm, chars, { prompts, maxTokens: 0 })).toEqual(['', '', '']);
  });
});

describe('cancellation and failures', () => {
  const lm = model(chars.vocabSize, 1, true);
  const options = { prompt: 'the', maxTokens: 30, seed: 9, temperature: 1 };

  it('breaking out early cancels the native loop; the model then generates as before', async () => {
    const before = await settledMemory();
    let seen = 0;
    // Without the cancellation this would run for minutes: the test's timeout would fail it.
    for await (const t of rk.generateTokens(lm, chars, { prompt: 'the', maxTokens: 10_000_000 })) if (++seen === 3 && t.id >= 0) break;
    await rk.sync();
    expect(seen).toBe(3);
    expectSameTokens(await nativeTokens(lm, chars, options), await referenceTokens(lm, chars, options), 'after the break');
    expect((await settledMemory()).tensors).toBe(before.tensors);
  });

  it('a NaN logit rejects with a typed error; the model works again once fixed', async () => {
    const bias = await lm.headBias!.data();
    const poisoned = Float32Array.from(bias);
    poisoned[5] = NaN;
    const set = (values: Float32Array): void => {
      const t = rk.tensor(values);
      lm.loadStateDict({ head_bias: t }, { strict: false });
      t.dispose();
    };
    set(poisoned);
    await expect(rk.generate(lm, chars, options)).rejects.toThrow(rk.ArgumentError);
    await expect(rk.generate(lm, chars, options)).rejects.toThrow("generate: the model's logit for token 5 is NaN");
    set(bias);
    expectSameTokens(await nativeTokens(lm, chars, options), await referenceTokens(lm, chars, options), 'after the NaN');
  });

  it('a stream poisoned before the generation rejects it with that failure, then the device works', async () => {
    native.injectFault('cpu', 'simulated kernel failure');
    await expect(rk.generate(lm, chars, options)).rejects.toThrow(rk.BackendError);
    native.injectFault('cpu', 'simulated kernel failure');
    await expect(rk.generate(lm, chars, options)).rejects.toThrow(/simulated kernel failure/);
    await rk.sync();
    expectSameTokens(await nativeTokens(lm, chars, options), await referenceTokens(lm, chars, options), 'after the fault');
  });
});

describe('batch options', () => {
  const lm = model(chars.vocabSize, 1, false);
  const bad = async (options: Record<string, unknown>, pattern: RegExp): Promise<void> => {
    await expect(rk.generate(lm, chars, options as unknown as rk.GenerateOptions)).rejects.toThrow(rk.ArgumentError);
    await expect(rk.generate(lm, chars, options as unknown as rk.GenerateOptions)).rejects.toThrow(pattern);
  };

  it('are ArgumentErrors naming the option', async () => {
    await bad({ prompt: 'the', prompts: ['the'] }, /options must have exactly one of prompt and prompts, got both/);
    await bad({ maxTokens: 3 }, /options must have exactly one of prompt and prompts, got neither/);
    await bad({ prompts: [] }, /options\.prompts must be a non-empty array of strings, got/);
    await bad({ prompts: 'the' }, /options\.prompts must be a non-empty array of strings, got/);
    await bad({ prompts: ['the', 3] }, /options\.prompts\[1\] must be a string, got 3/);
    await bad({ prompts: ['the', 'a', ''] }, /options\.prompts\[2\] must encode to at least one token/);
    await bad({ prompts: ['the', 'é'] }, /options\.prompts\[1\] has characters the tokenizer does not know: "é"/);
    await bad({ prompts: ['the'], topP: 0 }, /options\.topP must be a number in \(0, 1\], got 0/);
  });
});
