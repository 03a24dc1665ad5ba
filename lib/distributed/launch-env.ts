// The environment of one process started by `rnnkit launch`: the launcher's own, plus torchrun's
// variables for its rank (the names env() reads back) and an OpenMP thread count.

import type { Environment } from '../native.js';
import { ENV_VARIABLES, type DistributedEnv } from './env.js';

/**
 * base plus the rank's variables. OMP_NUM_THREADS, unless base sets it, is the node's cores
 * shared among its ranks (at least 1), as torchrun does: N ranks each running oneDNN on every core
 * would oversubscribe the machine N times.
 */
export function launchEnv(base: Environment, rank: DistributedEnv, cores: number): Environment {
  const out: Environment = { ...base };
  for (const [field, name] of Object.entries(ENV_VARIABLES)) out[name] = String(rank[field as keyof DistributedEnv]);
  if (!base.OMP_NUM_THREADS) out.OMP_NUM_THREADS = String(Math.max(1, Math.floor(cores / rank.localWorldSize)));
  return out;
}
