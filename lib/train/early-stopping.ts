// earlyStopping(): ends fit() once a monitored value stops improving (Keras' EarlyStopping), and
// with restoreBestWeights puts the best epoch's weights back when training ends.

import { checkBoolean, checkInteger, checkOneOf, checkOptions } from '../args.js';
import type { Module, Parameter } from '../nn/module.js';
import { copyTo } from '../ops/device.js';
import { untracked } from '../scope.js';
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
  /**
   * Keep a copy of the weights of the best epoch and load it into the model when training ends,
   * stopped early or not (Keras 3's restore_best_weights); default false: the model keeps the
   * last epoch's weights. Only the weights: the optimizer's state stays the last epoch's.
   */
  restoreBestWeights?: boolean;
}

/** Copies of a model's parameters by name, off the tape and outside every tidy() scope. */
function snapshot(model: Module): Map<string, Parameter> {
  return untracked(() => new Map(model.namedParameters().map(([name, p]) => [name, copyTo('earlyStopping', p, p.device)])));
}

function disposeAll(weights: Map<string, Parameter> | null): void {
  for (const t of weights?.values() ?? []) t.dispose();
}

/** Stops training once the monitored value has gone `patience` epochs (at least one) without improving. */
export function earlyStopping(options: EarlyStoppingOptions = {}): Callback {
  const op = 'earlyStopping';
  const o = checkOptions(op, options, ['monitor', 'mode', 'patience', 'minDelta', 'restoreBestWeights'] as const);
  const monitor = typeof o.monitor === 'string' ? o.monitor : 'valLoss';
  const mode = checkOneOf(op, 'options.mode', o.mode ?? defaultMode(monitor), ['min', 'max'] as const);
  const patience = checkInteger(op, 'options.patience', o.patience ?? 0);
  const minDelta = typeof o.minDelta === 'number' && o.minDelta >= 0 ? o.minDelta : 0;
  const restore = checkBoolean(op, 'options.restoreBestWeights', o.restoreBestWeights ?? false);
  let best = mode === 'min' ? Infinity : -Infinity;
  let waited = 0;
  let bestWeights: Map<string, Parameter> | null = null;
  return {
    // Every rank: each sees the same reduced log, so all decide alike, and each restores its weights.
    allRanks: true,
    onEpochEnd(log, context) {
      const value = monitored(log, monitor);
      const better = mode === 'min' ? value < best - minDelta : value > best + minDelta;
      if (better) {
        best = value;
        waited = 0;
        if (restore) {
          disposeAll(bestWeights);
          bestWeights = snapshot(context.model);
        }
      } else if (++waited >= patience) {
        context.stop(`${monitor} did not improve for ${waited} epoch${waited > 1 ? 's' : ''} (best ${best})`);
      }
    },
    onTrainEnd(_history, context) {
      // The copies are freed here, and the callback starts afresh if it is given to another fit().
      try {
        if (bestWeights !== null) context.model.loadStateDict(Object.fromEntries(bestWeights));
      } finally {
        disposeAll(bestWeights);
        bestWeights = null;
        best = mode === 'min' ? Infinity : -Infinity;
        waited = 0;
      }
    },
  };
}
