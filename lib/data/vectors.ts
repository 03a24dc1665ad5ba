// The embedding table a tokenizer needs from pretrained word vectors: row id holds the vector of
// the tokenizer's token id, so nn.Embedding.fromPretrained(weights) and tokenizer.encode() agree.
// Tokens the vectors lack get seeded random rows, and are reported (how many, which).

import { checkFinite, checkInteger, checkOptions } from '../args.js';
import { describe } from '../dtype.js';
import { ArgumentError, DTypeError, ShapeError } from '../errors.js';
import type { WordVectors } from '../io/word-vectors.js';
import { tensor } from '../ops/creation.js';
import { nextSeed, Random } from '../random.js';
import { Tensor } from '../tensor.js';
import { OOV_ID, PAD_ID, type Tokenizer } from './tokenizers.js';

export interface AlignVectorsOptions {
  /** Seed of the random rows (default: drawn from rnnkit's global generator, so rk.seed() fixes it). */
  seed?: number;
  /** Standard deviation of the random rows (default: that of all the pretrained values, so they are of the same scale). */
  std?: number;
}

export interface AlignedVectors {
  /** [tokenizer.vocabSize, dim] float32: the padding row zeros, the OOV row and missing tokens random. */
  weights: Tensor<'float32'>;
  /** How many tokens of the vocabulary (padding and OOV not counted) the vectors lack. */
  missing: number;
  /** Those tokens, in id order. */
  missingWords: string[];
}

/** Standard deviation of values (0 when empty), accumulated in float64. */
function stdOf(values: Float32Array): number {
  if (values.length === 0) return 0;
  let sum = 0;
  for (const x of values) sum += x;
  const mean = sum / values.length;
  let sq = 0;
  for (const x of values) sq += (x - mean) * (x - mean);
  return Math.sqrt(sq / values.length);
}

/**
 * The embedding table for `tokenizer` (any rnnkit tokenizer; WordTokenizer.fromVectors() makes one
 * whose words come from the vectors) from word vectors (io.loadWordVectors()'s result): the row of
 * each token id is the token's vector; the padding row is zeros; the OOV row and the rows of tokens
 * the vectors lack are N(0, std) from a generator seeded with options.seed. Tokens are matched as
 * written (load lowercase vectors for a lowercasing tokenizer). The table is on the vectors' device.
 */
export async function alignVectors(tokenizer: Tokenizer, wordVectors: WordVectors, options?: AlignVectorsOptions): Promise<AlignedVectors> {
  const op = 'data.alignVectors';
  const opts = checkOptions(op, options, ['seed', 'std'] as const);
  if (tokenizer === null || typeof tokenizer !== 'object' || typeof (tokenizer as Partial<Tokenizer>).vocabulary !== 'function') {
    throw new ArgumentError(`${op}: tokenizer must be an rnnkit tokenizer (with vocabulary()), got ${describe(tokenizer)}`);
  }
  const wv = wordVectors as Partial<WordVectors> | null;
  if (wv === null || typeof wv !== 'object' || !Array.isArray(wv.words) || !(wv.vectors instanceof Tensor)) {
    throw new ArgumentError(`${op}: wordVectors must be { words, vectors } as io.loadWordVectors returns, got ${describe(wordVectors)}`);
  }
  const { words, vectors } = wv as WordVectors;
  if (vectors.dtype !== 'float32') throw new DTypeError(`${op}: wordVectors.vectors must be float32, got ${vectors.dtype}`);
  if (vectors.rank !== 2 || vectors.shape[0] !== words.length || vectors.shape[1]! < 1) {
    throw new ShapeError(`${op}: wordVectors.vectors must have shape [words.length, dim] = [${words.length}, dim >= 1], got [${vectors.shape.join(', ')}]`);
  }
  const seed = opts.seed === undefined ? nextSeed() : checkInteger(op, 'options.seed', opts.seed);
  const given = opts.std === undefined ? undefined : checkFinite(op, 'options.std', opts.std);
  if (given !== undefined && given < 0) throw new ArgumentError(`${op}: options.std must be >= 0, got ${given}`);

  const dim = vectors.shape[1]!;
  const values = (await vectors.data()) as Float32Array;
  const rowOf = new Map<string, number>();
  words.forEach((w, i) => {
    if (!rowOf.has(w)) rowOf.set(w, i);
  });
  const std = given ?? (words.length > 0 ? stdOf(values) : 1);
  const vocabulary = tokenizer.vocabulary();
  const weights = new Float32Array(vocabulary.length * dim);
  const random = new Random(seed);
  const missingWords: string[] = [];
  vocabulary.forEach((token, id) => {
    if (id === PAD_ID) return;
    const row = id === OOV_ID ? undefined : rowOf.get(token);
    if (row !== undefined) {
      weights.set(values.subarray(row * dim, (row + 1) * dim), id * dim);
      return;
    }
    if (id !== OOV_ID) missingWords.push(token);
    // N(0, std) by Box-Muller from the local seeded generator (the global one is left alone).
    for (let j = 0; j < dim; j++) {
      const r = Math.sqrt(-2 * Math.log(1 - random.next()));
      weights[id * dim + j] = std * r * Math.cos(2 * Math.PI * random.next());
    }
  });
  return {
    weights: tensor(weights, { shape: [vocabulary.length, dim], device: vectors.device }),
    missing: missingWords.length,
    missingWords,
  };
}
