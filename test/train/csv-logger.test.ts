// csvLogger(): the rows of a real fit() parsed back (RFC 4180) equal its history; step rows in the
// .steps.csv file equal the step losses fit() reported; quoting, nan, append, bad input.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { csvField, stepsPathOf } from '../../lib/train/csv-logger.js';
import type { EpochLog, FitContext } from '../../lib/train/fit.js';
import { parseCsv, tinyFit } from './run-logs.js';

const tempDir = (): string => mkdtempSync(join(tmpdir(), 'rnnkit-csv-'));
const read = (path: string): string => readFileSync(path, 'utf8');
const context = { epoch: 0, optimizer: { lr: 0.5 } } as unknown as FitContext;
const log = (epoch: number, extra: Partial<EpochLog> = {}): EpochLog => ({
  epoch, loss: 1 / (epoch + 3), metrics: { accuracy: 0.5 }, lr: 0.01, seconds: 2, tokensPerSecond: 100, ...extra,
});
/** A field parsed back as csvLogger writes numbers. */
const num = (field: string): number => (field === 'nan' ? NaN : field === 'inf' ? Infinity : field === '-inf' ? -Infinity : Number(field));

describe('csvLogger', () => {
  it("writes one row per epoch of a real fit() with Keras' columns, and every N-th step's loss beside", async () => {
    const path = join(tempDir(), 'logs', 'run.csv');
    const { history, stepLosses } = await tinyFit([rk.train.csvLogger(path, { everySteps: 2 })]);
    const [header, ...rows] = parseCsv(read(path));
    expect(header).toEqual(['epoch', 'loss', 'accuracy', 'val_loss', 'val_accuracy', 'lr', 'seconds', 'tokens_per_second']);
    expect(rows).toHaveLength(3);
    rows.forEach((row, i) => {
      const e = history.epochs[i]!;
      const expected = [e.epoch, e.loss, e.metrics.accuracy, e.valLoss, e.valMetrics!.accuracy, e.lr, e.seconds, e.tokensPerSecond];
      expect(row.map(num)).toEqual(expected); // exact: the shortest round-trip digits
    });
    expect(stepLosses).toHaveLength(9); // 3 batches x 3 epochs
    const [stepHeader, ...stepRows] = parseCsv(read(stepsPathOf(path)));
    expect(stepsPathOf(path)).toBe(path.replace(/run\.csv$/, 'run.steps.csv'));
    expect(stepHeader).toEqual(['epoch', 'step', 'loss', 'lr']);
    expect(stepRows.map((r) => r.map(num))).toEqual(
      [2, 4, 6, 8].map((step) => [Math.floor((step - 1) / 3), step, stepLosses[step - 1], 0.01]),
    );
  });

  it('quotes fields as RFC 4180 wants, writes nan/inf, leaves a missing value empty', async () => {
    expect(['plain', 'a,b', 'say "hi"', 'two\nlines'].map(csvField)).toEqual(['plain', '"a,b"', '"say ""hi"""', '"two\nlines"']);
    const path = join(tempDir(), 'q.csv');
    const cb = rk.train.csvLogger(path);
    const odd = 'f1, "macro"';
    await cb.onEpochEnd!(log(0, { metrics: { [odd]: NaN }, valLoss: Infinity, valMetrics: {} }), context);
    await cb.onEpochEnd!(log(1, { metrics: { [odd]: 0.25 }, valLoss: -Infinity, valMetrics: { [odd]: 1 } }), context);
    expect(read(path)).toBe(
      'epoch,loss,"f1, ""macro""",val_loss,"val_f1, ""macro""",lr,seconds,tokens_per_second\n' +
        '0,0.3333333333333333,nan,inf,,0.01,2,100\n' +
        '1,0.25,0.25,-inf,1,0.01,2,100\n',
    );
    expect(parseCsv(read(path))[0]![2]).toBe(odd);
  });

  it('replaces an old file by default; append continues it under the same columns, and refuses other columns', async () => {
    const dir = tempDir();
    const path = join(dir, 'run.csv');
    writeFileSync(path, 'an old run\n');
    const first = rk.train.csvLogger(path);
    await first.onEpochEnd!(log(0), context);
    await first.onEpochEnd!(log(1), context);
    const resumed = rk.train.csvLogger(path, { append: true });
    await resumed.onEpochEnd!(log(2), context);
    const rows = parseCsv(read(path));
    expect(rows.map((r) => r[0])).toEqual(['epoch', '0', '1', '2']);
    const other = rk.train.csvLogger(path, { append: true });
    const changed = other.onEpochEnd!(log(3, { metrics: { perplexity: 3 } }), context);
    await expect(changed).rejects.toThrow(rk.ArgumentError);
    await expect(rk.train.csvLogger(path, { append: true }).onEpochEnd!(log(3, { metrics: {} }), context)).rejects.toThrow(
      `csvLogger: cannot append to ${path}: its columns are 'epoch,loss,accuracy,lr,seconds,tokens_per_second', this run logs 'epoch,loss,lr,seconds,tokens_per_second'`,
    );
    expect(parseCsv(read(path))).toEqual(rows); // untouched
    const fresh = join(dir, 'new.csv');
    await rk.train.csvLogger(fresh, { append: true }).onEpochEnd!(log(0), context);
    expect(parseCsv(read(fresh))[0]![0]).toBe('epoch'); // appending to nothing writes the header
  });

  it('rejects bad arguments with ArgumentErrors naming them', () => {
    const bad = (f: () => unknown, message: string | RegExp): void => {
      expect(f).toThrow(rk.ArgumentError);
      expect(f).toThrow(message);
    };
    bad(() => rk.train.csvLogger(''), "csvLogger: path must be a non-empty file path, got ''");
    bad(() => rk.train.csvLogger(undefined as unknown as string), 'csvLogger: path must be a non-empty file path, got undefined');
    bad(() => rk.train.csvLogger('a.csv', { everySteps: 0 }), 'csvLogger: options.everySteps must be >= 1, got 0');
    bad(() => rk.train.csvLogger('a.csv', { everySteps: '2' as unknown as number }), /csvLogger: options.everySteps must be a finite integer, got '2'/);
    bad(() => rk.train.csvLogger('a.csv', { append: 'yes' as unknown as boolean }), /csvLogger: options.append must be true or false, got 'yes'/);
    bad(() => rk.train.csvLogger('a.csv', { separator: ';' } as never), "csvLogger: unknown option 'separator' (known: everySteps, append)");
  });
});
