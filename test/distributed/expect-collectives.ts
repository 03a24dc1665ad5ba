// Checks what gloo-child.ts's 'collectives' scenario reports, against sums computed here.

import { expect } from 'vitest';
import { input, kLength } from './gloo-inputs.js';

export function expectCollectives(results: Record<string, unknown>[][], worldSize: number): void {
  const sum = Array.from({ length: kLength }, (_, i) => {
    let s = 0;
    for (let r = 0; r < worldSize; r++) s += Math.fround(input(r, i));
    return s;
  });
  const ranks = Array.from({ length: worldSize }, (_, r) => r);
  const total = ranks.reduce((a, b) => a + b, 0);
  for (const [rank, events] of results.entries()) {
    const got = events[0]!;
    expect(got.sum, `rank ${rank} sum`).toEqual(sum);
    expect(got.mean, `rank ${rank} mean`).toEqual(sum.map((s) => Math.fround(s / worldSize)));
    expect(got.ints).toEqual([total, 10 * total, -total]);
    expect(got.max).toEqual([worldSize - 1, 0]);
    expect(got.min).toEqual([0, -(worldSize - 1)]);
    const src = worldSize - 1;
    expect(got.bcast).toEqual([src, src * 2, src * 3]);
    expect(got.gatheredShape).toEqual([worldSize, 2]);
    expect(got.gathered).toEqual(ranks.flatMap((r) => [r, r * r]));
  }
}
