// What fit() does differently for a DataParallel model: the epoch's losses and metrics become
// their means over the ranks (each rank's value weighted by its batches, so the result is the mean
// per batch over all of them, what one process logs), callbacks and the progress report run on
// rank 0 only unless a callback opts in, and a stop on any rank stops every rank.

import { allReduce } from '../distributed/context.js';
import type { DataParallel } from '../distributed/data-parallel.js';
import { tensor } from '../ops/creation.js';
import type { Callback, EpochLog } from './fit.js';

/** Elementwise sums over the ranks (float32: enough for losses, metrics and counts of batches). */
async function sumOverRanks(values: readonly number[]): Promise<number[]> {
  const t = tensor(Float32Array.from(values));
  try {
    await allReduce(t, { op: 'sum' });
    return Array.from(await t.data());
  } finally {
    t.dispose();
  }
}

/** The callbacks this rank runs: all on rank 0, those with allRanks elsewhere. */
export function callbacksOf(ddp: DataParallel | null, callbacks: readonly Callback[]): Callback[] {
  return ddp === null || ddp.rank === 0 ? [...callbacks] : callbacks.filter((cb) => cb.allRanks === true);
}

/**
 * The log with loss, metrics, valLoss and valMetrics replaced by their batch-weighted means over
 * the ranks and tokensPerSecond by the sum of the ranks' rates. Every rank gets the same values.
 */
export async function reduceLog(log: EpochLog, batches: number, valBatches: number): Promise<EpochLog> {
  const names = Object.keys(log.metrics);
  const valNames = Object.keys(log.valMetrics ?? {});
  const local = [
    batches,
    log.loss * batches,
    ...names.map((n) => log.metrics[n]! * batches),
    log.tokensPerSecond,
    valBatches,
    (log.valLoss ?? 0) * valBatches,
    ...valNames.map((n) => log.valMetrics![n]! * valBatches),
  ];
  const sums = await sumOverRanks(local);
  let at = 0;
  const next = (): number => sums[at++]!;
  const total = next();
  const reduced: EpochLog = { ...log, loss: next() / total, metrics: Object.fromEntries(names.map((n) => [n, next() / total])), tokensPerSecond: next() };
  const valTotal = next();
  const valLoss = next() / valTotal;
  if (log.valLoss !== undefined) reduced.valLoss = valLoss;
  if (log.valMetrics !== undefined) reduced.valMetrics = Object.fromEntries(valNames.map((n) => [n, next() / valTotal]));
  return reduced;
}

/** The reason to stop, agreed by every rank: this rank's, or another's when only another stopped. */
export async function agreeStop(reason: string | undefined): Promise<string | undefined> {
  const [stops] = await sumOverRanks([reason === undefined ? 0 : 1]);
  return reason ?? (stops! > 0 ? 'a callback on another rank stopped training' : undefined);
}
