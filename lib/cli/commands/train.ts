// `rnnkit train`: the built-in demo with no flags, a text classifier with --task classify (multi-label
// with --task multilabel), a language model with --task lm. Checks the flags and the --out folder
// before any work starts.

import { seed } from '../../random.js';
import type { ProgressMode } from '../../train/progress.js';
import { checkOutDir } from '../checkpoint.js';
import { useDevice } from '../device.js';
import type { Command } from '../main.js';
import { classifyPlan } from '../train/classify.js';
import { demoPlan } from '../train/demo.js';
import { checkTaskFlags, settingsFor, TRAIN_FLAGS } from '../train/flags.js';
import { lmPlan } from '../train/lm.js';
import { runPlan } from '../train/run.js';

export const command: Command<typeof TRAIN_FLAGS> = {
  usage: 'rnnkit train [--task default|classify|multilabel|lm] [--data FILE] [flags]',
  description: [
    'Trains a model, validating each epoch, and saves a checkpoint folder that eval, predict and',
    'generate read. With no flags it runs the built-in demo: a 2-layer bidirectional LSTM learns a',
    'generated task that needs memory of both ends of each sequence (about a minute on 2 CPU cores).',
    '',
    'Examples:',
    '  rnnkit train',
    '  rnnkit train --task classify --data train.csv --val test.csv --bidirectional --epochs 3',
    '  rnnkit train --task lm --data book.txt --epochs 20 --out book-lm',
  ].join('\n'),
  flags: TRAIN_FLAGS,
  async run(flags) {
    const task = checkTaskFlags(flags);
    const settings = settingsFor(task, flags);
    const device = useDevice(flags.device);
    await checkOutDir(flags.out, { task: task === 'default' ? 'classify' : (flags.task as 'classify' | 'multilabel' | 'lm') });
    seed(settings.seed);
    const plan = task === 'default' ? demoPlan(settings) : task === 'classify' ? await classifyPlan(flags, settings) : await lmPlan(flags, settings);
    await runPlan(plan, settings, flags.out, device, flags.progress as ProgressMode);
  },
};
