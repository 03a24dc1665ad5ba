// Text generation from a language model with stateful stepping: the prompt runs through the model
// once, then each new token runs alone with the recurrent state carried from the step before, so
// a token costs one time step whatever the length of the text so far.

import { checkFinite, checkInteger, checkOptions } from '../args.js';
import { noGrad } from '../autograd.js';
import { OOV_ID, PAD_ID, type Tokenizer } from '../data/tokenizers.js';
import { describe } from '../dtype.js';
import { ArgumentError } from '../errors.js';
import { tensor } from '../ops/creation.js';
import { LanguageModel } from '../nn/language-model.js';
import type { RecurrentState } from '../nn/rnn.js';
import { nextSeed, Random } from '../random.js';
import { tidy } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { candidates, draw, type SamplingOptions } from './sample.js';

export interface GenerateOptions {
  /** The text to continue; it must encode to at least one token. */
  prompt: string;
  /** Tokens to generate at most (default 100). */
  maxTokens?: number;
  /** Sampling temperature >= 0 (default 1); 0 is greedy decoding (always the most likely token). */
  temperature?: number;
  /** Sample only among the k most likely tokens (default 0: no limit). */
  topK?: number;
  /** Nucleus sampling: only among the most likely tokens whose probabilities reach topP, in (0, 1] (default 1: no limit). */
  topP?: number;
  /** Seed of the sampler; the same seed, model and options give the same text. Default: drawn from seed(n)'s generator. */
  seed?: number;
  /** Stop once the generated text contains one of these; generate() leaves the stop string out. */
  stop?: string | readonly string[];
}

/** One generated token: its id, its text, and the logits it was drawn from. */
export interface GeneratedToken {
  id: number;
  /** The token's text as it continues the text before it (a word tokenizer's words start with a space). */
  text: string;
  /** The model's next-token logits at this step, [vocabSize]. */
  logits: Float32Array;
}

const OPTIONS = ['prompt', 'maxTokens', 'temperature', 'topK', 'topP', 'seed', 'stop'] as const;

/** Padding and out-of-vocabulary ids are never generated. */
const EXCLUDED = [PAD_ID, OOV_ID];

interface Checked extends SamplingOptions {
  promptIds: Int32Array;
  maxTokens: number;
  seed: number;
  stops: string[];
}

function checkArgs(op: string, model: unknown, tokenizer: unknown, options: unknown): Checked {
  if (!(model instanceof LanguageModel)) throw new ArgumentError(`${op}: model must be an nn.LanguageModel, got ${describe(model)}`);
  const tok = tokenizer as Partial<Tokenizer> | null;
  if (tok == null || typeof tok.encode !== 'function' || typeof tok.decode !== 'function') {
    throw new ArgumentError(`${op}: tokenizer must be a data.CharTokenizer or data.WordTokenizer, got ${describe(tokenizer)}`);
  }
  if (options === undefined) throw new ArgumentError(`${op}: options { prompt } are required`);
  const o = checkOptions(op, options, OPTIONS);
  if (model.embedding.numEmbeddings !== tok.vocabSize) {
    throw new ArgumentError(`${op}: the model's vocabulary has ${model.embedding.numEmbeddings} tokens, the tokenizer's ${tok.vocabSize} (were they trained together?)`);
  }
  if (typeof o.prompt !== 'string') throw new ArgumentError(`${op}: options.prompt must be a string, got ${describe(o.prompt)}`);
  const promptIds = promptTokens(op, o.prompt, tok as Tokenizer);
  const maxTokens = checkInteger(op, 'options.maxTokens', o.maxTokens ?? 100);
  if (maxTokens < 0) throw new ArgumentError(`${op}: options.maxTokens must be >= 0, got ${maxTokens}`);
  const temperature = checkFinite(op, 'options.temperature', o.temperature ?? 1);
  if (temperature < 0) throw new ArgumentError(`${op}: options.temperature must be >= 0 (0 is greedy), got ${temperature}`);
  const topK = checkInteger(op, 'options.topK', o.topK ?? 0);
  if (topK < 0) throw new ArgumentError(`${op}: options.topK must be >= 0 (0: no limit), got ${topK}`);
  const topP = o.topP ?? 1;
  if (typeof topP !== 'number' || !(topP > 0 && topP <= 1)) {
    throw new ArgumentError(`${op}: options.topP must be a number in (0, 1], got ${describe(topP)}`);
  }
  const seed = o.seed === undefined ? nextSeed() : checkInteger(op, 'options.seed', o.seed);
  const stops = o.stop === undefined ? [] : typeof o.stop === 'string' ? [o.stop] : o.stop;
  if (!Array.isArray(stops) || stops.some((s) => typeof s !== 'string' || s === '')) {
    throw new ArgumentError(`${op}: options.stop must be a non-empty string or an array of them, got ${describe(o.stop)}`);
  }
  return { promptIds, maxTokens, temperature, topK, topP, seed, stops: stops as string[] };
}

/**
 * The prompt's ids. A character tokenizer must know every character: an unknown one would reach
 * the model as the OOV token it never saw in training, so it is an error naming the characters.
 */
function promptTokens(op: string, prompt: string, tokenizer: Tokenizer): Int32Array {
  const ids = tokenizer.encode(prompt);
  if (ids.length === 0) throw new ArgumentError(`${op}: options.prompt must encode to at least one token, got ${describe(prompt)}`);
  if (tokenizer.kind === 'char' && ids.includes(OOV_ID)) {
    const unknown = [...new Set(prompt)].filter((c) => tokenizer.encode(c)[0] === OOV_ID);
    const shown = unknown.slice(0, 8).map((c) => `${JSON.stringify(c)} (U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})`);
    const more = unknown.length > 8 ? ` and ${unknown.length - 8} more` : '';
    throw new ArgumentError(`${op}: options.prompt has characters the tokenizer does not know: ${shown.join(', ')}${more}`);
  }
  return ids;
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

/** Runs ids [1, T] from `state` (none: zeros); returns the last step's logits and the new state. */
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

/**
 * The generated tokens one by one, as they are drawn (an async iterator: `for await`). Ends after
 * maxTokens tokens, or after the token that completes a stop string (that token is yielded too).
 * The model runs in evaluation mode (no dropout) and without recording gradients.
 */
export async function* generateTokens(model: LanguageModel, tokenizer: Tokenizer, options: GenerateOptions): AsyncGenerator<GeneratedToken> {
  const op = 'generate';
  const args = checkArgs(op, model, tokenizer, options);
  if (args.maxTokens === 0) return;
  const random = new Random(args.seed);
  const spaced = tokenizer.kind === 'word';
  const wasTraining = model.training;
  model.eval();
  let state: RecurrentState | undefined;
  let text = '';
  try {
    let input = args.promptIds;
    for (let n = 0; n < args.maxTokens; n++) {
      const out = step(model, input, state);
      disposeState(state);
      state = out.state;
      let logits: Float32Array;
      try {
        logits = await out.logits.data();
      } finally {
        out.logits.dispose();
      }
      const id = draw(candidates(logits, args, EXCLUDED), random);
      const piece = (spaced ? ' ' : '') + tokenizer.decode([id]);
      const before = text.length;
      text += piece;
      yield { id, text: piece, logits };
      if (args.stops.length > 0 && findStop(text, args.stops, before) >= 0) return;
      input = Int32Array.of(id);
    }
  } finally {
    disposeState(state);
    model.train(wasTraining);
  }
}

/**
 * Continues `options.prompt` with up to maxTokens tokens drawn from the model (temperature, topK,
 * topP, seeded) and returns the generated text (without the prompt; cut before a stop string).
 */
export async function generate(model: LanguageModel, tokenizer: Tokenizer, options: GenerateOptions): Promise<string> {
  let text = '';
  for await (const token of generateTokens(model, tokenizer, options)) text += token.text;
  const stops = options.stop === undefined ? [] : typeof options.stop === 'string' ? [options.stop] : options.stop;
  const at = findStop(text, stops, 0);
  return at < 0 ? text : text.slice(0, at);
}
