// `rnnkit eval`: a checkpoint's loss and metrics on a file: accuracy on a labelled CSV / JSONL for a
// classifier, micro-F1 and subset accuracy for a multi-label classifier, perplexity on a text for a
// language model; the same loop as validation in training.

import { bucketByLength } from '../../data/batching.js';
import type { DataSource, TargetDType } from '../../train/dataset.js';
import { evaluateData } from '../../train/inference.js';
import { requireFlag } from '../argv.js';
import { CHECKPOINT_FLAG, loadCheckpoint } from '../checkpoint.js';
import { encodeLabelled, readLabelled, readMultiLabelled } from '../labelled-data.js';
import { DEVICE_FLAG, useDevice } from '../device.js';
import type { Command } from '../main.js';
import { formatMetric, taskLoss, taskMetrics } from '../objective.js';
import { streamSource, windowSource } from '../train/lm.js';

const FLAGS = {
  checkpoint: CHECKPOINT_FLAG,
  data: { type: 'string', value: 'FILE', description: 'labelled CSV / .jsonl (classifier, multi-label classifier) or text file (language model)' },
  batch: { type: 'integer', min: 1, default: 64, description: 'examples per batch' },
  device: DEVICE_FLAG,
} as const;

export const command: Command<typeof FLAGS> = {
  usage: 'rnnkit eval --checkpoint DIR --data FILE',
  description: [
    "Evaluates a checkpoint: accuracy on a labelled file (same layout as in training) for a",
    'classifier, micro-F1 and subset accuracy for a multi-label classifier, perplexity on a text',
    'file for a language model.',
    '',
    'Examples:',
    '  rnnkit eval --checkpoint news --data test.csv',
    '  rnnkit eval --checkpoint book-lm --data chapter.txt',
  ].join('\n'),
  flags: FLAGS,
  async run(flags) {
    const checkpoint = requireFlag(flags.checkpoint, 'checkpoint');
    const file = requireFlag(flags.data, 'data');
    useDevice(flags.device);
    const run = await loadCheckpoint(checkpoint, ['classify', 'multilabel', 'lm'], 'eval');
    let data: DataSource<TargetDType>;
    let count: string;
    if (run.config.task === 'classify') {
      const layout = run.config.data;
      const examples = encodeLabelled(await readLabelled(file, layout, layout.numClasses), run.tokenizer, layout.maxLength);
      data = bucketByLength(examples, { batchSize: flags.batch, shuffle: false });
      count = `${examples.length} texts`;
    } else if (run.config.task === 'multilabel') {
      const layout = run.config.data;
      const examples = encodeLabelled(await readMultiLabelled(file, layout, layout.labels), run.tokenizer, layout.maxLength);
      data = bucketByLength(examples, { batchSize: flags.batch, shuffle: false });
      count = `${examples.length} texts`;
    } else {
      const { time, stateful } = run.config.data;
      if (stateful === true) {
        const streams = await streamSource(file, run.tokenizer, time, flags.batch);
        data = streams;
        count = `the state carried through ${streams.batchSize} streams of ${streams.streamLength} tokens`;
      } else {
        const windows = await windowSource(file, run.tokenizer, time, flags.batch, 0, false);
        data = windows;
        count = `${windows.windows} windows of ${time} tokens`;
      }
    }
    const stateful = run.config.task === 'lm' && run.config.data.stateful === true;
    const result = await evaluateData(run.model, data, 0, taskLoss, taskMetrics(run.config.task), stateful);
    const metrics = Object.entries(result.metrics).map(([name, value]) => `${name} ${formatMetric(name, value)}`);
    process.stdout.write(`${metrics.join('  ')}  loss ${result.loss!.toFixed(4)}  (${count} of ${file})\n`);
  },
};
