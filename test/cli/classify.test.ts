// End to end, as a child process: train a classifier on an AG-News-layout CSV, predict and
// evaluate with its checkpoint; and every bad input of the classifier path, each one clear line
// with exit code 1 or 2 and nothing written.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { newsCsv, newsRows, tempDir, write } from './fixtures.js';
import { requireBuiltCli, rnnkit, type CliResult } from './run-cli.js';

/** A failure: the exit code, one line on stderr naming the command, no stack trace, nothing on stdout. */
function expectFailure(r: CliResult, code: 1 | 2, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^rnnkit \w+: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stdout).toBe('');
}

const TINY = ['--epochs', '3', '--hidden', '24', '--embedding', '16', '--layers', '1', '--batch', '16', '--lr', '0.02', '--pooling', 'mean', '--progress', 'off'];

describe('rnnkit train --task classify, predict, eval', () => {
  let dir: string;
  const train = newsRows(240, 1);
  const val = newsRows(60, 2);
  let trained: CliResult;
  beforeAll(async () => {
    requireBuiltCli();
    dir = tempDir();
    write(dir, 'train.csv', newsCsv(train));
    write(dir, 'val.csv', newsCsv(val));
    trained = await rnnkit(['train', '--task', 'classify', '--data', 'train.csv', '--val', 'val.csv', '--label-offset', '1', '--out', 'news', ...TINY], { cwd: dir });
  }, 240_000);

  it('trains, validates each epoch and saves a checkpoint', () => {
    expect(trained.code, trained.stderr).toBe(0);
    expect(trained.stdout).toMatch(/a 1-layer LSTM classifier \(4 classes, vocabulary \d+\)/);
    expect(trained.stdout).toMatch(/train\.csv: 240 texts, validating on val\.csv \(60 texts\)/);
    expect(trained.stdout).toMatch(/labels \(count\): 1: 60, 2: 60, 3: 60, 4: 60/);
    expect(trained.stdout).toMatch(/validation accuracy +\d+\.\d\d%/);
    expect(trained.stdout).toMatch(/tokens\/s +[\d,]+/);
    expect(trained.stdout).toMatch(/\n {2}checkpoint +news\/model\.safetensors\n/);
    expect(existsSync(join(dir, 'news', 'model.safetensors'))).toBe(true);
  });

  it('predict prints one label per line (1..4 as in the file); eval agrees with it', async () => {
    const texts = val.map((r) => `${r.title} ${r.description}`);
    const predicted = await rnnkit(['predict', '--checkpoint', 'news'], { cwd: dir, input: texts.join('\n') + '\n' });
    expect(predicted.code, predicted.stderr).toBe(0);
    const labels = predicted.stdout.trimEnd().split('\n').map(Number);
    expect(labels).toHaveLength(60);
    for (const l of labels) expect([1, 2, 3, 4]).toContain(l);
    const correct = labels.filter((l, i) => l === val[i]!.label).length;
    expect(correct / 60).toBeGreaterThanOrEqual(0.9); // topic words decide the class

    // eval reads the CSV itself (bucketed batches): the same accuracy as predict's labels.
    const evaluated = await rnnkit(['eval', '--checkpoint', 'news', '--data', 'val.csv'], { cwd: dir });
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(evaluated.stdout).toMatch(new RegExp(`^accuracy ${((100 * correct) / 60).toFixed(2)}%  loss \\d+\\.\\d+  \\(60 texts of val\\.csv\\)\\n$`));

    // The same texts from a file, in smaller batches: the same labels.
    write(dir, 'texts.txt', texts.join('\n'));
    const fromFile = await rnnkit(['predict', '--checkpoint', 'news', '--input', 'texts.txt', '--batch', '7'], { cwd: dir });
    expect(fromFile.stdout).toBe(predicted.stdout);
  });

  it('a training CSV with a bad row, label or file fails with file:line and writes nothing', async () => {
    const rows = newsCsv(train.slice(0, 12)).split('\n');
    const cases: [string, string, RegExp][] = [
      ['missing.csv', '', /missing\.csv: no such file/],
      ['empty.csv', '', /empty\.csv: no rows \(the file is empty\)/],
      ['fields.csv', [...rows.slice(0, 2), '"3","only a title"', ...rows.slice(3)].join('\n'), /fields\.csv:3: the row has 2 fields, expected 3 \(as on line 1\)/],
      ['quote.csv', [...rows.slice(0, 4), '"2","unterminated,"x"'].join('\n'), /quote\.csv:5: /],
      ['label.csv', [...rows.slice(0, 5), '"two","a title","a text"'].join('\n'), /label\.csv:6: label 'two' is not an integer/],
      ['negative.csv', [...rows.slice(0, 1), '"-1","a title","a text"'].join('\n'), /negative\.csv:2: label -1 is out of range: labels must be >= 0/],
    ];
    for (const [name, text, pattern] of cases) {
      if (name !== 'missing.csv') write(dir, name, text);
      const r = await rnnkit(['train', '--task', 'classify', '--data', name, '--out', `out-${name}`, ...TINY], { cwd: dir });
      expectFailure(r, 1, pattern);
      expect(existsSync(join(dir, `out-${name}`)), name).toBe(false);
    }
    // Validation labels must be among the training classes; --classes bounds them too.
    write(dir, 'val5.csv', '"5","a title","a text"\n');
    const withVal5 = ['train', '--task', 'classify', '--data', 'train.csv', '--val', 'val5.csv', '--label-offset', '1', ...TINY];
    expectFailure(await rnnkit(withVal5, { cwd: dir }), 1, /val5\.csv:1: label 5 is out of range: labels must be 1\.\.4 \(labelOffset 1, numClasses 4\)/);
    expectFailure(
      await rnnkit(['train', '--task', 'classify', '--data', 'train.csv', '--label-offset', '1', '--classes', '3', ...TINY], { cwd: dir }),
      1,
      /train\.csv:4: label 4 is out of range: labels must be 1\.\.3 \(labelOffset 1, numClasses 3\)/,
    );
  });

  it('usage mistakes exit with 2', async () => {
    expectFailure(await rnnkit(['train', '--task', 'classify', '--data', 'train.csv', '--epoch', '2'], { cwd: dir }), 2, /unknown flag --epoch \(see 'rnnkit train --help'\)/);
    expectFailure(await rnnkit(['train', '--task', 'classify'], { cwd: dir }), 2, /--task classify needs --data FILE/);
    expectFailure(await rnnkit(['train', '--task', 'classify', '--data', 'train.csv', '--time', '20'], { cwd: dir }), 2, /--time applies to --task lm/);
    expectFailure(await rnnkit(['train', '--data', 'train.csv'], { cwd: dir }), 2, /--data applies to --task classify or --task multilabel or --task lm \(without --task, train runs the built-in demo\)/);
    expectFailure(await rnnkit(['train', '--task', 'classify', '--data', 'train.csv', '--epochs', '0'], { cwd: dir }), 2, /--epochs must be >= 1, got 0/);
    expectFailure(await rnnkit(['predict'], { cwd: dir }), 2, /--checkpoint is required/);
    expectFailure(await rnnkit(['predict', '--checkpoint', 'news', 'extra'], { cwd: dir }), 2, /unexpected argument 'extra'/);
  });

  it('predict rejects an empty input and a line with no tokens, naming the line', async () => {
    expectFailure(await rnnkit(['predict', '--checkpoint', 'news'], { cwd: dir, input: '' }), 1, /stdin: no texts to classify/);
    expectFailure(await rnnkit(['predict', '--checkpoint', 'news'], { cwd: dir, input: 'the match\n...\n' }), 1, /stdin:2: the text has no tokens/);
    expectFailure(await rnnkit(['predict', '--checkpoint', 'news', '--input', 'nope.txt'], { cwd: dir }), 1, /nope\.txt: no such file/);
    expectFailure(await rnnkit(['eval', '--checkpoint', 'news', '--data', 'nope.csv'], { cwd: dir }), 1, /nope\.csv: no such file/);
  });

  it('--verbose adds the stack trace', async () => {
    const r = await rnnkit(['eval', '--checkpoint', 'news', '--data', 'nope.csv', '--verbose'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toMatch(/nope\.csv: no such file/);
    expect(r.stderr).toMatch(/\n\s+at /);
  });

  it('takes the checkpoint file itself as --checkpoint too', async () => {
    const r = await rnnkit(['predict', '--checkpoint', join('news', 'model.safetensors')], { cwd: dir, input: 'the striker scored a goal\n' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('2\n');
  });
});
