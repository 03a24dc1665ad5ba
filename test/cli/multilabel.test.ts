// End to end, as a child process: train a multi-label classifier (--task multilabel) on a CSV
// whose texts carry any number of topic labels (learnable: each label has its own words), then
// eval and predict from the checkpoint; and the bad inputs of the multi-label path.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir, write } from './fixtures.js';
import { requireBuiltCli, rnnkit, type CliResult } from './run-cli.js';

const LABELS = ['business', 'politics', 'sport', 'tech'];
const WORDS: Record<string, string[]> = {
  politics: ['minister', 'election', 'treaty', 'parliament'],
  sport: ['match', 'goal', 'coach', 'league'],
  business: ['shares', 'profit', 'merger', 'investors'],
  tech: ['software', 'chip', 'linux', 'satellite'],
};
const FILLER = ['the', 'a', 'on', 'in', 'after', 'said', 'new', 'week', 'report', 'today'];

interface Row {
  labels: string[];
  text: string;
}

/** n texts, each with 0 to 3 labels (a seeded draw) and two words of each of its labels among filler. */
function rows(n: number, seed: number): Row[] {
  let s = seed >>> 0;
  const random = (k: number): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.floor((s / 4294967296) * k);
  };
  return Array.from({ length: n }, () => {
    const labels = LABELS.filter(() => random(3) === 0);
    const words = Array.from({ length: 6 + random(4) }, () => FILLER[random(FILLER.length)]!);
    for (const label of labels) for (let k = 0; k < 2; k++) words.splice(random(words.length + 1), 0, WORDS[label]![random(4)]!);
    return { labels, text: words.join(' ') };
  });
}

const csv = (list: readonly Row[], sep = '|'): string => list.map((r) => `"${r.labels.join(sep)}","${r.text}"`).join('\n') + '\n';

function expectFailure(r: CliResult, code: 1 | 2, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^rnnkit \w+: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stdout).toBe('');
}

const tiny = (epochs: number): string[] => ['--epochs', String(epochs), '--hidden', '24', '--embedding', '16', '--layers', '1', '--batch', '16', '--lr', '0.02', '--pooling', 'max', '--progress', 'off'];
const TINY = tiny(6);

describe('rnnkit train --task multilabel, eval, predict', () => {
  let dir: string;
  const train = rows(320, 1);
  const val = rows(80, 2);
  let trained: CliResult;
  beforeAll(async () => {
    requireBuiltCli();
    dir = tempDir();
    write(dir, 'train.csv', csv(train));
    write(dir, 'val.csv', csv(val));
    trained = await rnnkit(['train', '--task', 'multilabel', '--data', 'train.csv', '--val', 'val.csv', '--out', 'tags', ...TINY], { cwd: dir });
  }, 240_000);

  it('trains with micro-F1 and subset accuracy far above chance, and saves a checkpoint', () => {
    expect(trained.code, trained.stderr).toBe(0);
    expect(trained.stdout).toMatch(/a 1-layer LSTM multi-label classifier \(4 labels, vocabulary \d+\)/);
    expect(trained.stdout).toMatch(/train\.csv: 320 texts, validating on val\.csv \(80 texts\)/);
    const counts = LABELS.map((l) => `${l}: ${train.filter((r) => r.labels.includes(l)).length}`).join(', ');
    expect(trained.stdout).toContain(`4 labels (texts with each): ${counts}`);
    const f1 = Number(/validation microF1 +(\d\.\d{4})/.exec(trained.stdout)?.[1]);
    // Chance: predicting each label with its frequency (1/3) gives a micro-F1 near 1/3.
    expect(f1).toBeGreaterThanOrEqual(0.9);
    expect(trained.stdout).toMatch(/training microF1 +\d\.\d{4}/);
    expect(trained.stdout).toMatch(/label texts: rnnkit predict --checkpoint tags --input texts\.txt {3}\(one text per line; prints its labels joined by '\|'\)/);
    expect(existsSync(join(dir, 'tags', 'model.safetensors'))).toBe(true);
  });

  it('predict prints the labels at or above --threshold; eval agrees with predict', async () => {
    const predicted = await rnnkit(['predict', '--checkpoint', 'tags'], { cwd: dir, input: val.map((r) => r.text).join('\n') + '\n' });
    expect(predicted.code, predicted.stderr).toBe(0);
    const sets = predicted.stdout.split('\n').slice(0, -1).map((line) => (line === '' ? [] : line.split('|')));
    expect(sets).toHaveLength(80);
    for (const set of sets) for (const l of set) expect(LABELS).toContain(l);
    // Micro-F1 and exact matches counted here from predict's labels.
    let tp = 0;
    let fp = 0;
    let fn = 0;
    let exact = 0;
    sets.forEach((set, i) => {
      const truth = val[i]!.labels;
      tp += set.filter((l) => truth.includes(l)).length;
      fp += set.filter((l) => !truth.includes(l)).length;
      fn += truth.filter((l) => !set.includes(l)).length;
      if (set.length === truth.length && set.every((l) => truth.includes(l))) exact++;
    });
    const f1 = (2 * tp) / (2 * tp + fp + fn);
    expect(exact / 80).toBeGreaterThanOrEqual(0.7); // chance (right subset of 4 labels): about 1/5
    const evaluated = await rnnkit(['eval', '--checkpoint', 'tags', '--data', 'val.csv'], { cwd: dir });
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(evaluated.stdout).toBe(
      `microF1 ${f1.toFixed(4)}  subsetAccuracy ${((100 * exact) / 80).toFixed(2)}%  loss ${/loss (\d+\.\d{4})/.exec(evaluated.stdout)?.[1]}  (80 texts of val.csv)\n`,
    );
    // A threshold near 1 keeps only the surest labels; near 0 every label.
    const strict = await rnnkit(['predict', '--checkpoint', 'tags', '--threshold', '1'], { cwd: dir, input: 'the minister said\n' });
    expect(strict.stdout).toBe('\n');
    const lax = await rnnkit(['predict', '--checkpoint', 'tags', '--threshold', '0.000001'], { cwd: dir, input: 'the minister said\n' });
    expect(lax.stdout).toBe('business|politics|sport|tech\n');
    const one = await rnnkit(['predict', '--checkpoint', 'tags'], { cwd: dir, input: 'the coach said on the match after the election in parliament\n' });
    expect(one.stdout.trimEnd().split('|')).toEqual(expect.arrayContaining(['politics', 'sport']));
  });

  it('reads JSONL, another --label-separator, and a rerun replaces its own checkpoint', async () => {
    write(dir, 'train.jsonl', train.map((r) => JSON.stringify({ text: r.text, labels: r.labels })).join('\n') + '\n');
    const jsonl = await rnnkit(['train', '--task', 'multilabel', '--data', 'train.jsonl', '--out', 'tags', ...tiny(1)], { cwd: dir });
    expect(jsonl.code, jsonl.stderr).toBe(0);
    expect(jsonl.stdout).toMatch(/train\.jsonl: 288 texts for training, 32 held out for validation/);
    write(dir, 'semi.csv', csv(train.slice(0, 40), ';'));
    const semi = await rnnkit(['train', '--task', 'multilabel', '--data', 'semi.csv', '--label-separator', ';', '--out', 'semi', ...tiny(1)], { cwd: dir });
    expect(semi.code, semi.stderr).toBe(0);
    const predicted = await rnnkit(['predict', '--checkpoint', 'semi', '--threshold', '0.000001'], { cwd: dir, input: 'a text\n' });
    expect(predicted.stdout).toBe('business;politics;sport;tech\n');
  });

  it('bad labels, flags and checkpoints fail with one clear line and write nothing', async () => {
    write(dir, 'unknown.csv', '"politics|arts","the minister"\n');
    const r = await rnnkit(['train', '--task', 'multilabel', '--data', 'train.csv', '--val', 'unknown.csv', '--out', 'bad', ...TINY], { cwd: dir });
    expectFailure(r, 1, /unknown\.csv:1: label 'arts' is not one of the 4 labels \(business, politics, sport, tech\)/);
    expect(existsSync(join(dir, 'bad'))).toBe(false);
    expectFailure(await rnnkit(['eval', '--checkpoint', 'tags', '--data', 'unknown.csv'], { cwd: dir }), 1, /unknown\.csv:1: label 'arts' is not one of the 4 labels/);
    write(dir, 'nolabels.csv', '"","a text"\n"","another"\n');
    expectFailure(await rnnkit(['train', '--task', 'multilabel', '--data', 'nolabels.csv', '--out', 'bad', ...TINY], { cwd: dir }), 1, /nolabels\.csv: no row has a label/);
    expectFailure(await rnnkit(['train', '--task', 'multilabel', '--data', 'train.csv', '--label-separator', '||'], { cwd: dir }), 2, /--label-separator must be one character, got '\|\|'/);
    expectFailure(await rnnkit(['train', '--task', 'classify', '--data', 'train.csv', '--label-separator', ';'], { cwd: dir }), 2, /--label-separator applies to --task multilabel/);
    expectFailure(await rnnkit(['train', '--task', 'multilabel', '--data', 'train.csv', '--classes', '3'], { cwd: dir }), 2, /--classes applies to --task classify/);
    expectFailure(await rnnkit(['train', '--task', 'multilabel'], { cwd: dir }), 2, /--task multilabel needs --data FILE/);
    expectFailure(await rnnkit(['predict', '--checkpoint', 'tags', '--threshold', '0'], { cwd: dir, input: 'x\n' }), 2, /--threshold must be > 0, got 0/);
    expectFailure(await rnnkit(['predict', '--checkpoint', 'tags', '--threshold', '1.5'], { cwd: dir, input: 'x\n' }), 2, /--threshold must be <= 1, got 1\.5/);
  });
});
