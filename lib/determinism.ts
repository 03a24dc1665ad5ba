// Deterministic mode: setDeterministic(true) makes CPU training runs repeat bit for bit. Every
// random draw in rnnkit (parameter initialisation, dropout masks, dataset shuffles) comes from the
// seeded global generator; the switch makes sure it is seeded, and it is what training code and
// backends read (isDeterministic()) to choose reproducible paths over faster ones.
//
// What else a bit-identical CPU run needs, which no library call can change after the addon has
// loaded: the same OpenMP thread count (OMP_NUM_THREADS) and the same CPU kind, because oneDNN
// picks its kernels (and so its summation order) by thread count and instruction set.
// On a GPU, bit-identical runs are not guaranteed: cuDNN's RNN kernels and cuBLAS may accumulate
// in a different order from run to run.

import { checkBoolean, checkInteger, checkOptions } from './args.js';
import { isSeeded, seed } from './random.js';

export interface DeterministicOptions {
  /** Seeds the global generator (seed(n)). Default: keep the seed set by seed(), else 0. */
  seed?: number;
}

let deterministic = false;

/**
 * Turns deterministic mode on or off. On: seeds the global generator with options.seed, or with 0
 * when nothing has seeded it yet (a clock-seeded generator would make every run differ).
 */
export function setDeterministic(on: boolean, options?: DeterministicOptions): void {
  const op = 'setDeterministic';
  const value = checkBoolean(op, 'on', on);
  const opts = checkOptions(op, options, ['seed'] as const);
  const seedValue = opts.seed === undefined ? undefined : checkInteger(op, 'options.seed', opts.seed);
  deterministic = value;
  if (!value) return;
  if (seedValue !== undefined) seed(seedValue);
  else if (!isSeeded()) seed(0);
}

/** Whether deterministic mode is on (training loops and backends read it). */
export function isDeterministic(): boolean {
  return deterministic;
}
