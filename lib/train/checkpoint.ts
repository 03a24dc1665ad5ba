// checkpoint() saves a run every N epochs or steps, or its best epoch; resume() continues a run from
// such a file exactly (parameters, optimizer state, random generator, epoch).

import { checkInteger, checkOneOf, checkOptions } from '../args.js';
import { describe } from '../dtype.js';
import { ArgumentError, CheckpointError } from '../errors.js';
import { load, save, type PathLike } from '../io/files.js';
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import { getRandomState, setRandomState } from '../random.js';
import type { Callback, EpochLog } from './fit.js';
import { defaultMode, monitored, type Monitor } from './monitor.js';

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
