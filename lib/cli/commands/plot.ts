// `rnnkit plot`: redraws a run folder's curves.svg from its history.jsonl (or draws it elsewhere
// with --out). Needs no native addon. A missing, empty or broken history is a usage error naming
// the file (and line).

import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ArgumentError } from '../../errors.js';
import type { EpochLog } from '../../train/fit.js';
import { readHistory } from '../../train/history-log.js';
import { UsageError } from '../argv.js';
import type { Command } from '../main.js';
import { CURVES_FILE, HISTORY_FILE, writeCurves } from '../run-log.js';

const FLAGS = {
  run: { type: 'string', value: 'DIR', description: "run folder of 'rnnkit train --out DIR' (holds history.jsonl); also given bare, as RUN_DIR" },
  out: { type: 'string', value: 'FILE', description: `SVG file to write (default: DIR/${CURVES_FILE})` },
} as const;

export const command: Command<typeof FLAGS> = {
  usage: 'rnnkit plot RUN_DIR [--out FILE]',
  description: [
    `Draws the training curves of a run (loss and each metric per epoch, train and validation) from`,
    `DIR/${HISTORY_FILE} into an SVG file. 'rnnkit train' draws DIR/${CURVES_FILE} itself after each epoch.`,
    '',
    'Examples:',
    '  rnnkit plot news',
    '  rnnkit plot --run news --out news-curves.svg',
  ].join('\n'),
  flags: FLAGS,
  positional: 'run',
  async run(flags) {
    const dir = flags.run;
    if (dir === undefined) throw new UsageError("RUN_DIR is required: the folder of a run ('rnnkit plot RUN_DIR', or --run DIR)");
    const history = join(dir, HISTORY_FILE);
    if (!existsSync(history) || !statSync(history).isFile()) {
      throw new UsageError(`--run ${dir} has no ${HISTORY_FILE} (expected ${history}, as 'rnnkit train --out ${dir}' writes it)`);
    }
    let epochs: EpochLog[];
    try {
      epochs = await readHistory(history);
    } catch (err) {
      if (err instanceof ArgumentError) throw new UsageError(err.message);
      throw err;
    }
    if (epochs.length === 0) throw new UsageError(`${history} holds no epoch (is the run's first epoch still training?)`);
    const out = flags.out ?? join(dir, CURVES_FILE);
    await writeCurves('rnnkit plot', out, epochs);
    process.stdout.write(`wrote ${out} (${epochs.length} epoch${epochs.length > 1 ? 's' : ''})\n`);
  },
};
