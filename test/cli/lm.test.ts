// End to end, as a child process: train a character language model on a text (stateful by
// default, shuffled windows with --stateful=false, a GRU with --model gru), generate from it and
// evaluate it; a prompt with unknown characters; checkpoints of the other kind or of an older
// version.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { loadCheckpoint, saveCheckpoint, type LanguageModelConfig } from '../../lib/cli/checkpoint.js';
import { LM_TEXT, newsCsv, newsRows, tempDir, write } from './fixtures.js';
import { requireBuiltCli, rnnkit, type CliResult } from './run-cli.js';

function expectFailure(r: CliResult, code: 1 | 2, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(pattern);
  expect(r.stdout).toBe('');
}

const SHAPE = ['--hidden', '32', '--embedding', '16', '--layers', '1', '--time', '32', '--batch', '8', '--lr', '0.02', '--progress', 'off'];
const TINY = ['--epochs', '4', ...SHAPE];

describe('rnnkit train --task lm, generate, eval', () => {
  let dir: string;
  let trained: CliResult;
  beforeAll(async () => {
    requireBuiltCli();
    dir = tempDir();
    write(dir, 'corpus.txt', LM_TEXT);
    trained = await rnnkit(['train', '--task', 'lm', '--data', 'corpus.txt', '--out', 'lm', ...TINY], { cwd: dir });
  }, 240_000);

  it('trains statefully by default and saves a checkpoint that says so', async () => {
    expect(trained.code, trained.stderr).toBe(0);
    expect(trained.stdout).toMatch(/a 1-layer LSTM language model \(vocabulary 16\)/);
    // 1,920 characters as 8 streams of 240: 239 targets each, in 8 batches of 32 (the last of 15).
    expect(trained.stdout).toMatch(/corpus\.txt: 8 streams of 240 tokens, 8 batches of 32, the state carried from batch to batch/);
    expect(trained.stdout).toMatch(/training perplexity +\d+\.\d{3}/);
    expect(trained.stdout).toMatch(/\ngenerate: rnnkit generate --checkpoint lm --prompt "the cat sat"\n$/);
    const { config, model } = await loadCheckpoint(join(dir, 'lm'), ['lm'], 'test');
    expect(config.data).toEqual({ time: 32, stateful: true });
    expect(config.model.cell).toBe('lstm');
    expect(model.rnn).toBeInstanceOf(rk.nn.LSTM);
  });

  it('--stateful=false (or --no-stateful) trains on shuffled windows streamed from the file', async () => {
    for (const flag of [['--stateful', 'false'], ['--stateful=false'], ['--no-stateful']]) {
      const r = await rnnkit(['train', '--task', 'lm', '--data', 'corpus.txt', '--out', 'lm-windows', ...flag, ...SHAPE, '--epochs', '1'], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/corpus\.txt: 59 windows of 32 tokens, streamed from the file each epoch/);
      expect((await loadCheckpoint(join(dir, 'lm-windows'), ['lm'], 'test')).config.data).toEqual({ time: 32, stateful: false });
    }
    expectFailure(await rnnkit(['train', '--task', 'classify', '--data', 'corpus.txt', '--stateful'], { cwd: dir }), 2, /--stateful applies to --task lm/);
    const e = await rnnkit(['eval', '--checkpoint', 'lm-windows', '--data', 'corpus.txt'], { cwd: dir });
    expect(e.code, e.stderr).toBe(0);
    expect(e.stdout).toMatch(/^perplexity \d+\.\d+ {2}loss \d+\.\d+ {2}\(59 windows of 32 tokens of corpus\.txt\)\n$/);
  });

  it('--model gru trains a GRU language model; generate reads it back', async () => {
    const r = await rnnkit(['train', '--task', 'lm', '--data', 'corpus.txt', '--out', 'lm-gru', '--model', 'gru', ...SHAPE, '--epochs', '2'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/a 1-layer GRU language model \(vocabulary 16\)/);
    const { config, model, tokenizer } = await loadCheckpoint(join(dir, 'lm-gru'), ['lm'], 'test');
    expect(config.model.cell).toBe('gru');
    expect(model.rnn).toBeInstanceOf(rk.nn.GRU);
    const g = await rnnkit(['generate', '--checkpoint', 'lm-gru', '--prompt', 'the ', '--max-tokens', '30', '--temperature', '0'], { cwd: dir });
    expect(g.code, g.stderr).toBe(0);
    expect(g.stdout).toBe(`the ${await rk.generate(model, tokenizer, { prompt: 'the ', maxTokens: 30, temperature: 0 })}\n`);
  });

  it('a checkpoint written before cell, the dropouts and stateful existed still loads as an LSTM', async () => {
    rk.seed(3);
    const tokenizer = rk.data.CharTokenizer.fromCorpus(LM_TEXT);
    const old = { vocabSize: tokenizer.vocabSize, embeddingDim: 8, hiddenSize: 12, numLayers: 1, dropout: 0 };
    const model = new rk.nn.LanguageModel(old);
    const config: LanguageModelConfig = { task: 'lm', model: old, tokenizer: tokenizer.toJSON(), data: { time: 16 } };
    await saveCheckpoint(join(dir, 'lm-old'), config, model, {});
    const loaded = await loadCheckpoint(join(dir, 'lm-old'), ['lm'], 'test');
    expect(loaded.model.rnn).toBeInstanceOf(rk.nn.LSTM);
    expect([loaded.model.embeddingDropout, loaded.model.outputDropout]).toEqual([0, 0]);
    for (const [name, p] of loaded.model.namedParameters()) expect(p.dataSync(), name).toEqual(model.stateDict()[name]!.dataSync());
    const g = await rnnkit(['generate', '--checkpoint', 'lm-old', '--prompt', 'the ', '--max-tokens', '10', '--temperature', '0'], { cwd: dir });
    expect(g.code, g.stderr).toBe(0);
    expect(g.stdout).toBe(`the ${await rk.generate(loaded.model, loaded.tokenizer, { prompt: 'the ', maxTokens: 10, temperature: 0 })}\n`);
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

  it('eval of a stateful checkpoint carries the state through the text, as evaluate({ stateful: true }) does', async () => {
    const r = await rnnkit(['eval', '--checkpoint', 'lm', '--data', 'corpus.txt', '--batch', '8'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    // 1,920 characters as 8 streams of 240, read in 8 batches of 32 (the checkpoint's time).
    const m = /^perplexity (\d+\.\d+) {2}loss (\d+\.\d+) {2}\(the state carried through 8 streams of 240 tokens of corpus\.txt\)\n$/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    expect(Math.log(Number(m![1]))).toBeCloseTo(Number(m![2]), 2);
    expect(Number(m![1])).toBeLessThan(16);
    const { model, tokenizer } = await loadCheckpoint(join(dir, 'lm'), ['lm'], 'test');
    const streams = rk.data.textStream(tokenizer.encode(LM_TEXT), { batchSize: 8, time: 32 });
    const loss: rk.train.LossFn = (output, batch) => rk.crossEntropy(output, batch.targets);
    const carried = await rk.train.evaluate(model, streams, { loss, stateful: true });
    const fresh = await rk.train.evaluate(model, streams, { loss });
    expect(Number(m![2])).toBeCloseTo(carried.loss!, 4);
    expect(Math.abs(carried.loss! - fresh.loss!)).toBeGreaterThan(1e-3);
  });

  it('a prompt with unknown characters, a bad option value or a too-short text fail clearly', async () => {
    expectFailure(await rnnkit(['generate', '--checkpoint', 'lm', '--prompt', 'the ЖX'], { cwd: dir }), 1, /options\.prompt has characters the tokenizer does not know: "Ж" \(U\+0416\), "X" \(U\+0058\)/);
    expectFailure(await rnnkit(['generate', '--checkpoint', 'lm', '--prompt', 'the', '--top-p', '0'], { cwd: dir }), 2, /--top-p must be > 0, got 0/);
    expectFailure(await rnnkit(['generate', '--checkpoint', 'lm', '--prompt', 'the', '--temperature', '-1'], { cwd: dir }), 2, /--temperature must be >= 0, got -1/);
    expectFailure(await rnnkit(['generate', '--checkpoint', 'lm'], { cwd: dir }), 2, /--prompt is required/);
    write(dir, 'short.txt', 'too short');
    expectFailure(await rnnkit(['train', '--task', 'lm', '--data', 'short.txt', ...TINY], { cwd: dir }), 1, /short\.txt: 9 tokens are too few for --batch 8 streams of at least 2 tokens \(needs 16\); use a smaller --batch/);
    expectFailure(await rnnkit(['train', '--task', 'lm', '--data', 'short.txt', '--no-stateful', ...TINY], { cwd: dir }), 1, /short\.txt: 9 tokens are too few for one window of --time 32 \(needs 33\); use a smaller --time/);
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
