// `rnnkit bench`: a short training speed run: the demo's model (a 2-layer bidirectional LSTM
// classifier) on batches of the demo task, after a warm-up; prints tokens/s and time per step.

import { SequenceClassifier } from '../../nn/classifier.js';
import { Adam } from '../../optim/optimizers.js';
import { seed } from '../../random.js';
import { SequenceDataset } from '../../train/dataset.js';
import { fit } from '../../train/fit.js';
import type { Command } from '../main.js';
import { DEFAULT_TASK, defaultTaskTexts } from '../default-task.js';
import { taskLoss } from '../objective.js';
import { demoConfig, demoTokenizer } from '../train/demo.js';
import { describeModel } from '../train/run.js';
import { DEVICE_FLAG, deviceLine, useDevice } from '../device.js';

const WARMUP_STEPS = 3;

const FLAGS = {
  steps: { type: 'integer', min: 1, default: 30, description: 'measured training steps (after 3 warm-up steps)' },
  batch: { type: 'integer', min: 1, default: 64, description: 'sequences per batch' },
  hidden: { type: 'integer', min: 1, default: 128, description: 'hidden units per layer and direction' },
  layers: { type: 'integer', min: 1, default: DEFAULT_TASK.model.numLayers, description: 'stacked layers' },
  length: { type: 'integer', min: 1, default: 64, description: 'longest sequence; lengths are uniform in [length/2, length]' },
  device: DEVICE_FLAG,
} as const;

export const command: Command<typeof FLAGS> = {
  usage: 'rnnkit bench [--steps N] [--batch N] [--hidden N] [--length N]',
  description: 'Times training steps (forward, backward, Adam) of the demo model on variable-length batches and prints tokens/s.',
  flags: FLAGS,
  async run(flags) {
    const device = useDevice(flags.device);
    seed(0);
    const config = demoConfig({ layers: flags.layers, hidden: flags.hidden, embedding: DEFAULT_TASK.model.embeddingDim, dropout: 0 });
    const model = new SequenceClassifier(config.model);
    const tokenizer = demoTokenizer();
    const batches = (steps: number, seedValue: number) => {
      const rows = defaultTaskTexts(steps * flags.batch, seedValue, Math.max(1, Math.floor(flags.length / 2)), flags.length);
      const examples = rows.map((r) => ({ input: tokenizer.encode(r.text), target: r.label }));
      return new SequenceDataset(examples, { batchSize: flags.batch, seed: seedValue });
    };
    const optimizer = new Adam(model.parameters(), { lr: DEFAULT_TASK.lr });
    const options = { epochs: 1, optimizer, loss: taskLoss, progress: 'off' } as const;
    process.stdout.write(`rnnkit bench: ${describeModel(config)}, hidden ${flags.hidden}, batch ${flags.batch}, lengths ${Math.max(1, Math.floor(flags.length / 2))}-${flags.length}, on ${deviceLine(device)}\n`);
    await fit(model, { ...options, data: batches(WARMUP_STEPS, 1) });
    const [log] = (await fit(model, { ...options, data: batches(flags.steps, 2) })).epochs;
    const msPerStep = (1000 * log!.seconds) / flags.steps;
    process.stdout.write(`training: ${Math.round(log!.tokensPerSecond).toLocaleString('en-US')} tokens/s, ${msPerStep.toFixed(1)} ms/step over ${flags.steps} steps (padding not counted)\n`);
  },
};
