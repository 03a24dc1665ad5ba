// What each rank of gloo-child.ts reduces, shared with the test that checks the results.

/** Rank r's float32 input: small integers and halves, so every sum is exact in float32. */
export function input(rank: number, i: number): number {
  return (rank + 1) * 0.5 + (i % 7) - rank * (i % 3);
}
export const kLength = 1000;
