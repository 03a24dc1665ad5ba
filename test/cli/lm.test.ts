// End to end, as a child process: train a character language model on a text, generate from it
// and evaluate it; a prompt with unknown characters; checkpoints of the other kind.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { loadCheckpoint } from '../../lib/cli/checkpoint.js';
import { LM_TEXT, newsCsv, newsRows, tempDir, write } from './fixtures.js';
import { requireBuiltCli, rnnkit, type CliResult } from './run-cli.js';

function expectFailure(r: CliResult, code: 1 | 2, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(pattern);
  expect(r.stdout).toBe('');
}

const TINY = ['--epochs', '4', '--hidden', '32', '--embedding', '16', '--layers', '1', '--time', '32', '--batch', '8', '--lr', '0.02', '--progress', 'off'];

describe('rnnkit train --task lm, generate, eval', () => {
  let dir: string;
  let trained: CliResult;
  beforeAll(async () => {
    requireBuiltCli();
    dir = tempDir();
    write(dir, 'corpus.txt', LM_TEXT);
    trained = await rnnkit(['train', '--task', 'lm', '--data', 'corpus.txt', '--out', 'lm', ...TINY], { cwd: dir });
  }, 240_000);

  it('trains and saves a checkpoint', () => {
    expect(trained.code, trained.stderr).toBe(0);
    expect(trained.stdout).toMatch(/a 1-layer LSTM language model \(vocabulary 16\)/);
    expect(trained.stdout).toMatch(/corpus\.txt: 59 windows of 32 tokens, streamed from the file each epoch/);
    expect(trained.stdout).toMatch(/training perplexity +\d+\.\d{3}/);
    expect(trained.stdout).toMatch(/\ngenerate: rnnkit generate --checkpoint lm --prompt "the cat sat"\n$/);
  });

  it('generate prints the prompt and its continuation, the same as generate() on the loaded checkpoint', async () => {
    const r = await rnnkit(['generate', '--checkpoint', 'lm', '--prompt', 'the ', '--max-tokens', '40', '--temperature', '0'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const { model, tokenizer } = await loadCheckpoint(join(dir, 'lm'), ['lm'], 'test');
    const expected = await rk.generate(model, tokenizer, { prompt: 'the ', maxTokens: 40, temperature: 0 });
    expect(r.stdout).toBe(`the ${expected}\n`);
    expect(expected).toHaveLength(40);

    const sample = ['generate', '--checkpoint', 'lm', '--prompt', 'the c', '--max-tokens', '60', '--seed', '3'];
    const a = await rnnkit(sample, { cwd: dir });
    expect(a.code, a.stderr).toBe(0);
    expect((await rnnkit(sample, { cwd: dir })).stdout).toBe(a.stdout);
    expect(a.stdout).toBe(`the c${await rk.generate(model, tokenizer, { prompt: 'the c', maxTokens: 60, temperature: 0.8, seed: 3 })}\n`);
  });

  it('eval gives the perplexity on a text, below the vocabulary size a guess would get', async () => {
    const r = await rnnkit(['eval', '--checkpoint', 'lm', '--data', 'corpus.txt'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const m = /^perplexity (\d+\.\d+) {2}loss (\d+\.\d+) {2}\(59 windows of 32 tokens of corpus\.txt\)\n$/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    expect(Math.log(Number(m![1]))).toBeCloseTo(Number(m![2]), 2);
    expect(Number(m![1])).toBeLessThan(16);
  });

  it('a prompt with unknown characters, a bad option value or a too-short text fail clearly', async () => {
    expectFailure(await rnnkit(['generate', '--checkpoint', 'lm', '--prompt', 'the ЖX'], { cwd: dir }), 1, /options\.prompt has characters the tokenizer does not know: "Ж" \(U\+0416\), "X" \(U\+0058\)/);
    expectFailure(await rnnkit(['generate', '--checkpoint', 'lm', '--prompt', 'the', '--top-p', '0'], { cwd: dir }), 2, /--top-p must be > 0, got 0/);
    expectFailure(await rnnkit(['generate', '--checkpoint', 'lm', '--prompt', 'the', '--temperature', '-1'], { cwd: dir }), 2, /--temperature must be >= 0, got -1/);
    expectFailure(await rnnkit(['generate', '--checkpoint', 'lm'], { cwd: dir }), 2, /--prompt is required/);
    write(dir, 'short.txt', 'too short');
    expectFailure(await rnnkit(['train', '--task', 'lm', '--data', 'short.txt', ...TINY], { cwd: dir }), 1, /short\.txt: 9 tokens are too few for one window of --time 32 \(needs 33\); use a smaller --time/);
    write(dir, 'empty.txt', '');
    expectFailure(await rnnkit(['train', '--task', 'lm', '--data', 'empty.txt', ...TINY], { cwd: dir }), 1, /empty\.txt: the file has no characters/);
  });

  it('a checkpoint of the other kind or of another program is one CheckpointError, and nothing is overwritten', async () => {
    const file = join(dir, 'lm', 'model.safetensors');
    const before = readFileSync(file);
    expectFailure(await rnnkit(['predict', '--checkpoint', 'lm'], { cwd: dir, input: 'the cat\n' }), 1, /CheckpointError: .*holds a language-model checkpoint; 'rnnkit predict' needs a classifier checkpoint/);

    write(dir, 'news.csv', newsCsv(newsRows(40, 3)));
    const overwrite = await rnnkit(['train', '--task', 'classify', '--data', 'news.csv', '--out', 'lm', '--epochs', '1', '--progress', 'off'], { cwd: dir });
    expectFailure(overwrite, 1, /CheckpointError: .*holds a language-model checkpoint, this run trains a classifier; choose another --out or remove it \(nothing was written\)/);
    expect(readFileSync(file).equals(before)).toBe(true);

    // A safetensors file that rnnkit train did not write (plain tensors, no run config).
    const t = rk.tensor([1, 2, 3]);
    await rk.io.save(join(dir, 'plain.safetensors'), { tensors: { w: t } });
    t.dispose();
    expectFailure(await rnnkit(['generate', '--checkpoint', 'plain.safetensors', '--prompt', 'the'], { cwd: dir }), 1, /CheckpointError: .*plain\.safetensors was not written by 'rnnkit train'/);
    expectFailure(await rnnkit(['eval', '--checkpoint', 'nowhere', '--data', 'corpus.txt'], { cwd: dir }), 1, /CheckpointError: no checkpoint at nowhere/);
    write(dir, 'broken.safetensors', 'not a checkpoint at all');
    expectFailure(await rnnkit(['generate', '--checkpoint', 'broken.safetensors', '--prompt', 'the'], { cwd: dir }), 1, /CheckpointError: /);
  });
});
