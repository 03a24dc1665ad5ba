// rnnkit's global random generator: parameter initialisation and dropout seeds draw from it, so
// seed(n) makes a run repeatable (PyTorch's torch.manual_seed habit).

import { checkInteger } from './args.js';
import { ArgumentError, OutOfMemoryError } from './errors.js';

/** A seeded generator of uniform values in [0, 1) (mulberry32) whose state can be saved. */
export class Random {
  state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

/** A seeded generator function (shuffles, samplers). */
export function createRandom(seedValue: number): () => number {
  const random = new Random(seedValue);
  return () => random.next();
}

const global = new Random(Date.now() ^ 0x9e3779b9);
/** Whether seed() or setRandomState() has set the generator (else it started from the clock). */
let seeded = false;

/**
 * Seeds rnnkit's global generator (any safe integer): parameter initialisation, dropout masks
 * and the default shuffle seeds of datasets draw from it, so a seeded run repeats exactly on CPU.
 */
export function seed(value: number): void {
  global.state = checkInteger('seed', 'value', value) >>> 0;
  seeded = true;
}

/** True once seed() or setRandomState() has set the global generator. */
export function isSeeded(): boolean {
  return seeded;
}

/** The global generator's state, for checkpoints (setRandomState restores it). */
export function getRandomState(): number {
  return global.state;
}

export function setRandomState(state: number): void {
  const s = checkInteger('setRandomState', 'state', state);
  if (s < 0 || s > 0xffffffff) throw new ArgumentError(`setRandomState: state must be a 32-bit unsigned integer, got ${s}`);
  global.state = s;
  seeded = true;
}

/** The next uniform value in [0, 1) from the global generator. */
export function nextRandom(): number {
  return global.next();
}

/** A 32-bit seed for a native op's own generator (dropout masks). */
export function nextSeed(): number {
  return Math.floor(nextRandom() * 4294967296);
}

/**
 * A Float32Array of n values for initial parameters. JS cannot hold more than a few billion
 * elements in one array: a larger layer is an OutOfMemoryError, not V8's RangeError.
 */
export function parameterFloats(n: number): Float32Array {
  try {
    return new Float32Array(n);
  } catch (err) {
    throw new OutOfMemoryError(`cannot allocate ${n} float32 values for initial parameters: ${(err as Error).message}`);
  }
}

/** n values uniform in [lo, hi). */
export function uniformArray(n: number, lo: number, hi: number): Float32Array {
  const out = parameterFloats(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * nextRandom();
  return out;
}

/** n values from the standard normal distribution (Box-Muller). */
export function normalArray(n: number, mean = 0, std = 1): Float32Array {
  const out = parameterFloats(n);
  for (let i = 0; i < n; i += 2) {
    const u = 1 - nextRandom(); // (0, 1]: log stays finite
    const r = Math.sqrt(-2 * Math.log(u));
    const theta = 2 * Math.PI * nextRandom();
    out[i] = mean + std * r * Math.cos(theta);
    if (i + 1 < n) out[i + 1] = mean + std * r * Math.sin(theta);
  }
  return out;
}
