// The logs `rnnkit train` writes into its run folder beside the checkpoint: history.jsonl (one
// epoch log per line, appended as each epoch ends) and curves.svg (redrawn after each epoch, so an
// interrupted run still has its picture). `rnnkit plot` redraws curves.svg from history.jsonl.

import { join } from 'node:path';
import { writeAtomic } from '../io/atomic.js';
import type { Callback, EpochLog } from '../train/fit.js';
import { curvesSvg } from '../train/curves.js';
import { historyLog } from '../train/history-log.js';

export const HISTORY_FILE = 'history.jsonl';
export const CURVES_FILE = 'curves.svg';

/** Draws the epochs into an SVG file, atomically. */
export async function writeCurves(op: string, file: string, epochs: readonly EpochLog[]): Promise<void> {
  await writeAtomic(op, file, new TextEncoder().encode(curvesSvg(epochs)));
}

/** fit() callbacks that keep dir/history.jsonl and dir/curves.svg up to date (dir must exist). */
export function runLogCallbacks(dir: string): Callback[] {
  const curves = join(dir, CURVES_FILE);
  return [historyLog(join(dir, HISTORY_FILE)), { onEpochEnd: (_log, context) => writeCurves('rnnkit train', curves, context.history.epochs) }];
}
