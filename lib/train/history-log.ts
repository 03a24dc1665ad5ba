// historyLog(): fit()'s epochs as JSON lines (one EpochLog per line, appended and synced as each
// epoch ends; see io/log-file.ts), and readHistory() to read such a file back. JSON has no NaN or
// Infinity: a non-finite value is written as null and read back as NaN.

import { readFile } from 'node:fs/promises';
import { checkOptions } from '../args.js';
import { describe } from '../dtype.js';
import { ArgumentError } from '../errors.js';
import { errorText } from '../io/atomic.js';
import { checkLogPath, LogFile } from '../io/log-file.js';
import type { Callback, EpochLog } from './fit.js';

export interface HistoryLogOptions {
  /** Continue the file (a resumed run) instead of replacing it. Default false. */
  append?: boolean;
}

/** A fit() callback that appends each epoch's log to `path` as one line of JSON. */
export function historyLog(path: string, options: HistoryLogOptions = {}): Callback {
  const op = 'historyLog';
  const o = checkOptions(op, options, ['append'] as const);
  const file = new LogFile(op, checkLogPath(op, 'path', path), o.append);
  return {
    async onEpochEnd(log) {
      await file.add(`${JSON.stringify(log)}\n`);
    },
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One line's object as an EpochLog, checked; `where` is file:line. */
function epochLogOf(value: unknown, where: string): EpochLog {
  if (!isRecord(value)) throw new ArgumentError(`${where}: expected an epoch log object, got ${describe(value)}`);
  const number = (v: unknown, name: string): number => {
    if (v === null) return NaN;
    if (typeof v !== 'number') throw new ArgumentError(`${where}: ${name} must be a number (or null), got ${describe(v)}`);
    return v;
  };
  const numbers = (v: unknown, name: string): Record<string, number> => {
    if (!isRecord(v)) throw new ArgumentError(`${where}: ${name} must be an object of numbers, got ${describe(v)}`);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, number(x, `${name}.${k}`)]));
  };
  const epoch = value.epoch;
  if (typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch < 0) {
    throw new ArgumentError(`${where}: epoch must be an integer >= 0, got ${describe(epoch)}`);
  }
  const log: EpochLog = {
    epoch,
    loss: number(value.loss, 'loss'),
    metrics: numbers(value.metrics ?? {}, 'metrics'),
    lr: number(value.lr, 'lr'),
    seconds: number(value.seconds, 'seconds'),
    tokensPerSecond: number(value.tokensPerSecond, 'tokensPerSecond'),
  };
  if (value.valLoss !== undefined) log.valLoss = number(value.valLoss, 'valLoss');
  if (value.valMetrics !== undefined) log.valMetrics = numbers(value.valMetrics, 'valMetrics');
  return log;
}

/**
 * The epoch logs of a file historyLog() wrote (an empty file gives []). A line that is not JSON
 * or not an epoch log is an ArgumentError naming the file and line; blank lines are skipped.
 */
export async function readHistory(path: string): Promise<EpochLog[]> {
  const op = 'readHistory';
  const file = checkLogPath(op, 'path', path);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ArgumentError(`${op}: cannot read ${file}: ${errorText(err)}`, { cause: err });
  }
  const logs: EpochLog[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `${file}:${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new ArgumentError(`${where}: not JSON (${errorText(err)})`);
    }
    logs.push(epochLogOf(value, where));
  });
  return logs;
}
