// checkpoint() saves a run every N epochs or steps, or its best epoch; resume() continues a run from
// such a file exactly (parameters, optimizer state and groups, learning-rate schedule, GradScaler,
// random generator, epoch and optimizer step count).

import { checkInteger, checkOneOf, checkOptions } from '../args.js';
import { describe } from '../dtype.js';
import { ArgumentError, CheckpointError } from '../errors.js';
import { loadChecked, save, type PathLike } from '../io/files.js';
import type { Module } from '../nn/module.js';
import { GradScaler, type GradScalerState } from '../optim/grad-scaler.js';
import type { Optimizer } from '../optim/optimizer.js';
import { LRSchedule, type ScheduleState } from '../optim/schedules.js';
import { getRandomState, setRandomState } from '../random.js';
import type { Callback, EpochLog } from './fit.js';
import { defaultMode, monitored, type Monitor } from './monitor.js';

/** The objects besides model and optimizer whose state a checkpoint keeps, for an exact resume. */
export interface RunState {
  /** The learning-rate schedule stepping the optimizer: its counters and every group's lr. */
  schedule?: LRSchedule;
  /** The loss scaler fit() uses (pass fit() this same instance as options.gradScaler): its scale and count of clean steps. */
  gradScaler?: GradScaler;
}

export interface CheckpointOptions extends RunState {
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

/** options.schedule and options.gradScaler, checked. */
function runState(op: string, o: { schedule?: unknown; gradScaler?: unknown }): RunState {
  if (o.schedule !== undefined && !(o.schedule instanceof LRSchedule)) {
    throw new ArgumentError(`${op}: options.schedule must be an optim schedule (StepLR, CosineWithWarmup, ...), got ${describe(o.schedule)}`);
  }
  if (o.gradScaler !== undefined && !(o.gradScaler instanceof GradScaler)) {
    throw new ArgumentError(`${op}: options.gradScaler must be an optim.GradScaler, got ${describe(o.gradScaler)}`);
  }
  return { schedule: o.schedule, gradScaler: o.gradScaler };
}

/** The metadata entries of a run's schedule and scaler (absent when not given). */
function runMetadata({ schedule, gradScaler }: RunState): Record<string, unknown> {
  return {
    ...(schedule === undefined ? {} : { schedule: schedule.stateDict() }),
    ...(gradScaler === undefined ? {} : { gradScaler: gradScaler.stateDict() }),
  };
}

/**
 * Saves the model, the optimizer's state and parameter groups, the schedule's and GradScaler's
 * state (when given), the random generator and the epoch to `path` (one safetensors file, written
 * atomically), so resume() can continue the run exactly. Put it after lrSchedule() among fit()'s
 * callbacks, so an epoch's checkpoint holds the schedule as it stands after that epoch.
 */
export function checkpoint(path: PathLike, optimizer: Optimizer, options: CheckpointOptions = {}): Callback {
  const op = 'checkpoint';
  const o = checkOptions(op, options, ['every', 'everySteps', 'saveBest', 'mode', 'schedule', 'gradScaler'] as const);
  const every = checkInteger(op, 'options.every', o.every ?? 1);
  if (every < 1) throw new ArgumentError(`${op}: options.every must be >= 1, got ${every}`);
  const everySteps = o.everySteps === undefined ? undefined : checkInteger(op, 'options.everySteps', o.everySteps);
  if (everySteps !== undefined && everySteps < 1) throw new ArgumentError(`${op}: options.everySteps must be >= 1, got ${everySteps}`);
  const saveBest = o.saveBest;
  if (saveBest !== undefined && typeof saveBest !== 'string') {
    throw new ArgumentError(`${op}: options.saveBest must be a monitored name like 'valLoss', got ${describe(saveBest)}`);
  }
  const mode = checkOneOf(op, 'options.mode', o.mode ?? defaultMode(saveBest ?? 'valLoss'), ['min', 'max'] as const);
  const run = runState(op, o);
  let best = mode === 'min' ? Infinity : -Infinity;
  // The epoch of the last step seen, and the optimizer steps done before it began.
  let stepEpoch = -1;
  let stepsBeforeEpoch = 0;
  return {
    async onStepEnd(step, _loss, context) {
      if (context.epoch !== stepEpoch) [stepEpoch, stepsBeforeEpoch] = [context.epoch, step - 1];
      if (everySteps === undefined || step % everySteps !== 0) return;
      const log = context.history.epochs.at(-1);
      // Mid-epoch: resume() restarts this epoch, so record the one before it as done, and the
      // steps done before it as the resumed run's initialStep.
      await save(path, {
        model: context.model,
        optimizer,
        metadata: { epoch: context.epoch - 1, step, initialStep: stepsBeforeEpoch, random: getRandomState(), log: log ?? null, partial: true, ...runMetadata(run) },
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
        metadata: { epoch: log.epoch, initialStep: context.step, random: getRandomState(), log, ...runMetadata(run) },
      });
    },
  };
}

export interface Resumed {
  /** The epoch to continue at: pass it to fit() as initialEpoch. */
  initialEpoch: number;
  /** Optimizer steps done before that epoch: pass it to fit() as initialStep (0 for checkpoints of older versions). */
  initialStep: number;
  /** The last finished epoch's log (null for a step checkpoint taken in the first epoch). */
  log: EpochLog | null;
}

/** A CheckpointError unless the file holds `key`'s state exactly when the caller passes its object. */
function checkPresence(file: string, metadata: Record<string, unknown>, key: keyof RunState, given: boolean): void {
  const saved = key in metadata;
  if (saved && !given) {
    throw new CheckpointError(`resume: ${file} holds the state of a ${key}; pass the run's ${key} as options.${key} so it continues where it stopped`);
  }
  if (!saved && given) {
    throw new CheckpointError(`resume: options.${key} was given, but ${file} holds no ${key} state (pass options.${key} to checkpoint() too)`);
  }
}

/**
 * Loads a checkpoint written by checkpoint() into the model, the optimizer (state and parameter
 * groups) and, when the checkpoint holds theirs, options.schedule and options.gradScaler (give
 * exactly the ones checkpoint() was given: a mismatch is a CheckpointError and loads nothing),
 * and restores the random generator, so fit(model, { ..., initialEpoch, gradScaler }) with the
 * same objects continues with the same loss curve as an uninterrupted run (bit-identical on CPU).
 */
export async function resume(path: PathLike, model: Module, optimizer: Optimizer, options: RunState = {}): Promise<Resumed> {
  const op = 'resume';
  const { schedule, gradScaler } = runState(op, checkOptions(op, options, ['schedule', 'gradScaler'] as const));
  const { tensors, metadata } = await loadChecked(op, path, { model, optimizer }, (meta, file) => {
    if (typeof meta.epoch !== 'number' || typeof meta.random !== 'number' || !('log' in meta)) {
      throw new CheckpointError(`resume: ${file} has no epoch, random state and log in its metadata (was it written by train.checkpoint?)`);
    }
    if ('initialStep' in meta && !(Number.isSafeInteger(meta.initialStep) && (meta.initialStep as number) >= 0)) {
      throw new CheckpointError(`resume: ${file}: its metadata's initialStep must be a whole number >= 0, got ${describe(meta.initialStep)}`);
    }
    checkPresence(file, meta, 'schedule', schedule !== undefined);
    checkPresence(file, meta, 'gradScaler', gradScaler !== undefined);
    // Their loadStateDict() checks every value before changing anything.
    schedule?.loadStateDict(meta.schedule as ScheduleState);
    gradScaler?.loadStateDict(meta.gradScaler as GradScalerState);
  });
  for (const t of Object.values(tensors)) t.dispose();
  setRandomState(metadata.random as number);
  return { initialEpoch: (metadata.epoch as number) + 1, initialStep: (metadata.initialStep as number | undefined) ?? 0, log: metadata.log as EpochLog | null };
}
