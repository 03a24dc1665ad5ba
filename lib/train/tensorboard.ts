// tensorBoard(): fit()'s epochs as TensorBoard scalars, in an event file TensorBoard reads
// (`tensorboard --logdir DIR`): TFRecord-framed Event messages with simple_value summaries.
// readEvents() reads such a file back. Each write is whole records, synced (see io/log-file.ts).

import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { checkInteger, checkOptions } from '../args.js';
import { ArgumentError } from '../errors.js';
import { errorText } from '../io/atomic.js';
import { checkLogPath, LogFile } from '../io/log-file.js';
import { decodeEventFile, eventRecord, FILE_VERSION, type Scalar, type TfEvent } from '../io/tf-event.js';
import type { Callback, EpochLog } from './fit.js';

export type { Scalar, TfEvent } from '../io/tf-event.js';

export interface TensorBoardOptions {
  /** Also log the loss of every N-th optimizer step (counted from 1), as `train/step_loss` at that step. */
  everySteps?: number;
}

/** Event files made by this process so far: the last part of their names, as TensorFlow counts them. */
let filesMade = 0;

/** TensorFlow's event file name: events.out.tfevents.<seconds>.<host>.<pid>.<n>. */
function eventFileName(now: number): string {
  const seconds = String(Math.floor(now / 1000)).padStart(10, '0');
  return `events.out.tfevents.${seconds}.${hostname()}.${process.pid}.${filesMade++}`;
}

/** An epoch's scalars: train/loss, train/<metric>, val/loss, val/<metric>, lr. */
function epochScalars(log: EpochLog): Scalar[] {
  const scalars: Scalar[] = [{ tag: 'train/loss', value: log.loss }];
  for (const [name, value] of Object.entries(log.metrics)) scalars.push({ tag: `train/${name}`, value });
  if (log.valLoss !== undefined) scalars.push({ tag: 'val/loss', value: log.valLoss });
  for (const [name, value] of Object.entries(log.valMetrics ?? {})) scalars.push({ tag: `val/${name}`, value });
  scalars.push({ tag: 'lr', value: log.lr });
  return scalars;
}

/**
 * A fit() callback that writes each epoch's scalars (see epochScalars) at step = epoch (from 0)
 * into a new event file in logDir (created if needed), the way TensorFlow names and starts one:
 * `events.out.tfevents.<seconds>.<host>.<pid>.<n>`, first event file_version "brain.Event:2".
 * The file is made at the first write; one callback writes one file.
 */
export function tensorBoard(logDir: string, options: TensorBoardOptions = {}): Callback {
  const op = 'tensorBoard';
  const dir = checkLogPath(op, 'logDir', logDir);
  const o = checkOptions(op, options, ['everySteps'] as const);
  const everySteps = o.everySteps === undefined ? undefined : checkInteger(op, 'options.everySteps', o.everySteps);
  if (everySteps !== undefined && everySteps < 1) throw new ArgumentError(`${op}: options.everySteps must be >= 1, got ${everySteps}`);
  let file: LogFile | undefined;
  const write = async (step: number, scalars: Scalar[]): Promise<void> => {
    const now = Date.now();
    const records = [eventRecord({ wallTime: now / 1000, step, scalars })];
    if (file === undefined) {
      file = new LogFile(op, join(dir, eventFileName(now)));
      records.unshift(eventRecord({ wallTime: now / 1000, step: 0, fileVersion: FILE_VERSION }));
    }
    await file.add(Buffer.concat(records));
  };
  return {
    async onStepEnd(step, loss) {
      if (everySteps !== undefined && step % everySteps === 0) await write(step, [{ tag: 'train/step_loss', value: loss }]);
    },
    async onEpochEnd(log) {
      await write(log.epoch, epochScalars(log));
    },
  };
}

/** The events of an event file (any TensorBoard writer's; summaries other than simple_value scalars are left out). */
export async function readEvents(path: string): Promise<TfEvent[]> {
  const file = checkLogPath('readEvents', 'path', path);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new ArgumentError(`readEvents: cannot read ${file}: ${errorText(err)}`, { cause: err });
  }
  return decodeEventFile(bytes, file);
}
