// Runs a training plan: Adam with gradient-norm clipping, validation each epoch, a progress display
// on stderr, history.jsonl and curves.svg kept up to date in the run folder, the checkpoint saved
// at the end, and a summary on stdout.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { SequenceClassifier } from '../../nn/classifier.js';
import type { LanguageModel } from '../../nn/language-model.js';
import { Adam } from '../../optim/optimizers.js';
import type { DataSource, TargetDType } from '../../train/dataset.js';
import { fit, type EpochLog } from '../../train/fit.js';
import type { ProgressMode } from '../../train/progress.js';
import { saveCheckpoint, type RunConfig } from '../checkpoint.js';
import { deviceLine } from '../device.js';
import { formatMetric, taskLoss, taskMetrics } from '../objective.js';
import { CURVES_FILE, HISTORY_FILE, runLogCallbacks } from '../run-log.js';
import type { Settings } from './flags.js';

/** What a task prepares for training. */
export interface Plan {
  config: RunConfig;
  model: SequenceClassifier | LanguageModel;
  train: DataSource<TargetDType>;
  validation: DataSource<TargetDType> | undefined;
  /** Lines that say what is trained on. */
  about: string[];
  /** A line suggesting the next command, given the checkpoint folder. */
  next: (out: string) => string;
}

/** Gradients are clipped to this global norm (RNNs' usual guard against exploding gradients). */
const CLIP_NORM = 5;

const say = (line = ''): void => void process.stdout.write(`${line}\n`);

/** 'a 2-layer bidirectional LSTM classifier (4 classes, vocabulary 18)' and the like. */
export function describeModel(config: RunConfig): string {
  const layers = `${config.model.numLayers ?? 1}-layer`;
  if (config.task === 'lm') return `a ${layers} ${(config.model.cell ?? 'lstm').toUpperCase()} language model (vocabulary ${config.model.vocabSize})`;
  const c = config.model;
  const kind = config.task === 'multilabel' ? `multi-label classifier (${c.numClasses} labels` : `classifier (${c.numClasses} classes`;
  return `a ${layers} ${c.bidirectional ? 'bidirectional ' : ''}${(c.cell ?? 'lstm').toUpperCase()} ${kind}, vocabulary ${c.vocabSize})`;
}

function totalTokensPerSecond(epochs: readonly EpochLog[]): number {
  let tokens = 0;
  let seconds = 0;
  for (const e of epochs) {
    tokens += e.tokensPerSecond * e.seconds;
    seconds += e.seconds;
  }
  return seconds > 0 ? tokens / seconds : NaN;
}

export async function runPlan(plan: Plan, settings: Settings, out: string, device: string, progress: ProgressMode): Promise<void> {
  const started = performance.now();
  const { model, config } = plan;
  const parameters = model.parameters().reduce((n, p) => n + p.size, 0);
  say(`rnnkit train: ${describeModel(config)}, ${parameters.toLocaleString('en-US')} parameters, on ${deviceLine(device)}`);
  for (const line of plan.about) say(`  ${line}`);
  say(`  ${settings.epochs} epochs, batch ${settings.batch}, Adam lr ${settings.lr}, seed ${settings.seed}; checkpoint to ${out}`);

  const optimizer = new Adam(model.parameters(), { lr: settings.lr });
  await mkdir(out, { recursive: true });
  const history = await fit(model, {
    data: plan.train,
    ...(plan.validation ? { validationData: plan.validation } : {}),
    epochs: settings.epochs,
    optimizer,
    loss: taskLoss,
    metrics: taskMetrics(config.task),
    clipGradNorm: CLIP_NORM,
    progress,
    callbacks: runLogCallbacks(out),
    stateful: config.task === 'lm' && config.data.stateful === true,
  });
  const last = history.epochs.at(-1)!;
  const metric = Object.keys(last.metrics)[0]!;
  const tokensPerSecond = totalTokensPerSecond(history.epochs);
  const summary = {
    epochs: history.epochs.length,
    loss: last.loss,
    [metric]: last.metrics[metric],
    ...(last.valMetrics ? { valLoss: last.valLoss, [`val_${metric}`]: last.valMetrics[metric] } : {}),
    tokensPerSecond,
  };
  const file = await saveCheckpoint(out, config, model, summary);
  const seconds = (performance.now() - started) / 1000;

  say();
  say(`done in ${seconds.toFixed(1)} s`);
  const rows: [string, string][] = [];
  if (last.valMetrics) rows.push([`validation ${metric}`, formatMetric(metric, last.valMetrics[metric]!)]);
  rows.push([`training ${metric}`, formatMetric(metric, last.metrics[metric]!)], ['training loss', last.loss.toFixed(4)]);
  rows.push(['tokens/s', `${Math.round(tokensPerSecond).toLocaleString('en-US')} (training, padding not counted)`]);
  rows.push(['device', deviceLine(device)], ['checkpoint', file]);
  rows.push(['history', join(out, HISTORY_FILE)], ['curves', join(out, CURVES_FILE)]);
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  for (const [k, v] of rows) say(`  ${k.padEnd(width)}${v}`);
  say(plan.next(out));
}
