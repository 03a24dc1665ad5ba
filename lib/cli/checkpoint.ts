// The CLI's checkpoint folder: one safetensors file (model.safetensors) holding the weights and,
// in its metadata, everything needed to rebuild the model: the task, the model's options, the
// tokenizer and how the data was read. The file is written atomically (io.save), so a failed run
// never leaves a half-written checkpoint, and a checkpoint of the other task is never overwritten.

import { existsSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { tokenizerFromJSON, type Tokenizer, type TokenizerJSON } from '../data/tokenizers.js';
import { CheckpointError } from '../errors.js';
import { load, save } from '../io/files.js';
import { SequenceClassifier, type SequenceClassifierOptions } from '../nn/classifier.js';
import { LanguageModel, type LanguageModelOptions } from '../nn/language-model.js';
import type { Module } from '../nn/module.js';
import { packageVersion } from './version.js';

/** The --checkpoint flag of the commands that load any task's checkpoint (eval, predict). */
export const CHECKPOINT_FLAG = {
  type: 'string',
  value: 'DIR',
  description: "checkpoint folder (or .safetensors file) from 'rnnkit train'",
} as const;

export const CHECKPOINT_FILE = 'model.safetensors';

/** Where a classifier's labelled files keep texts and labels. */
export interface FileLayout {
  labelColumn: number;
  /** null: every column but the label's. */
  textColumns: number[] | null;
  header: boolean;
  textField: string;
  labelField: string;
  /** Texts are cut to this many tokens (0: no limit). */
  maxLength: number;
}

/** How a classifier's labelled files are read (and labels numbered). */
export interface DataLayout extends FileLayout {
  /** File label = class index + labelOffset. */
  labelOffset: number;
  numClasses: number;
}

/** How a multi-label classifier's files are read: label names joined by labelSeparator. */
export interface MultiLabelLayout extends FileLayout {
  labelSeparator: string;
  /** The label names; label i is the model's output i. */
  labels: string[];
}

export interface ClassifierConfig {
  task: 'classify';
  model: SequenceClassifierOptions;
  tokenizer: TokenizerJSON;
  data: DataLayout;
}

/** A SequenceClassifier with one output per label, trained with bceWithLogits on multi-hot targets. */
export interface MultiLabelConfig {
  task: 'multilabel';
  model: SequenceClassifierOptions;
  tokenizer: TokenizerJSON;
  data: MultiLabelLayout;
}

export interface LanguageModelConfig {
  task: 'lm';
  model: LanguageModelOptions;
  tokenizer: TokenizerJSON;
  /**
   * Tokens per window (or per batch of a stateful run) in training (eval uses the same), and
   * whether training carried the state across batches (absent in older checkpoints: false).
   */
  data: { time: number; stateful?: boolean };
}

export type RunConfig = ClassifierConfig | MultiLabelConfig | LanguageModelConfig;

const TASK_NAMES = { classify: 'classifier', multilabel: 'multi-label classifier', lm: 'language-model' } as const;
const TASKS = Object.keys(TASK_NAMES) as RunConfig['task'][];

/**
 * A task's kind: the two classifier tasks are one kind (same model; 'rnnkit train' checks --out
 * as 'classify' for both, so either may replace the other's checkpoint in a folder).
 */
const kindOf = <T>(task: T): T | 'classify' => (task === 'multilabel' ? 'classify' : task);

/** The checkpoint file of a --checkpoint / --out path: a folder's model.safetensors, or a file as given. */
export function checkpointFile(path: string): string {
  return existsSync(path) && statSync(path).isFile() ? path : join(path, CHECKPOINT_FILE);
}

export function buildModel(config: RunConfig): SequenceClassifier | LanguageModel {
  return config.task === 'lm' ? new LanguageModel(config.model) : new SequenceClassifier(config.model);
}

/** Writes the model and its config into folder `dir` (created if needed), atomically. */
export async function saveCheckpoint(dir: string, config: RunConfig, model: Module, summary: Record<string, unknown>): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, CHECKPOINT_FILE);
  await save(file, { model, metadata: { ...config, summary, rnnkitVersion: packageVersion() } });
  return file;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The run config in a checkpoint's metadata, checked; a CheckpointError if it is not one of ours. */
function configOf(file: string, metadata: Record<string, unknown>): RunConfig {
  const { task, model, tokenizer, data } = metadata;
  if (!(TASKS as unknown[]).includes(task)) {
    throw new CheckpointError(`${file} was not written by 'rnnkit train' (its metadata has no task ${TASKS.map((t) => `'${t}'`).join(', ')})`);
  }
  if (!isRecord(model) || !isRecord(tokenizer) || !isRecord(data)) {
    throw new CheckpointError(`${file}: its metadata lacks the model, tokenizer or data config`);
  }
  if (task === 'multilabel') {
    const { labels, labelSeparator } = data;
    if (!Array.isArray(labels) || !labels.every((l) => typeof l === 'string') || typeof labelSeparator !== 'string') {
      throw new CheckpointError(`${file}: its multi-label metadata lacks the label names or their separator`);
    }
    if (labels.length !== model.numClasses) {
      throw new CheckpointError(`${file}: its metadata names ${labels.length} labels for a model with ${String(model.numClasses)} outputs`);
    }
  }
  return { task, model, tokenizer, data } as unknown as RunConfig;
}

export interface LoadedRun<C extends RunConfig = RunConfig> {
  file: string;
  config: C;
  model: C extends LanguageModelConfig ? LanguageModel : SequenceClassifier;
  tokenizer: Tokenizer;
}

/**
 * Loads a checkpoint written by `rnnkit train` and rebuilds its model and tokenizer. `tasks` are
 * the kinds the command takes; another kind, a file of another program, or weights that do not
 * fit the config are each one CheckpointError.
 */
export async function loadCheckpoint<T extends RunConfig['task']>(
  path: string,
  tasks: readonly T[],
  command: string,
): Promise<LoadedRun<Extract<RunConfig, { task: T }>>> {
  const file = checkpointFile(path);
  if (!existsSync(file)) {
    throw new CheckpointError(`no checkpoint at ${path} (expected ${file}, as 'rnnkit train --out ${path}' writes it)`);
  }
  const { tensors, metadata } = await load(file);
  try {
    const config = configOf(file, metadata);
    if (!(tasks as readonly string[]).includes(config.task)) {
      // Either kind of classifier is 'a classifier' in what a command needs.
      const wanted = [...new Set(tasks.map((t) => TASK_NAMES[kindOf(t)]))].join(' or ');
      throw new CheckpointError(`${file} holds a ${TASK_NAMES[config.task]} checkpoint; 'rnnkit ${command}' needs a ${wanted} checkpoint`);
    }
    let model: SequenceClassifier | LanguageModel;
    let tokenizer: Tokenizer;
    try {
      model = buildModel(config);
      tokenizer = tokenizerFromJSON(config.tokenizer);
      model.loadStateDict(tensors);
    } catch (err) {
      throw new CheckpointError(`${file} does not fit its own config: ${(err as Error).message}`, { cause: err });
    }
    model.eval();
    return { file, config, model, tokenizer } as LoadedRun<Extract<RunConfig, { task: T }>>;
  } finally {
    for (const t of Object.values(tensors)) t.dispose();
  }
}

/**
 * Checks that `dir` may receive a checkpoint of `config` before any work starts: new, without a
 * checkpoint, or holding one of the same kind (a rerun replaces it). A checkpoint of the other kind
 * or of another program is a CheckpointError, so it is never overwritten by mistake.
 */
export async function checkOutDir(dir: string, config: Pick<RunConfig, 'task'>): Promise<void> {
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new CheckpointError(`--out ${dir} is a file, not a folder`);
  const file = join(dir, CHECKPOINT_FILE);
  if (!existsSync(file)) return;
  let task: unknown;
  try {
    const loaded = await load(file);
    for (const t of Object.values(loaded.tensors)) t.dispose();
    task = loaded.metadata.task;
  } catch (err) {
    throw new CheckpointError(`${file} exists and is not a readable checkpoint (${(err as Error).message}); choose another --out (nothing was written)`);
  }
  if (kindOf(task) !== kindOf(config.task)) {
    const what = (TASKS as unknown[]).includes(task) ? `a ${TASK_NAMES[task as RunConfig['task']]} checkpoint` : 'a checkpoint not written by rnnkit train';
    throw new CheckpointError(`${file} holds ${what}, this run trains a ${TASK_NAMES[config.task]}; choose another --out or remove it (nothing was written)`);
  }
}
