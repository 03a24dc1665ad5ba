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

/** How a classifier's labelled files are read (and labels numbered). */
export interface DataLayout {
  labelColumn: number;
  /** null: every column but the label's. */
  textColumns: number[] | null;
  header: boolean;
  textField: string;
  labelField: string;
  /** File label = class index + labelOffset. */
  labelOffset: number;
  numClasses: number;
  /** Texts are cut to this many tokens (0: no limit). */
  maxLength: number;
}

export interface ClassifierConfig {
  task: 'classify';
  model: SequenceClassifierOptions;
  tokenizer: TokenizerJSON;
  data: DataLayout;
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

export type RunConfig = ClassifierConfig | LanguageModelConfig;

const TASK_NAMES = { classify: 'classifier', lm: 'language-model' } as const;

/** The checkpoint file of a --checkpoint / --out path: a folder's model.safetensors, or a file as given. */
export function checkpointFile(path: string): string {
  return existsSync(path) && statSync(path).isFile() ? path : join(path, CHECKPOINT_FILE);
}

export function buildModel(config: RunConfig): SequenceClassifier | LanguageModel {
  return config.task === 'classify' ? new SequenceClassifier(config.model) : new LanguageModel(config.model);
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
  if (task !== 'classify' && task !== 'lm') {
    throw new CheckpointError(`${file} was not written by 'rnnkit train' (its metadata has no task 'classify' or 'lm')`);
  }
  if (!isRecord(model) || !isRecord(tokenizer) || !isRecord(data)) {
    throw new CheckpointError(`${file}: its metadata lacks the model, tokenizer or data config`);
  }
  return { task, model, tokenizer, data } as unknown as RunConfig;
}

export interface LoadedRun<C extends RunConfig = RunConfig> {
  file: string;
  config: C;
  model: C extends ClassifierConfig ? SequenceClassifier : LanguageModel;
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
      const wanted = tasks.map((t) => TASK_NAMES[t]).join(' or ');
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
 * checkpoint, or holding one of the same task (a rerun replaces it). A checkpoint of the other task
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
  if (task !== config.task) {
    const what = task === 'classify' || task === 'lm' ? `a ${TASK_NAMES[task]} checkpoint` : 'a checkpoint not written by rnnkit train';
    throw new CheckpointError(`${file} holds ${what}, this run trains a ${TASK_NAMES[config.task]}; choose another --out or remove it (nothing was written)`);
  }
}
