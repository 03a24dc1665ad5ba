// csvLogger(): fit()'s epochs as CSV rows, with Keras CSVLogger's column names, and optionally the loss
// of every N-th step in a second file. Each row is appended and synced as it is made (see
// io/log-file.ts), so the file is complete up to the last finished epoch even after a crash.

import { checkInteger, checkOptions } from '../args.js';
import { ArgumentError } from '../errors.js';
import { checkLogPath, LogFile } from '../io/log-file.js';
import type { Callback, EpochLog } from './fit.js';

export interface CsvLoggerOptions {
  /**
   * Also log the loss of every N-th optimizer step (counted over the whole run, from 1) to a
   * second file beside `path`: `run.csv` → `run.steps.csv`, columns epoch, step, loss, lr.
   * Epoch rows and step rows have different columns, so each file stays one plain table.
   */
  everySteps?: number;
  /** Continue the files (a resumed run) instead of replacing them; the columns must match. Default false. */
  append?: boolean;
}

/** The step file beside an epoch file: `run.csv` → `run.steps.csv`, `log` → `log.steps.csv`. */
export const stepsPathOf = (path: string): string => `${path.replace(/\.csv$/i, '')}.steps.csv`;

/** A field as RFC 4180 wants it: quoted (quotes doubled) when it holds a comma, quote or line break. */
export const csvField = (text: string): string => (/[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);

/** Numbers as Python writes them: shortest round-trip digits, nan, inf, -inf (pandas reads all). */
const numberField = (n: number | undefined): string =>
  n === undefined ? '' : Number.isNaN(n) ? 'nan' : n === Infinity ? 'inf' : n === -Infinity ? '-inf' : String(n);

const csvLine = (fields: readonly string[]): string => `${fields.map(csvField).join(',')}\n`;

/** A column: its name and how to read it from an epoch log. */
type Column = [name: string, read: (log: EpochLog) => number | undefined];

/** The columns of a run whose first epoch log is `first`. */
function columnsFor(first: EpochLog): Column[] {
  const metrics = Object.keys(first.metrics);
  const train = metrics.map((m): Column => [m, (l) => l.metrics[m]]);
  const validation: Column[] =
    first.valLoss === undefined ? [] : [['val_loss', (l) => l.valLoss], ...metrics.map((m): Column => [`val_${m}`, (l) => l.valMetrics?.[m]])];
  return [
    ['epoch', (l) => l.epoch],
    ['loss', (l) => l.loss],
    ...train,
    ...validation,
    ['lr', (l) => l.lr],
    ['seconds', (l) => l.seconds],
    ['tokens_per_second', (l) => l.tokensPerSecond],
  ];
}

/** A CSV file that writes its header first, or, appending, checks the existing header is the same. */
class CsvFile {
  readonly #file: LogFile;

  constructor(path: string, append: unknown) {
    this.#file = new LogFile('csvLogger', path, append);
  }

  async add(header: readonly string[], row: readonly string[]): Promise<void> {
    let text = csvLine(row);
    if (this.#file.fresh) {
      const head = csvLine(header);
      const existing = this.#file.append ? await this.#file.existing() : '';
      if (existing === '') text = head + text;
      else if (!existing.startsWith(head)) {
        const found = existing.split('\n', 1)[0]!.trim();
        throw new ArgumentError(`csvLogger: cannot append to ${this.#file.path}: its columns are '${found}', this run logs '${head.trim()}'`);
      }
    }
    await this.#file.add(text);
  }
}

/**
 * A fit() callback that appends one row per epoch to a CSV file, with Keras' CSVLogger column
 * names, in this order (Keras sorts them): epoch (from 0), loss, each metric, val_loss and
 * val_<metric> (with validation data), lr, seconds, tokens_per_second. A missing value is an empty
 * field; NaN is `nan`.
 */
export function csvLogger(path: string, options: CsvLoggerOptions = {}): Callback {
  const op = 'csvLogger';
  const file = checkLogPath(op, 'path', path);
  const o = checkOptions(op, options, ['everySteps', 'append'] as const);
  const everySteps = o.everySteps === undefined ? undefined : checkInteger(op, 'options.everySteps', o.everySteps);
  if (everySteps !== undefined && everySteps < 1) throw new ArgumentError(`${op}: options.everySteps must be >= 1, got ${everySteps}`);
  const epochs = new CsvFile(file, o.append);
  const steps = everySteps === undefined ? undefined : new CsvFile(stepsPathOf(file), o.append);
  let columns: Column[] | undefined;
  return {
    async onStepEnd(step, loss, context) {
      if (steps === undefined || step % everySteps! !== 0) return;
      const row = [context.epoch, step, loss, context.optimizer.lr].map(numberField);
      await steps.add(['epoch', 'step', 'loss', 'lr'], row);
    },
    async onEpochEnd(log) {
      columns ??= columnsFor(log);
      await epochs.add(columns.map(([name]) => name), columns.map(([, read]) => numberField(read(log))));
    },
  };
}
