// `rnnkit predict`: classifies lines of text (stdin or --input) with a classifier checkpoint and
// prints one label per line, in the numbering of the training file.

import { createInterface } from 'node:readline';
import { ArgumentError } from '../../errors.js';
import { checkFile, numberedLines } from '../../data/files.js';
import { inference } from '../../nn/module.js';
import { tidy } from '../../scope.js';
import { padBatch } from '../../train/dataset.js';
import { requireFlag } from '../argv.js';
import { CHECKPOINT_FLAG, loadCheckpoint } from '../checkpoint.js';
import { DEVICE_FLAG, useDevice } from '../device.js';
import type { Command } from '../main.js';

const FLAGS = {
  checkpoint: CHECKPOINT_FLAG,
  input: { type: 'string', value: 'FILE', description: 'texts, one per line (default: read stdin)' },
  batch: { type: 'integer', min: 1, default: 64, description: 'texts per batch' },
  device: DEVICE_FLAG,
} as const;

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
    '',
    'Examples:',
    '  rnnkit predict --checkpoint rnnkit-run --input texts.txt',
    "  echo 'some text' | rnnkit predict --checkpoint news",
  ].join('\n'),
  flags: FLAGS,
  async run(flags) {
    useDevice(flags.device);
    const { model, tokenizer, config } = await loadCheckpoint(requireFlag(flags.checkpoint, 'checkpoint'), ['classify'], 'predict');
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
      const classes = config.data.numClasses;
      let out = '';
      for (let r = 0; r < scores.length / classes; r++) {
        let best = 0;
        for (let c = 1; c < classes; c++) if (scores[r * classes + c]! > scores[r * classes + best]!) best = c;
        out += `${best + config.data.labelOffset}\n`;
      }
      process.stdout.write(out);
    }
  },
};
