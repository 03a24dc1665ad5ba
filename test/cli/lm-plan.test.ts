// In process: the plan `rnnkit train --task lm` builds is trained the way it says: stateful runs
// hand each batch the state the batch before ended with (and validation too), window runs start
// every batch from zeros.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgs, UsageError } from '../../lib/cli/argv.js';
import { checkTaskFlags, settingsFor, TRAIN_FLAGS } from '../../lib/cli/train/flags.js';
import { lmPlan } from '../../lib/cli/train/lm.js';
import { runPlan } from '../../lib/cli/train/run.js';
import type { LanguageModel } from '../../lib/nn/language-model.js';
import { LM_TEXT, tempDir, write } from './fixtures.js';

/** Trains the plan of these flags for one epoch; whether each model call was given a state. */
async function statesSeen(extra: string[]): Promise<boolean[]> {
  const dir = tempDir();
  const file = write(dir, 'corpus.txt', LM_TEXT);
  const argv = ['--task', 'lm', '--data', file, '--val', file, '--hidden', '8', '--embedding', '4', '--layers', '1', '--time', '32', '--batch', '8', '--epochs', '1', ...extra];
  const { flags } = parseArgs(argv, TRAIN_FLAGS);
  const settings = settingsFor('lm', flags);
  const plan = await lmPlan(flags, settings);
  const model = plan.model as LanguageModel;
  const seen: boolean[] = [];
  const run = model.run.bind(model);
  model.run = (ids, options) => {
    seen.push(options?.state !== undefined);
    return run(ids, options);
  };
  const write_ = process.stdout.write;
  process.stdout.write = () => true;
  try {
    await runPlan(plan, settings, join(dir, 'out'), 'cpu', 'off');
  } finally {
    process.stdout.write = write_;
  }
  return seen;
}

describe('rnnkit train --task lm plans', () => {
  it('a stateful plan carries the state from batch to batch in training and validation', async () => {
    // 8 streams of 240 tokens: 8 batches of 32 per pass, the first from zeros.
    const pass = [false, true, true, true, true, true, true, true];
    expect(await statesSeen([])).toEqual([...pass, ...pass]);
  });

  it('a --stateful false plan starts every window from zeros', async () => {
    const seen = await statesSeen(['--stateful', 'false']);
    expect(seen.length).toBeGreaterThan(2);
    expect(seen.every((s) => !s)).toBe(true);
  });

  it('--embedding-dropout and --output-dropout reach the model and its saved config (lm only)', async () => {
    const dir = tempDir();
    const file = write(dir, 'corpus.txt', LM_TEXT);
    const { flags } = parseArgs(['--task', 'lm', '--data', file, '--embedding-dropout', '0.3', '--output-dropout', '0.4'], TRAIN_FLAGS);
    const plan = await lmPlan(flags, settingsFor('lm', flags));
    expect(plan.config.model).toMatchObject({ embeddingDropout: 0.3, outputDropout: 0.4 });
    expect([(plan.model as LanguageModel).embeddingDropout, (plan.model as LanguageModel).outputDropout]).toEqual([0.3, 0.4]);
    const plain = parseArgs(['--task', 'lm', '--data', file], TRAIN_FLAGS).flags;
    expect((await lmPlan(plain, settingsFor('lm', plain))).config.model).toMatchObject({ embeddingDropout: 0, outputDropout: 0 });
    const classify = parseArgs(['--task', 'classify', '--data', file, '--output-dropout', '0.1'], TRAIN_FLAGS).flags;
    expect(() => checkTaskFlags(classify)).toThrow(UsageError);
    expect(() => checkTaskFlags(classify)).toThrow(/--output-dropout applies to --task lm/);
  });
});
