// generate()'s options and their checks: every bad value is an ArgumentError naming the option.

import { checkFinite, checkInteger, checkOptions } from '../args.js';
import { OOV_ID, type Tokenizer } from '../data/tokenizers.js';
import { describe } from '../dtype.js';
import { ArgumentError } from '../errors.js';
import { LanguageModel } from '../nn/language-model.js';
import { nextSeed } from '../random.js';

interface SamplingSettings {
  /** Tokens to generate at most (default 100), per prompt. */
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

export interface GenerateOptions extends SamplingSettings {
  /** The text to continue; it must encode to at least one token. */
  prompt: string;
  prompts?: never;
}

export interface BatchGenerateOptions extends SamplingSettings {
  /**
   * Several texts to continue together (different lengths are fine), each with its own stop
   * handling. Prompt i draws from its own generator seeded `(seed + i) >>> 0`, so its text is the
   * text that generating prompt i alone with `seed: seed + i` gives.
   */
  prompts: readonly string[];
  prompt?: never;
}

const OPTIONS = ['prompt', 'prompts', 'maxTokens', 'temperature', 'topK', 'topP', 'seed', 'stop'] as const;

export interface CheckedOptions {
  /** Each prompt's ids (one entry for options.prompt). */
  prompts: Int32Array[];
  maxTokens: number;
  temperature: number;
  topK: number;
  topP: number;
  seed: number;
  stops: string[];
}

export function checkGenerateArgs(op: string, model: unknown, tokenizer: unknown, options: unknown): CheckedOptions {
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
  const prompts = promptList(op, o.prompt, o.prompts, tok as Tokenizer);
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
  return { prompts, maxTokens, temperature, topK, topP, seed, stops: stopList(op, o.stop) };
}

/** options.stop as a list (empty without one). */
function stopList(op: string, stop: unknown): string[] {
  const stops = stop === undefined ? [] : typeof stop === 'string' ? [stop] : stop;
  if (!Array.isArray(stops) || stops.some((s) => typeof s !== 'string' || s === '')) {
    throw new ArgumentError(`${op}: options.stop must be a non-empty string or an array of them, got ${describe(stop)}`);
  }
  return stops as string[];
}

function promptList(op: string, prompt: unknown, prompts: unknown, tokenizer: Tokenizer): Int32Array[] {
  if ((prompt === undefined) === (prompts === undefined)) {
    throw new ArgumentError(`${op}: options must have exactly one of prompt and prompts, got ${prompt === undefined ? 'neither' : 'both'}`);
  }
  if (prompts === undefined) {
    if (typeof prompt !== 'string') throw new ArgumentError(`${op}: options.prompt must be a string, got ${describe(prompt)}`);
    return [promptTokens(op, 'options.prompt', prompt, tokenizer)];
  }
  if (!Array.isArray(prompts) || prompts.length === 0) {
    throw new ArgumentError(`${op}: options.prompts must be a non-empty array of strings, got ${describe(prompts)}`);
  }
  return prompts.map((p: unknown, i) => {
    if (typeof p !== 'string') throw new ArgumentError(`${op}: options.prompts[${i}] must be a string, got ${describe(p)}`);
    return promptTokens(op, `options.prompts[${i}]`, p, tokenizer);
  });
}

/**
 * The prompt's ids. A character tokenizer must know every character: an unknown one would reach
 * the model as the OOV token it never saw in training, so it is an error naming the characters.
 */
function promptTokens(op: string, name: string, prompt: string, tokenizer: Tokenizer): Int32Array {
  const ids = tokenizer.encode(prompt);
  if (ids.length === 0) throw new ArgumentError(`${op}: ${name} must encode to at least one token, got ${describe(prompt)}`);
  if (tokenizer.kind === 'char' && ids.includes(OOV_ID)) {
    const unknown = [...new Set(prompt)].filter((c) => tokenizer.encode(c)[0] === OOV_ID);
    const shown = unknown.slice(0, 8).map((c) => `${JSON.stringify(c)} (U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})`);
    const more = unknown.length > 8 ? ` and ${unknown.length - 8} more` : '';
    throw new ArgumentError(`${op}: ${name} has characters the tokenizer does not know: ${shown.join(', ')}${more}`);
  }
  return ids;
}
