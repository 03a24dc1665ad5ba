// `rnnkit train` keeps history.jsonl and curves.svg in its run folder; `rnnkit plot` redraws the
// curves from the history; a missing, empty or broken history is a usage error naming the file.

import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { curvesSvg } from '../../lib/train/curves.js';
import { readHistory } from '../../lib/train/history-log.js';
import { newsCsv, newsRows, tempDir, write } from './fixtures.js';
import { requireBuiltCli, rnnkit, type CliResult } from './run-cli.js';

const TINY = ['--epochs', '3', '--hidden', '12', '--embedding', '8', '--layers', '1', '--batch', '16', '--progress', 'off'];

function expectUsage(r: CliResult, message: string): void {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toBe(`rnnkit plot: ${message} (see 'rnnkit plot --help')\n`);
  expect(r.stdout).toBe('');
}

describe('rnnkit train logs and rnnkit plot', () => {
  let dir: string;
  let trained: CliResult;
  beforeAll(async () => {
    requireBuiltCli();
    dir = tempDir();
    write(dir, 'train.csv', newsCsv(newsRows(96, 1)));
    write(dir, 'val.csv', newsCsv(newsRows(32, 2)));
    trained = await rnnkit(['train', '--task', 'classify', '--data', 'train.csv', '--val', 'val.csv', '--label-offset', '1', '--out', 'run', ...TINY], { cwd: dir });
  }, 240_000);

  it('train writes one history line per epoch and the curves drawn from them', async () => {
    expect(trained.code, trained.stderr).toBe(0);
    expect(trained.stdout).toMatch(/\n {2}history +run\/history\.jsonl\n {2}curves +run\/curves\.svg\n/);
    const epochs = await readHistory(join(dir, 'run', 'history.jsonl'));
    expect(epochs.map((e) => e.epoch)).toEqual([0, 1, 2]);
    expect(trained.stdout).toMatch(new RegExp(`\n {2}training loss +${epochs[2]!.loss.toFixed(4)}\n`));
    for (const e of epochs) {
      expect(e.valLoss).toBeGreaterThan(0);
      expect(e.valMetrics!.accuracy).toBeGreaterThanOrEqual(0);
    }
    expect(readFileSync(join(dir, 'run', 'curves.svg'), 'utf8')).toBe(curvesSvg(epochs));
  });

  it('plot redraws the same curves.svg, or writes --out', async () => {
    const svg = readFileSync(join(dir, 'run', 'curves.svg'), 'utf8');
    rmSync(join(dir, 'run', 'curves.svg'));
    const r = await rnnkit(['plot', 'run'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('wrote run/curves.svg (3 epochs)\n');
    expect(readFileSync(join(dir, 'run', 'curves.svg'), 'utf8')).toBe(svg);
    const other = await rnnkit(['plot', '--run', 'run', '--out', 'other.svg'], { cwd: dir });
    expect(other.stdout).toBe('wrote other.svg (3 epochs)\n');
    expect(readFileSync(join(dir, 'other.svg'), 'utf8')).toBe(svg);
  });

  it('a missing, empty or broken history is a usage error naming the file and line', async () => {
    expectUsage(await rnnkit(['plot'], { cwd: dir }), "RUN_DIR is required: the folder of a run ('rnnkit plot RUN_DIR', or --run DIR)");
    expectUsage(await rnnkit(['plot', 'run', '--run', 'run'], { cwd: dir }), '--run is given twice');
    expectUsage(await rnnkit(['plot', 'run', 'other'], { cwd: dir }), "unexpected argument 'other' (--run is already given)");
    expectUsage(
      await rnnkit(['plot', '--run', 'nowhere'], { cwd: dir }),
      "--run nowhere has no history.jsonl (expected nowhere/history.jsonl, as 'rnnkit train --out nowhere' writes it)",
    );
    mkdirSync(join(dir, 'broken'));
    const history = join('broken', 'history.jsonl');
    writeFileSync(join(dir, history), '');
    expectUsage(await rnnkit(['plot', '--run', 'broken'], { cwd: dir }), `${history} holds no epoch (is the run's first epoch still training?)`);
    copyFileSync(join(dir, 'run', 'history.jsonl'), join(dir, history));
    writeFileSync(join(dir, history), '{"epoch": 3, "loss": \n', { flag: 'a' });
    const r = await rnnkit(['plot', '--run', 'broken'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^rnnkit plot: broken\/history\.jsonl:4: not JSON \(.*\) \(see 'rnnkit plot --help'\)\n$/);
    writeFileSync(join(dir, history), '{"epoch": 0, "loss": "high"}\n');
    expectUsage(await rnnkit(['plot', '--run', 'broken'], { cwd: dir }), `${history}:1: loss must be a number (or null), got 'high'`);
  });
});
