// The examples of dp-child.ts: token ids of unequal lengths (2..11) with a class that depends on them.

import { createRandom } from '../../lib/random.js';

export function classifierExamples(n: number, seed: number): { input: number[]; target: number }[] {
  const random = createRandom(seed);
  return Array.from({ length: n }, () => {
    const input = Array.from({ length: 2 + Math.floor(random() * 10) }, () => 1 + Math.floor(random() * 19));
    return { input, target: input[0]! % 3 };
  });
}
