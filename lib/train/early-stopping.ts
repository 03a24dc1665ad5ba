// earlyStopping(): ends fit() once a monitored value stops improving (Keras' EarlyStopping).

import { checkInteger, checkOneOf, checkOptions } from '../args.js';
import type { Callback } from './fit.js';
import { defaultMode, monitored, type Monitor } from './monitor.js';

export interface EarlyStoppingOptions {
  monitor?: Monitor;
  /** 'min' (default for losses) or 'max' (default for metrics). */
  mode?: 'min' | 'max';
  /** Stop after this many epochs without improvement (Keras' meaning; default 0: at the first). */
  patience?: number;
  /** The least change that counts as an improvement (default 0). */
  minDelta?: number;
}

/** Stops training once the monitored value has gone `patience` epochs (at least one) without improving. */
export function earlyStopping(options: EarlyStoppingOptions = {}): Callback {
  const op = 'earlyStopping';
  const o = checkOptions(op, options, ['monitor', 'mode', 'patience', 'minDelta'] as const);
  const monitor = typeof o.monitor === 'string' ? o.monitor : 'valLoss';
  const mode = checkOneOf(op, 'options.mode', o.mode ?? defaultMode(monitor), ['min', 'max'] as const);
  const patience = checkInteger(op, 'options.patience', o.patience ?? 0);
  const minDelta = typeof o.minDelta === 'number' && o.minDelta >= 0 ? o.minDelta : 0;
  let best = mode === 'min' ? Infinity : -Infinity;
  let waited = 0;
  return {
    onEpochEnd(log, context) {
      const value = monitored(log, monitor);
      const better = mode === 'min' ? value < best - minDelta : value > best + minDelta;
      if (better) {
        best = value;
        waited = 0;
      } else if (++waited >= patience) {
        context.stop(`${monitor} did not improve for ${waited} epoch${waited > 1 ? 's' : ''} (best ${best})`);
      }
    },
  };
}
