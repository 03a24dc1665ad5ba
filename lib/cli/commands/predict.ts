// `rnnkit predict`: classifies lines of text (stdin or --input) with a classifier checkpoint and
// prints one line per text: its label, in the numbering of the training file; for a multi-label
// checkpoint, the labels whose sigmoid reaches --threshold, joined by the training's separator.

import { createInterface } from 'node:readline';
import { ArgumentError } from '../../errors.js';
import { checkFile, numberedLines } from '../../data/files.js';
import { inference } from '../../nn/module.js';
import { tidy } from '../../scope.js';
import { padBatch } from '../../train/dataset.js';
import { requireFlag, UsageError } from '../argv.js';
import { CHECKPOINT_FLAG, loadCheckpoint, type ClassifierConfig, type MultiLabelConfig } from '../checkpoint.js';
import { DEVICE_FLAG, useDevice } from '../device.js';
import type { Command } from '../main.js';

const FLAGS = {
  checkpoint: CHECKPOINT_FLAG,
  input: { type: 'string', value: 'FILE', description: 'texts, one per line (default: read stdin)' },
  batch: { type: 'integer', min: 1, default: 64, description: 'texts per batch' },
  threshold: { type: 'number', above: 0, max: 1, description: 'a multi-label checkpoint prints the labels with sigmoid >= this (default 0.5)' },
  device: DEVICE_FLAG,
} as const;

/** One output line per row of scores [rows, classes]: the best class, or the labels at or above the threshold. */
function labelLines(scores: Float32Array, config: ClassifierConfig | MultiLabelConfig, threshold: number): string {
  const classes = config.model.numClasses;
  let out = '';
  for (let r = 0; r < scores.length / classes; r++) {
    const row = scores.subarray(r * classes, (r + 1) * classes);
    if (config.task === 'multilabel') {
      const names = config.data.labels.filter((_, c) => 1 / (1 + Math.exp(-row[c]!)) >= threshold);
      out += `${names.join(config.data.labelSeparator)}\n`;
      continue;
    }
    let best = 0;
    for (let c = 1; c < classes; c++) if (row[c]! > row[best]!) best = c;
    out += `${best + config.data.labelOffset}\n`;
  }
  return out;
}

/** Lines with their 1-based numbers, from a file (streamed) or stdin. */
async function* inputLines(file: string | undefined): AsyncGenerator<{ text: string; line: number }> {
  if (file !== undefined) {
    await checkFile('rnnkit predict', file);
    yield* numberedLines('rnnkit predict', file);
    return;
  }
  let line = 0;
  for await (const text of createInterface({ input: process.stdin, crlfDelay: Infinity })) yield { text, line: ++line };
}

export const command: Command<typeof FLAGS> = {
  usage: 'rnnkit predict --checkpoint DIR [--input FILE]',
  description: [
    'Classifies texts, one per line, and prints one label per line (labels as in the training file).',
    "A multi-label checkpoint prints each text's labels (sigmoid >= --threshold) joined by its separator.",
    '',
    'Examples:',
    '  rnnkit predict --checkpoint rnnkit-run --input texts.txt',
    "  echo 'some text' | rnnkit predict --checkpoint news",
    '  rnnkit predict --checkpoint tags --input texts.txt --threshold 0.3',
  ].join('\n'),
  flags: FLAGS,
  async run(flags) {
    useDevice(flags.device);
    const { model, tokenizer, config } = await loadCheckpoint(requireFlag(flags.checkpoint, 'checkpoint'), ['classify', 'multilabel'], 'predict');
    if (flags.threshold !== undefined && config.task !== 'multilabel') throw new UsageError('--threshold applies to a multi-label checkpoint (rnnkit train --task multilabel)');
    const threshold = flags.threshold ?? 0.5;
    const source = flags.input ?? 'stdin';
    const rows: { input: Int32Array; target: number }[] = [];
    for await (const { text, line } of inputLines(flags.input)) {
      const ids = tokenizer.encode(text);
      if (ids.length === 0) throw new ArgumentError(`${source}:${line}: the text has no tokens (nothing to classify; remove the line)`);
      rows.push({ input: config.data.maxLength > 0 ? ids.subarray(0, config.data.maxLength) : ids, target: 0 });
    }
    if (rows.length === 0) throw new ArgumentError(`${source}: no texts to classify (the input is empty)`);
    for (let start = 0; start < rows.length; start += flags.batch) {
      const batch = padBatch(rows.slice(start, start + flags.batch));
      const logits = inference(model, () => tidy(() => model.forward(batch.inputs, { lengths: batch.lengths })));
      const scores = await logits.data();
      for (const t of [logits, batch.inputs, batch.targets]) t.dispose();
      process.stdout.write(labelLines(scores, config, threshold));
    }
  },
};
