// What each task trains and reports: cross-entropy with accuracy for a classifier, binary
// cross-entropy with micro-F1 and subset accuracy for a multi-label classifier, cross-entropy per
// token with perplexity for a language model. Shared by train and eval.

import { bceWithLogits, crossEntropy } from '../ops/loss.js';
import type { Tensor } from '../tensor.js';
import { Accuracy, MicroF1, Perplexity, SubsetAccuracy, type Metric } from '../train/metrics.js';
import type { TargetDType } from '../train/dataset.js';
import type { LossFn } from '../train/fit.js';
import type { RunConfig } from './checkpoint.js';

const isMultiHot = (t: Tensor): t is Tensor<'float32'> => t.dtype === 'float32';

/** Cross-entropy for class ids; bceWithLogits for multi-hot targets (a multi-label batch). */
export const taskLoss: LossFn<TargetDType> = (output, batch) => {
  const targets: Tensor = batch.targets;
  return isMultiHot(targets) ? bceWithLogits(output, targets) : crossEntropy(output, targets as Tensor<'int32'>);
};

export function taskMetrics(task: RunConfig['task']): Metric[] {
  if (task === 'multilabel') return [new MicroF1(), new SubsetAccuracy()];
  return [task === 'classify' ? new Accuracy() : new Perplexity()];
}

/** A metric for people: accuracies as percentages, F1 with 4 decimals, perplexity as it is. */
export function formatMetric(name: string, value: number): string {
  if (name === 'accuracy' || name === 'subsetAccuracy') return `${(100 * value).toFixed(2)}%`;
  return name === 'microF1' ? value.toFixed(4) : value.toFixed(3);
}
