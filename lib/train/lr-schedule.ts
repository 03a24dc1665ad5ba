// lrSchedule(): steps a learning-rate schedule from fit(), per epoch or per step.

import { checkOneOf, checkOptions } from '../args.js';
import { ArgumentError } from '../errors.js';
import type { Callback } from './fit.js';
import { monitored, type Monitor } from './monitor.js';

/** A learning-rate schedule with step(metric?) (every one in optim). */
export interface Schedule {
  step(metric?: number): void;
}

/**
 * Steps a schedule after each epoch, feeding it the monitored value if it wants one, or after each
 * optimizer step (per: 'step'; with fit's accumulateSteps k, once per k batches).
 */
export function lrSchedule(schedule: Schedule, options: { per?: 'epoch' | 'step'; monitor?: Monitor } = {}): Callback {
  const o = checkOptions('lrSchedule', options, ['per', 'monitor'] as const);
  const per = checkOneOf('lrSchedule', 'options.per', o.per ?? 'epoch', ['epoch', 'step'] as const);
  if (typeof schedule?.step !== 'function') throw new ArgumentError('lrSchedule: schedule must have step()');
  const monitor = typeof o.monitor === 'string' ? o.monitor : undefined;
  return per === 'epoch'
    ? { onEpochEnd: (log) => schedule.step(monitor === undefined ? undefined : monitored(log, monitor)), allRanks: true }
    : { onStepEnd: () => schedule.step(), allRanks: true };
}
