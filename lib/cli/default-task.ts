// The demo task `rnnkit train` runs with no flags: generated, seeded text classification that
// needs memory of both ends of each sequence. A text is a run of letters a..p of random length;
// the class (0..3) is 2 · [the first letter is in a..h] + [the last letter is in a..h]. The letters
// between are noise drawn from the same alphabet, so only position tells the ends apart, and
// either end alone gets at most half of the texts right.

import { Random } from '../random.js';
import type { SequenceClassifierOptions } from '../nn/classifier.js';

export const DEFAULT_LETTERS = 'abcdefghijklmnop';
export const DEFAULT_CLASSES = 4;

/** The demo's fixed settings (the train command's flags may override the training ones). */
export const DEFAULT_TASK = {
  trainSize: 4000,
  validationSize: 1000,
  minLength: 8,
  maxLength: 40,
  seed: 1,
  model: { embeddingDim: 16, hiddenSize: 48, numLayers: 2, bidirectional: true, cell: 'lstm' } satisfies Partial<SequenceClassifierOptions>,
  epochs: 3,
  batchSize: 32,
  lr: 0.006,
} as const;

export interface LabelledText {
  text: string;
  label: number;
}

/** The class of a text of the task: 2 · [first letter in a..h] + [last letter in a..h]. */
export function defaultTaskLabel(text: string): number {
  const low = (c: string): number => Number(DEFAULT_LETTERS.indexOf(c) < DEFAULT_LETTERS.length / 2);
  return 2 * low(text[0]!) + low(text[text.length - 1]!);
}

/** n texts of the task with lengths uniform in [minLength, maxLength], from `seed`. */
export function defaultTaskTexts(n: number, seed: number, minLength: number = DEFAULT_TASK.minLength, maxLength: number = DEFAULT_TASK.maxLength): LabelledText[] {
  const random = new Random(seed);
  const pick = (k: number): number => Math.floor(random.next() * k);
  return Array.from({ length: n }, () => {
    const length = minLength + pick(maxLength - minLength + 1);
    let text = '';
    for (let i = 0; i < length; i++) text += DEFAULT_LETTERS[pick(DEFAULT_LETTERS.length)];
    return { text, label: defaultTaskLabel(text) };
  });
}
