// historyLog() / readHistory(): the JSON lines of a real fit() read back equal its history;
// non-finite values, append, and broken files named by file:line.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import type { EpochLog, FitContext } from '../../lib/train/fit.js';
import { tinyFit } from './run-logs.js';

const tempDir = (): string => mkdtempSync(join(tmpdir(), 'rnnkit-history-'));
const context = {} as FitContext;
const log = (epoch: number, extra: Partial<EpochLog> = {}): EpochLog => ({
  epoch, loss: 0.5, metrics: { accuracy: 0.75 }, lr: 0.001, seconds: 1, tokensPerSecond: 10, ...extra,
});

describe('historyLog / readHistory', () => {
  it("reads back exactly the epochs of a real fit(), one JSON object per line", async () => {
    const path = join(tempDir(), 'run', 'history.jsonl');
    const { history } = await tinyFit([rk.train.historyLog(path)]);
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines).toHaveLength(4); // 3 epochs and the final line break
    expect(JSON.parse(lines[1]!)).toEqual(history.epochs[1]);
    expect(await rk.train.readHistory(path)).toEqual(history.epochs);
  });

  it('writes non-finite values as null and reads them as NaN; append continues a file, the default replaces it', async () => {
    const path = join(tempDir(), 'h.jsonl');
    writeFileSync(path, 'old run\n');
    const cb = rk.train.historyLog(path);
    await cb.onEpochEnd!(log(0, { loss: NaN, valLoss: Infinity, valMetrics: { accuracy: 0.5 } }), context);
    expect(readFileSync(path, 'utf8')).toBe(
      '{"epoch":0,"loss":null,"metrics":{"accuracy":0.75},"lr":0.001,"seconds":1,"tokensPerSecond":10,"valLoss":null,"valMetrics":{"accuracy":0.5}}\n',
    );
    await rk.train.historyLog(path, { append: true }).onEpochEnd!(log(1), context);
    expect(await rk.train.readHistory(path)).toEqual([
      log(0, { loss: NaN, valLoss: NaN, valMetrics: { accuracy: 0.5 } }),
      log(1),
    ]);
  });

  it('names the file and line of a broken line; an empty file is no epochs', async () => {
    const dir = tempDir();
    const path = join(dir, 'h.jsonl');
    const good = JSON.stringify(log(0));
    const cases: [string, string][] = [
      [`${good}\n{"epoch": 1, "loss"\n`, `${path}:2: not JSON (`],
      [`${good}\n\n${JSON.stringify({ ...log(2), loss: 'low' })}\n`, `${path}:3: loss must be a number (or null), got 'low'`],
      [`${JSON.stringify({ ...log(0), epoch: -1 })}\n`, `${path}:1: epoch must be an integer >= 0, got -1`],
      [`[1, 2]\n`, `${path}:1: expected an epoch log object, got`],
      [`${JSON.stringify({ ...log(0), metrics: { accuracy: '1' } })}\n`, `${path}:1: metrics.accuracy must be a number (or null), got '1'`],
    ];
    for (const [text, message] of cases) {
      writeFileSync(path, text);
      await expect(rk.train.readHistory(path)).rejects.toThrow(rk.ArgumentError);
      await expect(rk.train.readHistory(path)).rejects.toThrow(message);
    }
    writeFileSync(path, '');
    expect(await rk.train.readHistory(path)).toEqual([]);
    await expect(rk.train.readHistory(join(dir, 'missing.jsonl'))).rejects.toThrow(/readHistory: cannot read .*missing\.jsonl: ENOENT/);
    expect(() => rk.train.historyLog('')).toThrow("historyLog: path must be a non-empty file path, got ''");
    expect(() => rk.train.historyLog('h', { append: 1 } as never)).toThrow(/historyLog: options.append must be true or false, got 1/);
    expect(() => rk.train.historyLog('h', { flush: true } as never)).toThrow(rk.ArgumentError);
  });
});
