// What each task trains and reports: cross-entropy with accuracy for a classifier, cross-entropy
// per token with perplexity for a language model. Shared by train and eval.

import { crossEntropy } from '../ops/loss.js';
import { Accuracy, Perplexity, type Metric } from '../train/metrics.js';
import type { LossFn } from '../train/fit.js';
import type { RunConfig } from './checkpoint.js';

export const taskLoss: LossFn = (output, batch) => crossEntropy(output, batch.targets);

export function taskMetrics(task: RunConfig['task']): Metric[] {
  return [task === 'classify' ? new Accuracy() : new Perplexity()];
}

/** A metric for people: accuracy as a percentage, perplexity as it is. */
export function formatMetric(name: string, value: number): string {
  return name === 'accuracy' ? `${(100 * value).toFixed(2)}%` : value.toFixed(3);
}
