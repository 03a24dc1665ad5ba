// rnnkit's global random generator: parameter initialisation and dropout seeds draw from it, so
// manualSeed(n) makes a run repeatable (PyTorch's torch.manual_seed habit).

import { checkInteger } from './args.js';

/** A seeded generator of uniform values in [0, 1) (mulberry32). */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let global = createRandom(Date.now() ^ 0x9e3779b9);

/** Seeds the global generator (any safe integer). */
export function manualSeed(seed: number): void {
  global = createRandom(checkInteger('manualSeed', 'seed', seed));
}

/** The next uniform value in [0, 1) from the global generator. */
export function nextRandom(): number {
  return global();
}

/** A 32-bit seed for a native op's own generator (dropout masks). */
export function nextSeed(): number {
  return Math.floor(nextRandom() * 4294967296);
}

/** n values uniform in [lo, hi). */
export function uniformArray(n: number, lo: number, hi: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * nextRandom();
  return out;
}

/** n values from the standard normal distribution (Box-Muller). */
export function normalArray(n: number, mean = 0, std = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = 1 - nextRandom(); // (0, 1]: log stays finite
    const r = Math.sqrt(-2 * Math.log(u));
    const theta = 2 * Math.PI * nextRandom();
    out[i] = mean + std * r * Math.cos(theta);
    if (i + 1 < n) out[i + 1] = mean + std * r * Math.sin(theta);
  }
  return out;
}
