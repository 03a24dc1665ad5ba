// Inference over data: predict() (each example's logits) and evaluate() (mean loss and metrics).
// Both run the model in evaluation mode (no dropout; its mode is restored after) without the
// autograd tape, so the recurrent layers take their inference kernels and keep nothing for a
// backward pass. fit() evaluates its validation data through the same evaluateData().
// Stateful runs (a language model over data.textStream) carry the recurrent state from batch to
// batch through a CarriedState.

import { checkBoolean, checkInteger, checkOptions } from '../args.js';
import { defaultDevice } from '../device.js';
import { describe, type Device } from '../dtype.js';
import { ArgumentError, DeviceError, ShapeError } from '../errors.js';
import { inference, type Module } from '../nn/module.js';
import type { RecurrentState } from '../nn/rnn.js';
import { copyTo } from '../ops/device.js';
import { tidy, untracked } from '../scope.js';
import { Tensor } from '../tensor.js';
import { padBatch, type Batch, type DataSource, type TargetDType } from './dataset.js';
import type { Metric } from './metrics.js';

/**
 * A model fit() can train: forward(inputs, { lengths }) → logits, [batch, classes] for a
 * classifier or [batch, time, vocab] for a language model (the loss decides what fits).
 */
export interface TrainableModule extends Module {
  forward(inputs: Tensor, options?: { lengths?: Int32Array }): Tensor<'float32'>;
}

/**
 * A model that can run statefully (nn.LanguageModel): run(inputs, { lengths, state }) → the logits
 * and the final recurrent state, to start the next batch from.
 */
export interface StatefulModule extends TrainableModule {
  run(inputs: Tensor<'int32'>, options?: { lengths?: Int32Array; state?: RecurrentState }): { logits: Tensor<'float32'>; state: RecurrentState };
}

/** A loss function's result checked: the batch's loss as a one-element tensor (what backward() and the logged mean need). */
export function checkLoss(op: string, value: unknown): Tensor<'float32'> {
  if (!(value instanceof Tensor) || value.size !== 1) {
    const got = value instanceof Tensor ? `a Tensor of shape [${value.shape.join(', ')}]` : describe(value);
    throw new ArgumentError(`${op}: options.loss must return the batch's loss as a one-element Tensor, got ${got}`);
  }
  return value as Tensor<'float32'>;
}

/** The model as a StatefulModule, or an ArgumentError saying what options.stateful needs. */
export function checkStateful(op: string, model: TrainableModule): StatefulModule {
  if (typeof (model as { run?: unknown }).run !== 'function') {
    throw new ArgumentError(
      `${op}: options.stateful needs a model with run(inputs, { lengths, state }) → { logits, state } (nn.LanguageModel has it), got ${describe(model)}`,
    );
  }
  return model as StatefulModule;
}

/**
 * The recurrent state carried from batch to batch (truncated backpropagation through time): each
 * batch starts from the final state of the batch before, detached (a copy off the tape, so no
 * gradient flows back across batches), and zeros before the first. Only the latest state is alive;
 * dispose() frees it (at the end of an epoch). Batch row r continues row r of the batch before, so
 * every batch must have the same number of rows (data.textStream's batches do).
 */
export class CarriedState {
  readonly #model: StatefulModule;
  #state: RecurrentState | null = null;

  constructor(model: StatefulModule) {
    this.#model = model;
  }

  /** The batch's logits from the carried state; its final state, detached, is carried on. Call inside tidy(). */
  forward(op: string, batch: Batch<TargetDType>): Tensor<'float32'> {
    const rows = batch.inputs.shape[0]!;
    const carried = this.#state;
    if (carried !== null && carried.h.shape[1] !== rows) {
      throw new ShapeError(
        `${op}: a stateful run needs every batch to have the same number of rows (row r continues row r of the batch before); this batch has ${rows}, the one before had ${carried.h.shape[1]} (data.textStream's batches all have batchSize rows)`,
      );
    }
    const { logits, state } = this.#model.run(batch.inputs, carried === null ? { lengths: batch.lengths } : { lengths: batch.lengths, state: carried });
    this.dispose();
    this.#state = untracked(() => ({ h: copyTo(op, state.h, state.h.device), ...(state.c ? { c: copyTo(op, state.c, state.c.device) } : {}) }));
    return logits;
  }

  dispose(): void {
    this.#state?.h.dispose();
    this.#state?.c?.dispose();
    this.#state = null;
  }
}

/** The loss of a batch from the model's output (batch.targets: class ids, or float32 multi-hot / regression targets). */
export type LossFn<T extends TargetDType = 'int32'> = (output: Tensor<'float32'>, batch: Batch<T>) => Tensor<'float32'>;

/** Token id sequences, one per example (each non-empty). */
export type Sequences = readonly (Int32Array | readonly number[])[];

export interface PredictOptions {
  /** Examples per forward when `data` is a list of sequences (default 64). */
  batchSize?: number;
}

export interface EvaluateOptions<T extends TargetDType = 'int32'> {
  /** The loss to average over the batches (the result has no `loss` without it). */
  loss?: LossFn<T>;
  /** Metrics over all examples (each is reset first). */
  metrics?: Metric[];
  /** The epoch whose batches the data source gives (default 0). */
  epoch?: number;
  /**
   * Carry the recurrent state from batch to batch, as fit({ stateful: true }) trains (default
   * false); the model needs run(inputs, { lengths, state }) and the data batches of equal rows
   * (data.textStream).
   */
  stateful?: boolean;
}

export interface Evaluation {
  /** Mean of the loss per batch, when options.loss was given. */
  loss?: number;
  /** Each metric's value by its name. */
  metrics: Record<string, number>;
}

/** The one device of the model's parameters (the default device for a model without any). */
export function modelDevice(op: string, model: Module): Device {
  const params = model.namedParameters();
  const [firstName, first] = params[0] ?? [];
  if (first === undefined) return defaultDevice();
  for (const [name, p] of params) {
    if (p.device !== first.device) {
      throw new DeviceError(
        `${op}: the model's parameters are on different devices (${firstName} on ${first.device}, ${name} on ${p.device}); move the model with model.to(device)`,
      );
    }
  }
  return first.device;
}

/** The batch with its tensors on `device`. The caller owns batches, so moved originals are disposed. */
export function batchOn<T extends TargetDType>(batch: Batch<T>, device: Device): Batch<T> {
  const inputs = batch.inputs.to(device);
  const targets = batch.targets.to(device);
  if (inputs !== batch.inputs) batch.inputs.dispose();
  if (targets !== batch.targets) batch.targets.dispose();
  return { ...batch, inputs, targets };
}

function checkModel(op: string, model: unknown): TrainableModule {
  if (typeof (model as Partial<TrainableModule> | null)?.forward !== 'function' || typeof (model as Module).eval !== 'function') {
    throw new ArgumentError(`${op}: model must be a module with forward(inputs, { lengths }), got ${describe(model)}`);
  }
  return model as TrainableModule;
}

function isDataSource(value: unknown): value is DataSource<TargetDType> {
  return typeof value === 'object' && value !== null && typeof (value as DataSource<TargetDType>).batches === 'function';
}

/** The list's batches of `size` consecutive examples, padded with lengths (targets unused: 0). */
function* sequenceBatches(op: string, data: unknown, size: number): Generator<Batch> {
  if (!Array.isArray(data) || data.length === 0) {
    throw new ArgumentError(`${op}: data must be a data source or a non-empty array of token id sequences, got ${describe(data)}`);
  }
  data.forEach((ids: unknown, i) => {
    const ok = ids instanceof Int32Array || (Array.isArray(ids) && ids.every((v) => Number.isInteger(v)));
    if (!ok || (ids as ArrayLike<number>).length === 0) {
      throw new ArgumentError(`${op}: data[${i}] must be a non-empty Int32Array or array of integer token ids, got ${describe(ids)}`);
    }
  });
  for (let start = 0; start < data.length; start += size) {
    yield padBatch((data as Sequences).slice(start, start + size).map((input) => ({ input, target: 0 })));
  }
}

/**
 * Example b's part of a batch's output [batch, ...]: a classifier's [classes]; for a per-step
 * output [batch, time, ...] (a language model's), its first lengths[b] steps, row-major.
 */
function exampleRows(output: Float32Array, shape: readonly number[], batch: Batch, b: number): Float32Array {
  const perExample = output.length / shape[0]!;
  const start = b * perExample;
  const perStep = shape.length >= 3 && shape[1] === batch.inputs.shape[1] ? perExample / shape[1]! : 0;
  return output.slice(start, start + (perStep > 0 ? perStep * batch.lengths[b]! : perExample));
}

/**
 * Each example's logits, in the data's order: a classifier's [numClasses]; a language model's
 * [length, vocab] (row-major, its own length only). `data` is a data source (its epoch-0
 * batches) or a list of token id sequences, batched `options.batchSize` at a time.
 */
export async function predict(model: TrainableModule, data: DataSource | Sequences, options?: PredictOptions): Promise<Float32Array[]> {
  const op = 'train.predict';
  checkModel(op, model);
  const opts = checkOptions(op, options, ['batchSize'] as const);
  const size = checkInteger(op, 'options.batchSize', opts.batchSize ?? 64);
  if (size < 1) throw new ArgumentError(`${op}: options.batchSize must be >= 1, got ${size}`);
  const device = modelDevice(op, model);
  const batches = isDataSource(data) ? data.batches(0) : sequenceBatches(op, data, size);
  const rows: Float32Array[] = [];
  for await (const raw of batches) {
    const batch = batchOn(raw, device);
    try {
      const logits = inference(model, () => tidy(() => model.forward(batch.inputs, { lengths: batch.lengths })));
      let values: Float32Array;
      try {
        values = (await logits.data()) as Float32Array;
      } finally {
        logits.dispose();
      }
      for (let b = 0; b < batch.inputs.shape[0]!; b++) rows.push(exampleRows(values, logits.shape, batch, b));
    } finally {
      batch.inputs.dispose();
      batch.targets.dispose();
    }
  }
  return rows;
}

/**
 * Runs the data once: the mean loss per batch (with `loss`) and the metrics. `stateful`: the
 * state is carried through the data from zeros (PyTorch word_language_model's evaluate()).
 */
export async function evaluateData<T extends TargetDType>(
  model: TrainableModule,
  data: DataSource<T>,
  epoch: number,
  loss: LossFn<T> | undefined,
  metrics: readonly Metric[],
  stateful = false,
): Promise<Evaluation & { batches: number }> {
  const op = 'evaluate';
  const carry = stateful ? new CarriedState(checkStateful(op, model)) : null;
  for (const m of metrics) m.reset();
  let total = 0;
  let batches = 0;
  const device = modelDevice(op, model);
  try {
    for await (const raw of data.batches(epoch)) {
      const batch = batchOn(raw, device);
      try {
        const { output, value } = inference(model, () =>
          tidy(() => {
            const out = carry === null ? model.forward(batch.inputs, { lengths: batch.lengths }) : carry.forward(op, batch);
            return { output: out, value: loss === undefined ? null : checkLoss(op, loss(out, batch)) };
          }),
        );
        try {
          if (value !== null) total += (await value.data())[0]!;
          batches++;
          for (const m of metrics) await m.update(output, batch.targets);
        } finally {
          output.dispose();
          value?.dispose();
        }
      } finally {
        batch.inputs.dispose();
        batch.targets.dispose();
      }
    }
  } finally {
    carry?.dispose();
  }
  const result: Evaluation & { batches: number } = { metrics: Object.fromEntries(metrics.map((m) => [m.name, m.compute()])), batches };
  if (loss !== undefined) result.loss = total / Math.max(batches, 1);
  return result;
}

/**
 * The model's mean loss per batch (with options.loss) and its metrics over a data source, in
 * evaluation mode without the tape (Keras' model.evaluate).
 */
export async function evaluate<T extends TargetDType = 'int32'>(model: TrainableModule, data: DataSource<T>, options?: EvaluateOptions<T>): Promise<Evaluation> {
  const op = 'train.evaluate';
  checkModel(op, model);
  if (!isDataSource(data)) throw new ArgumentError(`${op}: data must be a data source with batches(epoch), got ${describe(data)}`);
  const opts = checkOptions(op, options, ['loss', 'metrics', 'epoch', 'stateful'] as const);
  if (opts.loss !== undefined && typeof opts.loss !== 'function') {
    throw new ArgumentError(`${op}: options.loss must be a function (output, batch) => loss, got ${describe(opts.loss)}`);
  }
  const metrics = opts.metrics ?? [];
  if (!Array.isArray(metrics) || metrics.some((m: unknown) => typeof (m as Metric | null)?.update !== 'function')) {
    throw new ArgumentError(`${op}: options.metrics must be an array of metrics (train.Accuracy, ...), got ${describe(opts.metrics)}`);
  }
  const epoch = checkInteger(op, 'options.epoch', opts.epoch ?? 0);
  if (epoch < 0) throw new ArgumentError(`${op}: options.epoch must be >= 0, got ${epoch}`);
  if (opts.loss === undefined && metrics.length === 0) {
    throw new ArgumentError(`${op}: options needs a loss or metrics (there is nothing to compute)`);
  }
  const stateful = checkBoolean(op, 'options.stateful', opts.stateful ?? false);
  // evaluateData also counts the batches (fit weighs ranks' logs by them); the result is loss and metrics only.
  const { loss, metrics: values } = await evaluateData(model, data, epoch, opts.loss as LossFn<T> | undefined, metrics as Metric[], stateful);
  return loss === undefined ? { metrics: values } : { loss, metrics: values };
}
