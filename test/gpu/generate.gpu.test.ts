// Inference on CUDA against the CPU backend: generation's native decoding loop (greedy and
// sampled: the same ids, logits within 1e-4), batched prompts equal to one at a time, and
// layer.step() equal to the CPU's step. Skipped, with the reason, without a working CUDA device
// (a failure with RNNKIT_REQUIRE_GPU=1).

import { expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { expectClose, uniform } from '../helpers.js';
import { cuda, describeGpu } from './helpers.js';

const CORPUS = 'the quick brown fox jumps over the lazy dog; pack my box with five dozen liquor jugs.';

function languageModel(options: { numLayers: number; tieWeights: boolean }): rk.nn.LanguageModel {
  rk.seed(21);
  const tokenizer = rk.data.CharTokenizer.fromCorpus(CORPUS);
  return new rk.nn.LanguageModel({ vocabSize: tokenizer.vocabSize, embeddingDim: 24, hiddenSize: 24, ...options });
}

async function tokens(model: rk.nn.LanguageModel, options: rk.GenerateOptions): Promise<{ ids: number[]; logits: Float32Array[] }> {
  const tokenizer = rk.data.CharTokenizer.fromCorpus(CORPUS);
  const ids: number[] = [];
  const logits: Float32Array[] = [];
  for await (const t of rk.generateTokens(model, tokenizer, options)) {
    ids.push(t.id);
    logits.push(t.logits);
  }
  return { ids, logits };
}

describeGpu('inference on CUDA', () => {
  const SAMPLINGS: { name: string; options: Partial<rk.GenerateOptions> }[] = [
    { name: 'greedy', options: { temperature: 0 } },
    { name: 'sampled (temperature 0.8, topK 10, topP 0.9)', options: { temperature: 0.8, topK: 10, topP: 0.9, seed: 1234 } },
  ];
  for (const numLayers of [1, 2]) {
    for (const tieWeights of [false, true]) {
      for (const { name, options } of SAMPLINGS) {
        it(`generate, ${numLayers} layer(s)${tieWeights ? ', tied' : ''}, ${name}: the CPU's tokens`, async () => {
          const model = languageModel({ numLayers, tieWeights });
          const opts: rk.GenerateOptions = { prompt: 'the quick ', maxTokens: 60, ...options };
          const cpu = await tokens(model, opts);
          model.to(cuda());
          const gpu = await tokens(model, opts);
          expect(gpu.ids).toEqual(cpu.ids);
          gpu.logits.forEach((l, i) => expectClose(l, cpu.logits[i]!, 1e-4));
        });
      }
    }
  }

  it('batched prompts of different lengths equal each prompt alone (seed + i)', async () => {
    const model = languageModel({ numLayers: 2, tieWeights: false }).to(cuda());
    const tokenizer = rk.data.CharTokenizer.fromCorpus(CORPUS);
    const prompts = ['the ', 'pack my box', 'q'];
    const options = { maxTokens: 40, temperature: 0.9, seed: 77 };
    const batched = await rk.generate(model, tokenizer, { prompts, ...options });
    const alone = [];
    for (const [i, prompt] of prompts.entries()) alone.push(await rk.generate(model, tokenizer, { prompt, ...options, seed: options.seed + i }));
    expect(batched).toEqual(alone);
  });

  it("layer.step() equals the CPU's step, state carried", () => {
    rk.seed(8);
    const lstm = new rk.nn.LSTM({ inputSize: 6, hiddenSize: 16, numLayers: 2 });
    const xs = Array.from({ length: 5 }, (_, t) => uniform(3 * 6, 100 + t));
    const run = (device: rk.Device) =>
      rk.noGrad(() => {
        let state: rk.nn.RecurrentState | undefined;
        const outs: Float32Array[] = [];
        for (const x of xs) {
          const r = lstm.step(rk.tensor(x, { shape: [3, 6], device }), state);
          outs.push(r.output.dataSync());
          state = r.state;
        }
        return [...outs, state!.h.dataSync(), state!.c!.dataSync()];
      });
    const cpu = run('cpu');
    lstm.to(cuda());
    run(cuda()).forEach((v, i) => expectClose(v, cpu[i]!, 1e-5));
  });
});
