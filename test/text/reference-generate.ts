// Reference for native generation: lib/text/generate.ts's decoding loop as it was in JavaScript
// (the prompt through model.run once, then one step per token with the state carried, the
// logits read back and sampled here). The native loop must give the same tokens for a seed.

import { noGrad } from '../../lib/autograd.js';
import { OOV_ID, PAD_ID, type Tokenizer } from '../../lib/data/tokenizers.js';
import type { LanguageModel } from '../../lib/nn/language-model.js';
import type { RecurrentState } from '../../lib/nn/rnn.js';
import { tensor } from '../../lib/ops/creation.js';
import { Random } from '../../lib/random.js';
import { tidy } from '../../lib/scope.js';
import type { Tensor } from '../../lib/tensor.js';
import { candidates, draw } from './reference-sample.js';

export interface ReferenceOptions {
  prompt: string;
  maxTokens: number;
  temperature: number;
  topK?: number;
  topP?: number;
  seed: number;
}

export interface ReferenceToken {
  id: number;
  text: string;
  logits: Float32Array;
}

function step(model: LanguageModel, ids: Int32Array, state: RecurrentState | undefined): { logits: Tensor<'float32'>; state: RecurrentState } {
  return noGrad(() =>
    tidy(() => {
      const out = model.run(tensor(ids, { shape: [1, ids.length], device: model.embedding.weight.device }), state ? { state } : {});
      return { logits: out.logits.narrow(1, ids.length - 1, 1), state: out.state };
    }),
  );
}

function disposeState(state: RecurrentState | undefined): void {
  state?.h.dispose();
  state?.c?.dispose();
}

/** maxTokens tokens continuing options.prompt (no stop strings). */
export async function referenceTokens(model: LanguageModel, tokenizer: Tokenizer, options: ReferenceOptions): Promise<ReferenceToken[]> {
  const sampling = { temperature: options.temperature, topK: options.topK ?? 0, topP: options.topP ?? 1 };
  const random = new Random(options.seed);
  const spaced = tokenizer.kind === 'word';
  const wasTraining = model.training;
  model.eval();
  const tokens: ReferenceToken[] = [];
  let state: RecurrentState | undefined;
  try {
    let input = tokenizer.encode(options.prompt);
    for (let n = 0; n < options.maxTokens; n++) {
      const out = step(model, input, state);
      disposeState(state);
      state = out.state;
      let logits: Float32Array;
      try {
        logits = await out.logits.data();
      } finally {
        out.logits.dispose();
      }
      const id = draw(candidates(logits, sampling, [PAD_ID, OOV_ID]), random);
      tokens.push({ id, text: (spaced ? ' ' : '') + tokenizer.decode([id]), logits });
      input = Int32Array.of(id);
    }
  } finally {
    disposeState(state);
    model.train(wasTraining);
  }
  return tokens;
}
