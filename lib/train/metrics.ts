// Streaming metrics: update() with each batch's outputs and targets, compute() at the end of an
// epoch, reset() before the next. Predictions are read to the host: logits [..., C] with int32
// class targets [...] (positions whose target equals ignoreIndex count for nothing), or, for
// multi-label classification, with float32 multi-hot targets [..., C] (MicroF1, SubsetAccuracy).

import { checkInteger, checkOptions } from '../args.js';
import { describe } from '../dtype.js';
import { ArgumentError, DTypeError, IndexError, ShapeError } from '../errors.js';
import { handle } from '../ops/call.js';
import type { Tensor } from '../tensor.js';

export interface Metric {
  readonly name: string;
  reset(): void;
  /** targets: int32 class ids, or float32 multi-hot labels for the multi-label metrics. */
  update(logits: Tensor<'float32'>, targets: Tensor): Promise<void>;
  /** NaN before any counted example. */
  compute(): number;
}

export interface MetricOptions {
  /** Targets equal to this are skipped (default -100, like crossEntropy). */
  ignoreIndex?: number;
}

/** Rows of logits with their targets, checked against each other. */
async function rows(
  op: string,
  logits: Tensor<'float32'>,
  targets: Tensor,
): Promise<{ scores: Float32Array; labels: Int32Array; classes: number }> {
  handle(op, 'logits', logits);
  handle(op, 'targets', targets);
  if (targets.dtype !== 'int32') {
    throw new DTypeError(`${op}: targets must be int32 class ids, got ${targets.dtype} (multi-hot labels go to train.MicroF1 or train.SubsetAccuracy)`);
  }
  const classes = logits.shape[logits.rank - 1] ?? 0;
  if (logits.rank < 1 || targets.shape.join() !== logits.shape.slice(0, -1).join()) {
    throw new ShapeError(
      `${op}: targets [${targets.shape.join(', ')}] must have the shape of logits [${logits.shape.join(', ')}] without its class axis`,
    );
  }
  const [scores, labels] = await Promise.all([logits.data(), targets.data()]);
  return { scores: scores as Float32Array, labels: labels as Int32Array, classes };
}

function checkLabel(op: string, label: number, index: number, classes: number): void {
  if (label < 0 || label >= classes) {
    throw new IndexError(`${op}: targets[${index}] = ${label} is out of range [0, ${classes})`);
  }
}

/** Rank of the target's score among a row's scores: how many classes score strictly higher. */
function rankOfTarget(scores: Float32Array, row: number, classes: number, label: number): number {
  const base = row * classes;
  const target = scores[base + label]!;
  let higher = 0;
  for (let c = 0; c < classes; c++) if (scores[base + c]! > target) higher++;
  return higher;
}

abstract class CountingMetric implements Metric {
  abstract readonly name: string;
  protected correct = 0;
  protected total = 0;
  protected readonly ignoreIndex: number;

  constructor(op: string, options: MetricOptions | undefined) {
    const opts = checkOptions(op, options, ['ignoreIndex'] as const);
    this.ignoreIndex = checkInteger(op, 'options.ignoreIndex', opts.ignoreIndex ?? -100);
  }

  reset(): void {
    this.correct = 0;
    this.total = 0;
  }

  compute(): number {
    return this.total === 0 ? NaN : this.correct / this.total;
  }

  abstract update(logits: Tensor<'float32'>, targets: Tensor): Promise<void>;
}

/** Top-k accuracy: the target is among the k highest scores (ties count in its favour). */
export class TopKAccuracy extends CountingMetric {
  readonly name: string;
  readonly k: number;

  constructor(k: number, options?: MetricOptions) {
    super('TopKAccuracy', options);
    this.k = checkInteger('TopKAccuracy', 'k', k);
    if (this.k < 1) throw new ArgumentError(`TopKAccuracy: k must be >= 1, got ${k}`);
    this.name = this.k === 1 ? 'accuracy' : `top${this.k}`;
  }

  async update(logits: Tensor<'float32'>, targets: Tensor): Promise<void> {
    const { scores, labels, classes } = await rows(this.name, logits, targets);
    labels.forEach((label, r) => {
      if (label === this.ignoreIndex) return;
      checkLabel(this.name, label, r, classes);
      this.total++;
      if (rankOfTarget(scores, r, classes, label) < this.k) this.correct++;
    });
  }
}

/** Accuracy: the target has the highest score. */
export class Accuracy extends TopKAccuracy {
  constructor(options?: MetricOptions) {
    super(1, options);
  }
}

/** Macro-averaged F1 over the classes seen (in targets or predictions). */
export class MacroF1 implements Metric {
  readonly name = 'macroF1';
  readonly #ignoreIndex: number;
  #tp = new Map<number, number>();
  #fp = new Map<number, number>();
  #fn = new Map<number, number>();

  constructor(options?: MetricOptions) {
    const opts = checkOptions('MacroF1', options, ['ignoreIndex'] as const);
    this.#ignoreIndex = checkInteger('MacroF1', 'options.ignoreIndex', opts.ignoreIndex ?? -100);
  }

  reset(): void {
    this.#tp.clear();
    this.#fp.clear();
    this.#fn.clear();
  }

  async update(logits: Tensor<'float32'>, targets: Tensor): Promise<void> {
    const { scores, labels, classes } = await rows(this.name, logits, targets);
    const bump = (m: Map<number, number>, c: number) => m.set(c, (m.get(c) ?? 0) + 1);
    labels.forEach((label, r) => {
      if (label === this.#ignoreIndex) return;
      checkLabel(this.name, label, r, classes);
      let best = 0;
      for (let c = 1; c < classes; c++) if (scores[r * classes + c]! > scores[r * classes + best]!) best = c;
      if (best === label) bump(this.#tp, label);
      else {
        bump(this.#fp, best);
        bump(this.#fn, label);
      }
    });
  }

  compute(): number {
    const classes = new Set([...this.#tp.keys(), ...this.#fp.keys(), ...this.#fn.keys()]);
    if (classes.size === 0) return NaN;
    let sum = 0;
    for (const c of classes) {
      const tp = this.#tp.get(c) ?? 0;
      const denom = 2 * tp + (this.#fp.get(c) ?? 0) + (this.#fn.get(c) ?? 0);
      sum += denom === 0 ? 0 : (2 * tp) / denom;
    }
    return sum / classes.size;
  }
}

/** Perplexity: exp of the mean cross-entropy per counted target (language models). */
export class Perplexity implements Metric {
  readonly name = 'perplexity';
  readonly #ignoreIndex: number;
  #nll = 0;
  #count = 0;

  constructor(options?: MetricOptions) {
    const opts = checkOptions('Perplexity', options, ['ignoreIndex'] as const);
    this.#ignoreIndex = checkInteger('Perplexity', 'options.ignoreIndex', opts.ignoreIndex ?? -100);
  }

  reset(): void {
    this.#nll = 0;
    this.#count = 0;
  }

  async update(logits: Tensor<'float32'>, targets: Tensor): Promise<void> {
    const { scores, labels, classes } = await rows(this.name, logits, targets);
    labels.forEach((label, r) => {
      if (label === this.#ignoreIndex) return;
      checkLabel(this.name, label, r, classes);
      let max = -Infinity;
      for (let c = 0; c < classes; c++) max = Math.max(max, scores[r * classes + c]!);
      let sum = 0;
      for (let c = 0; c < classes; c++) sum += Math.exp(scores[r * classes + c]! - max);
      this.#nll += max + Math.log(sum) - scores[r * classes + label]!;
      this.#count++;
    });
  }

  compute(): number {
    return this.#count === 0 ? NaN : Math.exp(this.#nll / this.#count);
  }
}

export interface MultiLabelMetricOptions {
  /** A label is predicted when sigmoid(logit) >= threshold, in (0, 1) (default 0.5). */
  threshold?: number;
}

/** Multi-hot rows of logits [..., C] with float32 targets of the same shape: predicted and true labels. */
abstract class MultiLabelMetric implements Metric {
  abstract readonly name: string;
  /** Logits at or above this are predicted labels: logit(threshold). */
  readonly #cut: number;

  constructor(op: string, options: MultiLabelMetricOptions | undefined) {
    const opts = checkOptions(op, options, ['threshold'] as const);
    const threshold = opts.threshold ?? 0.5;
    if (typeof threshold !== 'number' || !(threshold > 0 && threshold < 1)) {
      throw new ArgumentError(`${op}: options.threshold must be a number in (0, 1), got ${describe(threshold)}`);
    }
    this.#cut = Math.log(threshold / (1 - threshold));
  }

  abstract reset(): void;
  abstract compute(): number;
  /** One example: whether each of its labels is predicted and whether it is true (target >= 0.5). */
  protected abstract count(predicted: boolean[], actual: boolean[]): void;

  async update(logits: Tensor<'float32'>, targets: Tensor): Promise<void> {
    handle(this.name, 'logits', logits);
    handle(this.name, 'targets', targets);
    if (targets.dtype !== 'float32') {
      throw new DTypeError(`${this.name}: targets must be float32 multi-hot labels [..., classes], got ${targets.dtype} (class ids go to train.Accuracy)`);
    }
    if (logits.rank < 1 || targets.shape.join() !== logits.shape.join()) {
      throw new ShapeError(`${this.name}: targets [${targets.shape.join(', ')}] must have the shape of logits [${logits.shape.join(', ')}]`);
    }
    const classes = logits.shape[logits.rank - 1]!;
    const [scores, labels] = await Promise.all([logits.data(), targets.data()]);
    for (let base = 0; base < scores.length; base += classes) {
      const predicted: boolean[] = [];
      const actual: boolean[] = [];
      for (let c = 0; c < classes; c++) {
        predicted.push(scores[base + c]! >= this.#cut);
        actual.push(labels[base + c]! >= 0.5);
      }
      this.count(predicted, actual);
    }
  }
}

/**
 * Micro-averaged F1 of multi-label predictions: 2·TP / (2·TP + FP + FN) summed over every label of
 * every example (0 when there is no true and no predicted label, as scikit-learn).
 */
export class MicroF1 extends MultiLabelMetric {
  readonly name = 'microF1';
  #tp = 0;
  #fp = 0;
  #fn = 0;
  #examples = 0;

  constructor(options?: MultiLabelMetricOptions) {
    super('MicroF1', options);
  }

  reset(): void {
    this.#tp = this.#fp = this.#fn = this.#examples = 0;
  }

  protected count(predicted: boolean[], actual: boolean[]): void {
    this.#examples++;
    predicted.forEach((p, c) => {
      if (p && actual[c]) this.#tp++;
      else if (p) this.#fp++;
      else if (actual[c]) this.#fn++;
    });
  }

  compute(): number {
    if (this.#examples === 0) return NaN;
    const denom = 2 * this.#tp + this.#fp + this.#fn;
    return denom === 0 ? 0 : (2 * this.#tp) / denom;
  }
}

/** Subset (exact-match) accuracy of multi-label predictions: every label of an example right. */
export class SubsetAccuracy extends MultiLabelMetric {
  readonly name = 'subsetAccuracy';
  #correct = 0;
  #total = 0;

  constructor(options?: MultiLabelMetricOptions) {
    super('SubsetAccuracy', options);
  }

  reset(): void {
    this.#correct = this.#total = 0;
  }

  protected count(predicted: boolean[], actual: boolean[]): void {
    this.#total++;
    if (predicted.every((p, c) => p === actual[c])) this.#correct++;
  }

  compute(): number {
    return this.#total === 0 ? NaN : this.#correct / this.#total;
  }
}
