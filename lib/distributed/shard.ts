// Sharding an epoch's batches over ranks (DistributedSampler's semantics, per batch): every rank
// computes the same plan (same seed), rank r takes batches r, r + worldSize, r + 2·worldSize, ...
// and when the count does not divide, the first batches are repeated to fill the last round, so
// every rank runs the same number of steps (a rank with one step fewer would leave the others
// waiting in a collective). With batch size B/n per rank, step k of n ranks sees exactly the rows
// of step k of one process with batch size B.

import { checkInteger } from '../args.js';
import { ArgumentError } from '../errors.js';

/** A data source's { rank, worldSize } options (distributed.shardOptions() gives the default group's). */
export interface ShardOptions {
  /** This process's rank, 0..worldSize-1 (default 0). */
  rank?: number;
  /** The number of ranks sharing the data (default 1: no sharding). */
  worldSize?: number;
}

/** options.rank and options.worldSize, checked (defaults 0 and 1). */
export function checkShard(op: string, options: { rank?: unknown; worldSize?: unknown }): { rank: number; worldSize: number } {
  const worldSize = checkInteger(op, 'options.worldSize', options.worldSize ?? 1);
  if (worldSize < 1) throw new ArgumentError(`${op}: options.worldSize must be >= 1, got ${worldSize}`);
  const rank = checkInteger(op, 'options.rank', options.rank ?? 0);
  if (rank < 0 || rank >= worldSize) throw new ArgumentError(`${op}: options.rank must be in 0..${worldSize - 1} (options.worldSize is ${worldSize}), got ${rank}`);
  return { rank, worldSize };
}

/** Batches per rank for `total` batches: ceil(total / worldSize). */
export const shardCount = (total: number, worldSize: number): number => Math.ceil(total / worldSize);

/** Rank's share of an epoch's plan: every worldSize-th item from `rank`, padded by repeating from the start. */
export function shardBatches<T>(plan: readonly T[], rank: number, worldSize: number): T[] {
  if (worldSize === 1 || plan.length === 0) return [...plan];
  return Array.from({ length: shardCount(plan.length, worldSize) }, (_, k) => plan[(rank + k * worldSize) % plan.length]!);
}
