// generate(): the native loop against whole-sequence runs, the sampling filters against
// probabilities computed here in float64, seeded repeatability, stop strings, and bad options.

import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import * as rk from '../lib/index.js';
import { candidates } from './text/reference-sample.js';
import { expectClose, settledMemory } from './helpers.js';

const TEXT = 'hello world '.repeat(40);

/** A small character LM trained on a repeated phrase ('l' and 'o' need context to continue). */
async function trainedModel(): Promise<{ lm: rk.nn.LanguageModel; tok: rk.data.CharTokenizer }> {
  rk.seed(7);
  const tok = rk.data.CharTokenizer.fromCorpus(TEXT);
  const lm = new rk.nn.LanguageModel({ vocabSize: tok.vocabSize, embeddingDim: 8, hiddenSize: 24, numLayers: 2 });
  await rk.train.fit(lm, {
    data: rk.data.textWindows(tok.encode(TEXT), { time: 16, stride: 4, batchSize: 8, seed: 0 }),
    epochs: 8,
    optimizer: new rk.optim.Adam(lm.parameters(), { lr: 0.02 }),
    loss: (logits, batch) => rk.crossEntropy(logits, batch.targets),
    progress: 'off',
  });
  return { lm, tok };
}

/**
 * A model whose logits are `bias` at every step whatever the input: the output layer's weight is
 * zero, so the known distribution can be checked by counting draws.
 */
function constantModel(bias: number[]): rk.nn.LanguageModel {
  const v = bias.length;
  const lm = new rk.nn.LanguageModel({ vocabSize: v, embeddingDim: 4, hiddenSize: 4 });
  const weight = rk.zeros([v, 4]);
  const b = rk.tensor(Float32Array.from(bias));
  lm.loadStateDict({ 'head.weight': weight, 'head.bias': b }, { strict: false });
  weight.dispose();
  b.dispose();
  return lm;
}

/** Independent reference: softmax(bias / T) over ids >= 2, then top-k, then top-p, renormalised. */
function referenceProbs(bias: number[], temperature: number, topK: number, topP: number): Map<number, number> {
  let ids = bias.map((_, i) => i).filter((i) => i >= 2);
  ids.sort((a, b) => bias[b]! - bias[a]! || a - b);
  if (topK > 0) ids = ids.slice(0, topK);
  const z = ids.reduce((s, i) => s + Math.exp(bias[i]! / temperature), 0);
  let probs = ids.map((i) => Math.exp(bias[i]! / temperature) / z);
  if (topP < 1) {
    let cum = 0;
    let n = 0;
    while (cum < topP) cum += probs[n++]!;
    ids = ids.slice(0, n);
    const kept = probs.slice(0, n);
    const s = kept.reduce((a, p) => a + p, 0);
    probs = kept.map((p) => p / s);
  }
  return new Map(ids.map((id, i) => [id, probs[i]!]));
}

/** The 0.999 quantile of chi-square with df degrees of freedom (df 1..5). */
const CHI2_999 = [NaN, 10.83, 13.82, 16.27, 18.47, 20.52];

describe('generate: stateful stepping', () => {
  let lm: rk.nn.LanguageModel;
  let tok: rk.data.CharTokenizer;
  beforeAll(async () => {
    ({ lm, tok } = await trainedModel());
  }, 240_000);
  afterEach(() => vi.restoreAllMocks());

  it('greedy decoding equals an argmax loop over whole-sequence runs, logits within 1e-5', async () => {
    const prompt = 'wor';
    const steps: rk.GeneratedToken[] = [];
    for await (const t of rk.generateTokens(lm, tok, { prompt, maxTokens: 20, temperature: 0 })) steps.push(t);
    expect(steps.length).toBe(20);

    // Reference: run the whole text so far (no carried state) and take the best id >= 2.
    lm.eval();
    const ids = Array.from(tok.encode(prompt));
    for (const [n, step] of steps.entries()) {
      const logits = rk.noGrad(() =>
        rk.tidy(() => {
          const all = lm.run(rk.tensor(Int32Array.from(ids), { shape: [1, ids.length] })).logits;
          return Array.from(all.narrow(1, ids.length - 1, 1).dataSync());
        }),
      );
      expectClose(step.logits, logits, 1e-5);
      let best = 2;
      for (let id = 3; id < logits.length; id++) if (logits[id]! > logits[best]!) best = id;
      expect(step.id, `step ${n}`).toBe(best);
      ids.push(best);
    }
    const text = steps.map((s) => s.text).join('');
    expect(text).toBe(tok.decode(ids.slice(prompt.length)));
    expect(text.startsWith('ld hello world')).toBe(true); // the model learnt the phrase
  });

  it("runs in the native layer: the model's JS forward is never called", async () => {
    const spy = vi.spyOn(lm, 'run');
    await rk.generate(lm, tok, { prompt: 'hello wo', maxTokens: 30, temperature: 0.7, seed: 3 });
    expect(spy).not.toHaveBeenCalled();
  });

  it('topK = 1 equals greedy at any temperature', async () => {
    const greedy = await rk.generate(lm, tok, { prompt: 'he', maxTokens: 25, temperature: 0 });
    for (const temperature of [0.5, 1, 3]) {
      expect(await rk.generate(lm, tok, { prompt: 'he', maxTokens: 25, temperature, topK: 1, seed: 11 })).toBe(greedy);
    }
  });

  it('a seed reproduces the text; the model comes back in its training mode and nothing leaks', async () => {
    const before = await settledMemory();
    lm.train();
    const options = { prompt: 'o', maxTokens: 40, temperature: 1.5, seed: 42 };
    const a = await rk.generate(lm, tok, options);
    expect(await rk.generate(lm, tok, options)).toBe(a);
    expect(a.length).toBe(40);
    expect(await rk.generate(lm, tok, { ...options, seed: 43 })).not.toBe(a);
    rk.seed(5);
    const b = await rk.generate(lm, tok, { prompt: 'o', maxTokens: 40, temperature: 1.5 });
    rk.seed(5);
    expect(await rk.generate(lm, tok, { prompt: 'o', maxTokens: 40, temperature: 1.5 })).toBe(b);
    expect(lm.training).toBe(true);
    expect((await settledMemory()).tensors).toBe(before.tensors);
  });

  it('stops at a stop string, which generate() leaves out; breaking out of the iterator frees the state', async () => {
    const full = await rk.generate(lm, tok, { prompt: 'hello ', maxTokens: 30, temperature: 0 });
    const cut = full.indexOf('o w');
    expect(cut).toBeGreaterThan(0);
    expect(await rk.generate(lm, tok, { prompt: 'hello ', maxTokens: 30, temperature: 0, stop: ['zz', 'o w'] })).toBe(full.slice(0, cut));
    const pieces: string[] = [];
    for await (const t of rk.generateTokens(lm, tok, { prompt: 'hello ', maxTokens: 30, temperature: 0, stop: 'o w' })) pieces.push(t.text);
    expect(pieces.join('')).toBe(full.slice(0, cut + 3));

    const before = await settledMemory();
    for await (const t of rk.generateTokens(lm, tok, { prompt: 'h', maxTokens: 30 })) if (t.id >= 0) break;
    expect((await settledMemory()).tensors).toBe(before.tensors);
  });
});

describe('generate: sampling filters', () => {
  const bias = [6, 6, 1.0, 0.4, 0, -0.3, -1.2]; // ids 0 (padding) and 1 (OOV) are never drawn
  const tok = rk.data.CharTokenizer.fromVocabulary(['', '[UNK]', 'a', 'b', 'c', 'd', 'e']);
  let lm: rk.nn.LanguageModel;
  beforeAll(() => {
    rk.seed(1);
    lm = constantModel(bias);
  });

  it('candidates() gives the reference probabilities (float64, 1e-12)', () => {
    for (const [temperature, topK, topP] of [[1, 0, 1], [0.7, 0, 1], [1.3, 3, 1], [1, 0, 0.8], [0.9, 4, 0.7], [2, 2, 0.99]] as const) {
      const c = candidates(bias, { temperature, topK, topP }, [0, 1]);
      const ref = referenceProbs(bias, temperature, topK, topP);
      expect(Array.from(c.ids)).toEqual([...ref.keys()]);
      expectClose(c.probs, [...ref.values()], 1e-12);
    }
    expect(Array.from(candidates(bias, { temperature: 0, topK: 0, topP: 1 }, [0, 1]).ids)).toEqual([2]);
    expect(() => candidates([0, NaN], { temperature: 1, topK: 0, topP: 1 })).toThrow(/logit for token 1 is NaN/);
  });

  // 2000 draws with a fixed seed; the frequencies must fit the reference distribution with a
  // chi-square statistic below its 0.999 quantile, and filtered tokens must never appear.
  it.each([
    [1, 0, 1],
    [0.8, 3, 1],
    [1, 0, 0.75],
    [1.5, 4, 0.9],
  ])('draws follow softmax(logits / %f), topK %i, topP %f', async (temperature, topK, topP) => {
    const n = 2000;
    const counts = new Map<number, number>();
    for await (const t of rk.generateTokens(lm, tok, { prompt: 'a', maxTokens: n, temperature, topK, topP, seed: 2024 })) {
      counts.set(t.id, (counts.get(t.id) ?? 0) + 1);
    }
    const ref = referenceProbs(bias, temperature, topK, topP);
    for (const id of counts.keys()) expect(ref.has(id), `id ${id} was filtered out but drawn`).toBe(true);
    let chi2 = 0;
    for (const [id, p] of ref) chi2 += ((counts.get(id) ?? 0) - n * p) ** 2 / (n * p);
    expect(chi2).toBeLessThan(CHI2_999[ref.size - 1]!);
  });

  it('word tokenizers continue with space-separated words', async () => {
    const words = rk.data.WordTokenizer.fromVocabulary(['', '[UNK]', 'one', 'two', 'three', 'four', 'five']);
    expect(await rk.generate(lm, words, { prompt: 'two', maxTokens: 3, temperature: 0 })).toBe(' one one one');
  });

  it('bad options are ArgumentErrors naming the option', async () => {
    const bad = async (options: Record<string, unknown>, pattern: RegExp): Promise<void> => {
      await expect(rk.generate(lm, tok, { prompt: 'ab', ...options } as rk.GenerateOptions)).rejects.toThrow(rk.ArgumentError);
      await expect(rk.generate(lm, tok, { prompt: 'ab', ...options } as rk.GenerateOptions)).rejects.toThrow(pattern);
    };
    await bad({ temperature: -0.5 }, /options\.temperature must be >= 0/);
    await bad({ temperature: Infinity }, /options\.temperature must be a finite number/);
    await bad({ topP: 0 }, /options\.topP must be a number in \(0, 1\], got 0/);
    await bad({ topP: 1.5 }, /options\.topP must be a number in \(0, 1\], got 1\.5/);
    await bad({ topK: -1 }, /options\.topK must be >= 0/);
    await bad({ topK: 2.5 }, /options\.topK must be a finite integer/);
    await bad({ maxTokens: -3 }, /options\.maxTokens must be >= 0/);
    await bad({ stop: '' }, /options\.stop must be a non-empty string/);
    await bad({ prompt: 'abé!' }, /options\.prompt has characters the tokenizer does not know: "é" \(U\+00E9\), "!" \(U\+0021\)/);
    await bad({ prompt: '' }, /options\.prompt must encode to at least one token/);
    await bad({ prompt: 3 }, /options\.prompt must be a string/);
    await bad({ top_p: 0.5 }, /unknown option 'top_p'/);
    const other = rk.data.CharTokenizer.fromVocabulary(['', '[UNK]', 'a']);
    await expect(rk.generate(lm, other, { prompt: 'a' })).rejects.toThrow(/the model's vocabulary has 7 tokens, the tokenizer's 3/);
  });
});

describe('examples/generate.mjs', () => {
  it('learns the rhyme and continues the prompt greedily, sampled and streamed', async () => {
    const lines: string[] = [];
    let streamed = '';
    const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args.join(' ')));
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((streamed += String(chunk)), true));
    try {
      const specifier = '../examples/generate.mjs';
      await import(specifier);
    } finally {
      log.mockRestore();
      write.mockRestore();
    }
    expect(lines[0]).toBe('greedy: how I wonder what you are. twinkle, twinkle, li');
    const sampled = /^sampled: (.*)$/.exec(lines[1]!)![1]!;
    expect(sampled).toHaveLength('how I w'.length + 40);
    expect(streamed).toMatch(/^streamed: how I w[^.]*\.\n$/);
  });
});
