// Reference for the native sampler (native/core/sampler.cpp): lib/text/sample.ts as it was
// before generation moved to C++. Temperature, top-k and nucleus (top-p) filtering of one step's
// logits in float64, and a draw from a seeded generator, in Hugging Face's order.

import { ArgumentError } from '../../lib/errors.js';
import type { Random } from '../../lib/random.js';

export interface SamplingOptions {
  /** Divides the logits; 0 picks the most likely token (greedy). */
  temperature: number;
  /** Keep only the k most likely tokens; 0 keeps all. */
  topK: number;
  /** Keep the smallest set of most likely tokens whose probabilities sum to at least topP; 1 keeps all. */
  topP: number;
}

/** The tokens that may be drawn and their probabilities (summing to 1), most likely first. */
export interface Candidates {
  ids: Int32Array;
  probs: Float64Array;
}

/**
 * The candidates for the next token from one step's logits. Ids in `excluded` (padding, OOV) and
 * ids with a logit of -Infinity are never candidates. Ties rank the lower id first, so greedy
 * decoding and topK = 1 pick the same token.
 */
export function candidates(logits: ArrayLike<number>, options: SamplingOptions, excluded: readonly number[] = []): Candidates {
  const order: number[] = [];
  for (let id = 0; id < logits.length; id++) {
    const v = logits[id]!;
    if (Number.isNaN(v)) throw new ArgumentError(`generate: the model's logit for token ${id} is NaN`);
    if (v !== -Infinity && !excluded.includes(id)) order.push(id);
  }
  if (order.length === 0) throw new ArgumentError('generate: no token can be drawn (every logit is -Infinity or excluded)');
  order.sort((a, b) => logits[b]! - logits[a]! || a - b);
  const { temperature, topK, topP } = options;
  if (temperature === 0) return { ids: Int32Array.of(order[0]!), probs: Float64Array.of(1) };
  const kept = topK > 0 ? order.slice(0, topK) : order;
  const top = logits[kept[0]!]!;
  let probs = Float64Array.from(kept, (id) => Math.exp((logits[id]! - top) / temperature));
  normalise(probs);
  let n = probs.length;
  if (topP < 1) {
    let sum = 0;
    n = 0;
    while (n < probs.length && sum < topP) sum += probs[n++]!;
    probs = probs.slice(0, n);
    normalise(probs);
  }
  return { ids: Int32Array.from(kept.slice(0, n)), probs };
}

function normalise(probs: Float64Array): void {
  let sum = 0;
  for (const p of probs) sum += p;
  for (let i = 0; i < probs.length; i++) probs[i]! /= sum;
}

/** One id drawn from the candidates with one uniform value of `random`. */
export function draw(c: Candidates, random: Random): number {
  if (c.ids.length === 1) return c.ids[0]!;
  const u = random.next();
  let sum = 0;
  for (let i = 0; i < c.ids.length; i++) {
    sum += c.probs[i]!;
    if (u < sum) return c.ids[i]!;
  }
  return c.ids[c.ids.length - 1]!; // u within rounding of 1
}
