// Text generation from a language model. The decoding loop runs in the native layer (one task on
// the model's device: the prompts once, then one recurrent step per token from the carried
// state, the sampler in C++), so a token costs no round trip to JavaScript; the tokens stream
// back in batches, and stop strings are found here in the decoded text.

import type { Tokenizer } from '../data/tokenizers.js';
import type { LanguageModel } from '../nn/language-model.js';
import { checkGenerateArgs, type BatchGenerateOptions, type CheckedOptions, type GenerateOptions } from './generate-options.js';
import { startGeneration } from './native-generation.js';

export type { BatchGenerateOptions, GenerateOptions } from './generate-options.js';

/** One generated token: its prompt, id, text, and the logits it was drawn from. */
export interface GeneratedToken {
  /** The index of its prompt in options.prompts (0 for options.prompt). */
  prompt: number;
  id: number;
  /** The token's text as it continues the text before it (a word tokenizer's words start with a space). */
  text: string;
  /** The model's next-token logits at this step, [vocabSize]. */
  logits: Float32Array;
}

/** Where the first stop string starts in text at or after `from`, or -1. */
function findStop(text: string, stops: readonly string[], from: number): number {
  let at = -1;
  for (const s of stops) {
    const i = text.indexOf(s, Math.max(0, from - s.length + 1));
    if (i >= 0 && (at < 0 || i < at)) at = i;
  }
  return at;
}

/**
 * The generated tokens one by one, as they are drawn (an async iterator: `for await`). Each
 * prompt ends after maxTokens tokens, or after the token that completes a stop string (that
 * token is yielded too); with options.prompts the prompts' tokens interleave, step by step.
 * Breaking out early stops the generation. The model runs as in evaluation mode (no dropout),
 * without recording gradients, and is only read.
 */
export async function* generateTokens(
  model: LanguageModel,
  tokenizer: Tokenizer,
  options: GenerateOptions | BatchGenerateOptions,
): AsyncGenerator<GeneratedToken> {
  yield* decode(model, tokenizer, checkGenerateArgs('generate', model, tokenizer, options));
}

/** generateTokens() from checked options. */
async function* decode(model: LanguageModel, tokenizer: Tokenizer, args: CheckedOptions): AsyncGenerator<GeneratedToken> {
  if (args.maxTokens === 0) return;
  const vocab = model.embedding.numEmbeddings;
  const spaced = tokenizer.kind === 'word';
  const texts = args.prompts.map(() => '');
  const stopped = args.prompts.map(() => false);
  let running = args.prompts.length;
  const run = startGeneration('generate', model, args);
  try {
    for (let batch = await run.next(); batch !== null; batch = await run.next()) {
      for (let i = 0; i < batch.ids.length; i++) {
        const prompt = batch.rows[i]!;
        if (stopped[prompt]) continue;
        const id = batch.ids[i]!;
        const text = (spaced ? ' ' : '') + tokenizer.decode([id]);
        const before = texts[prompt]!.length;
        texts[prompt] += text;
        yield { prompt, id, text, logits: batch.logits.slice(i * vocab, (i + 1) * vocab) };
        if (args.stops.length > 0 && findStop(texts[prompt]!, args.stops, before) >= 0) {
          stopped[prompt] = true;
          if (--running === 0) return;
        }
      }
    }
  } finally {
    run.cancel(); // a no-op once the generation has ended
  }
}

/**
 * Continues `options.prompt` (or each of `options.prompts`) with up to maxTokens tokens drawn
 * from the model (temperature, topK, topP, seeded) and returns the generated text (without the
 * prompt; cut before a stop string): a string, or one per prompt.
 */
export async function generate(model: LanguageModel, tokenizer: Tokenizer, options: GenerateOptions): Promise<string>;
export async function generate(model: LanguageModel, tokenizer: Tokenizer, options: BatchGenerateOptions): Promise<string[]>;
export async function generate(model: LanguageModel, tokenizer: Tokenizer, options: GenerateOptions | BatchGenerateOptions): Promise<string | string[]> {
  const args = checkGenerateArgs('generate', model, tokenizer, options);
  const texts = args.prompts.map(() => '');
  for await (const token of decode(model, tokenizer, args)) texts[token.prompt] += token.text;
  const cut = (text: string): string => {
    const at = findStop(text, args.stops, 0);
    return at < 0 ? text : text.slice(0, at);
  };
  return options.prompts === undefined ? cut(texts[0]!) : texts.map(cut);
}
