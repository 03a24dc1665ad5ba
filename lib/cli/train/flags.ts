// The flags of `rnnkit train`, which tasks each applies to, and each task's defaults.

import type { FlagSpecs, Flags } from '../argv.js';
import { UsageError } from '../argv.js';
import { DEFAULT_TASK } from '../default-task.js';
import { DEVICE_FLAG } from '../device.js';

export type TrainTask = 'default' | 'classify' | 'multilabel' | 'lm';
/** The plan a task trains with: --task multilabel is the classifier plan, on multi-hot labels (classifyPlan reads flags.task). */
export type PlanTask = Exclude<TrainTask, 'multilabel'>;

export const TRAIN_FLAGS = {
  task: { type: 'string', choices: ['default', 'classify', 'multilabel', 'lm'], default: 'default', description: 'the built-in demo task, a text classifier (one class per text, or any number of labels: multilabel), or a language model' },
  data: { type: 'string', value: 'FILE', description: 'training data: CSV (label column + text columns, no header) or .jsonl {"text","label"} for classify ({"text","labels"} for multilabel); a text file for lm' },
  val: { type: 'string', value: 'FILE', description: 'validation data in the same layout (classify without it: 10% of --data held out)' },
  out: { type: 'string', value: 'DIR', default: 'rnnkit-run', description: 'checkpoint folder (model.safetensors)' },
  model: { type: 'string', choices: ['lstm', 'gru'], description: 'recurrent cell of a classifier or language model (default lstm)' },
  layers: { type: 'integer', min: 1, description: 'stacked recurrent layers (default 2)' },
  hidden: { type: 'integer', min: 1, description: 'hidden units per layer and direction (default: classify 128, lm 256, demo 48)' },
  embedding: { type: 'integer', min: 1, description: 'embedding size (default: classify 128, lm 64, demo 16)' },
  bidirectional: { type: 'boolean', description: 'read the texts in both directions (classify; the demo always does)' },
  pooling: { type: 'string', choices: ['last', 'mean', 'max', 'attention'], description: "a classifier's pooling over time (default last)" },
  dropout: { type: 'number', min: 0, max: 0.99, description: 'dropout between stacked layers (default 0)' },
  'embedding-dropout': { type: 'number', min: 0, max: 0.99, description: "lm: dropout on the embedded inputs (word_language_model's; default 0)" },
  'output-dropout': { type: 'number', min: 0, max: 0.99, description: "lm: dropout on the top layer's outputs before the output layer (default 0)" },
  epochs: { type: 'integer', min: 1, description: `passes over the data (default: classify 5, lm 10, demo ${DEFAULT_TASK.epochs})` },
  batch: { type: 'integer', min: 1, description: `examples per batch (default 32)` },
  lr: { type: 'number', above: 0, description: `Adam learning rate (default: 0.002, demo ${DEFAULT_TASK.lr})` },
  seed: { type: 'integer', default: 0, description: 'seed of initialisation, shuffling and splits (runs repeat)' },
  device: DEVICE_FLAG,
  tokenizer: { type: 'string', choices: ['word', 'char'], description: 'tokens: words (classify default) or characters (lm default)' },
  'max-tokens': { type: 'integer', min: 2, description: 'vocabulary size cap, counting padding and OOV (default: 20000 words, no cap for characters)' },
  'max-length': { type: 'integer', min: 1, description: 'cut each text to N tokens (classify; default no limit)' },
  time: { type: 'integer', min: 1, description: 'tokens per training window, or per batch of a stateful run (lm; default 100)' },
  stateful: { type: 'boolean', description: 'lm: carry the state from batch to batch over --batch contiguous streams (default true); false: shuffled windows from a zero state' },
  'label-column': { type: 'integer', min: 0, description: 'CSV column of the label, from 0 (default 0)' },
  'text-columns': { type: 'string', value: 'I,J,...', description: 'CSV columns joined into the text (default: all but the label)' },
  header: { type: 'boolean', description: 'the CSV starts with a header row' },
  'label-offset': { type: 'integer', description: 'the file label of class 0 (default 0; AG News labels 1..4 also work as they are)' },
  classes: { type: 'integer', min: 1, description: 'number of classes (default: the largest training label + 1 - offset)' },
  'label-separator': { type: 'string', value: 'C', description: "the character between a text's label names (multilabel; default '|')" },
  progress: { type: 'string', choices: ['auto', 'bar', 'lines', 'off'], default: 'auto', description: 'progress display on stderr (auto: a bar on a terminal)' },
} as const satisfies FlagSpecs;

export type TrainFlags = Flags<typeof TRAIN_FLAGS>;

/** Flags that only some tasks take (the others apply to all). */
const ONLY: Partial<Record<keyof TrainFlags, readonly TrainTask[]>> = {
  data: ['classify', 'multilabel', 'lm'],
  val: ['classify', 'multilabel', 'lm'],
  tokenizer: ['classify', 'multilabel', 'lm'],
  'max-tokens': ['classify', 'multilabel', 'lm'],
  model: ['classify', 'multilabel', 'lm'],
  bidirectional: ['classify', 'multilabel'],
  pooling: ['classify', 'multilabel'],
  'max-length': ['classify', 'multilabel'],
  'label-column': ['classify', 'multilabel'],
  'text-columns': ['classify', 'multilabel'],
  header: ['classify', 'multilabel'],
  'label-offset': ['classify'],
  classes: ['classify'],
  'label-separator': ['multilabel'],
  time: ['lm'],
  stateful: ['lm'],
  'embedding-dropout': ['lm'],
  'output-dropout': ['lm'],
};

/** Rejects flags the task does not take, and a data task without --data; returns the plan to train with. */
export function checkTaskFlags(flags: TrainFlags): PlanTask {
  const task = flags.task as TrainTask;
  for (const [name, tasks] of Object.entries(ONLY) as [keyof TrainFlags, readonly TrainTask[]][]) {
    if (flags[name] !== undefined && !tasks.includes(task)) {
      const which = tasks.map((t) => `--task ${t}`).join(' or ');
      throw new UsageError(`--${name} applies to ${which}${task === 'default' ? ' (without --task, train runs the built-in demo)' : ''}`);
    }
  }
  if (task !== 'default' && flags.data === undefined) throw new UsageError(`--task ${task} needs --data FILE`);
  const separator = flags['label-separator'];
  if (separator !== undefined && (separator.length !== 1 || separator === '\n' || separator === '\r')) {
    throw new UsageError(`--label-separator must be one character, got '${separator}'`);
  }
  return task === 'multilabel' ? 'classify' : task;
}

/** The numbers every task needs, with the task's defaults filled in. */
export interface Settings {
  layers: number;
  hidden: number;
  embedding: number;
  dropout: number;
  epochs: number;
  batch: number;
  lr: number;
  seed: number;
}

const DEFAULTS: Record<PlanTask, Omit<Settings, 'seed' | 'dropout'>> = {
  default: {
    layers: DEFAULT_TASK.model.numLayers,
    hidden: DEFAULT_TASK.model.hiddenSize,
    embedding: DEFAULT_TASK.model.embeddingDim,
    epochs: DEFAULT_TASK.epochs,
    batch: DEFAULT_TASK.batchSize,
    lr: DEFAULT_TASK.lr,
  },
  classify: { layers: 2, hidden: 128, embedding: 128, epochs: 5, batch: 32, lr: 0.002 },
  lm: { layers: 2, hidden: 256, embedding: 64, epochs: 10, batch: 32, lr: 0.002 },
};

export function settingsFor(task: PlanTask, flags: TrainFlags): Settings {
  const d = DEFAULTS[task];
  return {
    layers: flags.layers ?? d.layers,
    hidden: flags.hidden ?? d.hidden,
    embedding: flags.embedding ?? d.embedding,
    dropout: flags.dropout ?? 0,
    epochs: flags.epochs ?? d.epochs,
    batch: flags.batch ?? d.batch,
    lr: flags.lr ?? d.lr,
    seed: flags.seed,
  };
}
