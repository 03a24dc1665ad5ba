// Ready callbacks for fit(): early stopping, checkpoints (every N epochs and/or the best by a
// monitored value), and learning-rate schedules; plus resume(), which continues a run from a
// checkpoint exactly (parameters, optimizer state, random generator, epoch).

import { checkInteger, checkOneOf, checkOptions } from '../args.js';
import { describe } from '../dtype.js';
import { ArgumentError, CheckpointError } from '../errors.js';
import { load, save, type PathLike } from '../io/files.js';
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import { getRandomState, setRandomState } from '../random.js';
import type { Callback, EpochLog } from './fit.js';

/** A value of an epoch's log to watch: 'loss', 'valLoss', or a metric ('accuracy', 'valAccuracy'). */
export type Monitor = string;

/** The monitored value of an epoch log (NaN when the log lacks it). */
function monitored(log: EpochLog, monitor: Monitor): number {
  if (monitor === 'loss') return log.loss;
  if (monitor === 'valLoss') return log.valLoss ?? NaN;
  if (monitor.startsWith('val') && monitor.length > 3) {
    const name = monitor[3]!.toLowerCase() + monitor.slice(4);
    return log.valMetrics?.[name] ?? NaN;
  }
  return log.metrics[monitor] ?? NaN;
}

export interface EarlyStoppingOptions {
  monitor?: Monitor;
  /** 'min' (default for losses) or 'max' (default for metrics). */
  mode?: 'min' | 'max';
  /** Stop after this many epochs without improvement (Keras' meaning; default 0: at the first). */
  patience?: number;
  /** The least change that counts as an improvement (default 0). */
  minDelta?: number;
}

function defaultMode(monitor: Monitor): 'min' | 'max' {
  return /loss$/i.test(monitor) ? 'min' : 'max';
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

export interface CheckpointOptions {
  /** Save every N epochs (default 1). */
  every?: number;
  /**
   * Also save every N optimizer steps, for crash safety in long epochs. resume() from such a
   * checkpoint restarts its epoch (only epoch-end checkpoints continue bit-identically).
   */
  everySteps?: number;
  /** Save only when this value improves (then `every` is ignored). */
  saveBest?: Monitor;
  mode?: 'min' | 'max';
}

/**
 * Saves the model, the optimizer's state, the random generator and the epoch to `path` (one
 * safetensors file, written atomically), so resume() can continue the run exactly.
 */
export function checkpoint(path: PathLike, optimizer: Optimizer, options: CheckpointOptions = {}): Callback {
  const op = 'checkpoint';
  const o = checkOptions(op, options, ['every', 'everySteps', 'saveBest', 'mode'] as const);
  const every = checkInteger(op, 'options.every', o.every ?? 1);
  if (every < 1) throw new ArgumentError(`${op}: options.every must be >= 1, got ${every}`);
  const everySteps = o.everySteps === undefined ? undefined : checkInteger(op, 'options.everySteps', o.everySteps);
  if (everySteps !== undefined && everySteps < 1) throw new ArgumentError(`${op}: options.everySteps must be >= 1, got ${everySteps}`);
  const saveBest = o.saveBest;
  if (saveBest !== undefined && typeof saveBest !== 'string') {
    throw new ArgumentError(`${op}: options.saveBest must be a monitored name like 'valLoss', got ${describe(saveBest)}`);
  }
  const mode = checkOneOf(op, 'options.mode', o.mode ?? defaultMode(saveBest ?? 'valLoss'), ['min', 'max'] as const);
  let best = mode === 'min' ? Infinity : -Infinity;
  return {
    async onStepEnd(step, _loss, context) {
      if (everySteps === undefined || step % everySteps !== 0) return;
      const log = context.history.epochs.at(-1);
      // Mid-epoch: resume() restarts this epoch, so record the one before it as done.
      await save(path, {
        model: context.model,
        optimizer,
        metadata: { epoch: context.epoch - 1, step, random: getRandomState(), log: log ?? null, partial: true },
      });
    },
    async onEpochEnd(log, context) {
      if (saveBest !== undefined) {
        const value = monitored(log, saveBest);
        if (!(mode === 'min' ? value < best : value > best)) return;
        best = value;
      } else if ((log.epoch + 1) % every !== 0) {
        return;
      }
      await save(path, {
        model: context.model,
        optimizer,
        metadata: { epoch: log.epoch, random: getRandomState(), log },
      });
    },
  };
}

export interface Resumed {
  /** The epoch to continue at: pass it to fit() as initialEpoch. */
  initialEpoch: number;
  /** The last finished epoch's log (null for a step checkpoint taken in the first epoch). */
  log: EpochLog | null;
}

/**
 * Loads a checkpoint written by checkpoint() into the model and optimizer and restores the random
 * generator, so fit(model, { ..., initialEpoch }) continues with the same loss curve as an
 * uninterrupted run (bit-identical on CPU).
 */
export async function resume(path: PathLike, model: Module, optimizer: Optimizer): Promise<Resumed> {
  const { tensors, metadata } = await load(path, { model, optimizer });
  for (const t of Object.values(tensors)) t.dispose();
  const epoch = metadata.epoch;
  const random = metadata.random;
  if (typeof epoch !== 'number' || typeof random !== 'number' || !('log' in metadata)) {
    throw new CheckpointError(`resume: ${String(path)} has no epoch, random state and log in its metadata (was it written by train.checkpoint?)`);
  }
  setRandomState(random);
  return { initialEpoch: epoch + 1, log: metadata.log as EpochLog | null };
}

/** A learning-rate schedule with step(metric?) (every one in optim). */
export interface Schedule {
  step(metric?: number): void;
}

/** Steps a schedule after each epoch (or each step), feeding it the monitored value if it wants one. */
export function lrSchedule(schedule: Schedule, options: { per?: 'epoch' | 'step'; monitor?: Monitor } = {}): Callback {
  const o = checkOptions('lrSchedule', options, ['per', 'monitor'] as const);
  const per = checkOneOf('lrSchedule', 'options.per', o.per ?? 'epoch', ['epoch', 'step'] as const);
  if (typeof schedule?.step !== 'function') throw new ArgumentError('lrSchedule: schedule must have step()');
  const monitor = typeof o.monitor === 'string' ? o.monitor : undefined;
  return per === 'epoch'
    ? { onEpochEnd: (log) => schedule.step(monitor === undefined ? undefined : monitored(log, monitor)) }
    : { onStepEnd: () => schedule.step() };
}
