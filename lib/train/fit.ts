// fit(): the training loop. Each epoch: batches from the data source (moved to the model's
// device), forward, loss, backward; after every `accumulateSteps` batches, optional gradient
// clipping and one optimizer step (through a GradScaler for fp16); then evaluation on the
// validation data; callbacks see every optimizer step and epoch and may stop training. With
// `stateful`, the recurrent state is carried from batch to batch (truncated BPTT). Every batch
// runs in a tidy() scope and reads its loss with `await`, so memory stays flat and the event loop
// keeps running. Each batch is an NVTX range named for its optimizer step ("step 12"). A
// distributed.DataParallel model trains data-parallel: see fit-ranks.ts.

import { checkBoolean, checkInteger, checkOptions } from '../args.js';
import { describe } from '../dtype.js';
import { ArgumentError } from '../errors.js';
import { clipGradNorm } from '../optim/clip.js';
import { GradScaler } from '../optim/grad-scaler.js';
import { mul } from '../ops/elementwise.js';
import { range } from '../profile.js';
import { seed } from '../random.js';
import { tidy } from '../scope.js';
import { DataParallel } from '../distributed/data-parallel.js';
import type { Module, Parameter } from '../nn/module.js';
import { RecurrentLayer } from '../nn/rnn.js';
import type { DataSource, TargetDType } from './dataset.js';
import { batchOn, CarriedState, checkLoss, checkStateful, evaluateData, modelDevice, type LossFn, type TrainableModule } from './inference.js';
import type { Metric } from './metrics.js';
import { agreeStop, callbacksOf, reduceLog } from './fit-ranks.js';

export type { LossFn, StatefulModule, TrainableModule } from './inference.js';
import { Progress, type ProgressMode } from './progress.js';

/** What fit() needs of an optimizer (every rnnkit optimizer has it). */
export interface OptimizerLike {
  step(): void;
  zeroGrad(): void;
  lr: number;
}

export interface EpochLog {
  epoch: number;
  loss: number;
  metrics: Record<string, number>;
  valLoss?: number;
  valMetrics?: Record<string, number>;
  lr: number;
  seconds: number;
  tokensPerSecond: number;
}

export interface History {
  epochs: EpochLog[];
  /** Why training ended before `epochs` (a callback's reason), if it did. */
  stoppedEarly?: string;
}

export interface FitContext {
  /** The epoch now running. */
  readonly epoch: number;
  /** Optimizer steps finished in the run so far (counting options.initialStep). */
  readonly step: number;
  readonly model: TrainableModule;
  readonly optimizer: OptimizerLike;
  readonly history: History;
  /** Ends training after the current epoch. */
  stop(reason: string): void;
}

export interface Callback {
  onEpochEnd?(log: EpochLog, context: FitContext): void | Promise<void>;
  /**
   * After each optimizer step (one per `accumulateSteps` batches): `step` counts optimizer steps
   * from 1 over the whole run, `loss` is the mean unscaled loss of the step's batches.
   */
  onStepEnd?(step: number, loss: number, context: FitContext): void | Promise<void>;
  /** Once training ends, stopped early or not (not when it throws): after the last onEpochEnd. */
  onTrainEnd?(history: History, context: FitContext): void | Promise<void>;
  /**
   * Run on every rank when the model is a DataParallel (default: rank 0 only, so files and
   * reports are written once). Callbacks that steer training rather than record it set it:
   * lrSchedule, earlyStopping (which sees the same reduced values on every rank).
   */
  readonly allRanks?: boolean;
}

/** fit()'s options; T: the targets' dtype (int32 class ids by default, float32 for multi-hot or regression targets). */
export interface FitOptions<T extends TargetDType = 'int32'> {
  data: DataSource<T>;
  validationData?: DataSource<T>;
  epochs: number;
  optimizer: OptimizerLike;
  loss: LossFn<T>;
  metrics?: Metric[];
  /** Clips the gradients to this global L2 norm before each optimizer step. */
  clipGradNorm?: number;
  callbacks?: Callback[];
  /** Seeds rnnkit's generator first (dropout), for repeatable runs. */
  seed?: number;
  /** The epoch to start at, to continue a run resumed from a checkpoint (default 0). */
  initialEpoch?: number;
  /**
   * Optimizer steps done before initialEpoch (resume() gives it; default 0), so that step numbers
   * (onStepEnd, step logs, step checkpoints) continue where the resumed run stopped.
   */
  initialStep?: number;
  /** 'auto' (default): a bar on a terminal, lines otherwise; 'off' prints nothing. */
  progress?: ProgressMode;
  /**
   * Loss scaling for fp16 training: a GradScaler, true for a new default one, or false for none.
   * Default: a GradScaler when a recurrent layer of the model has precision 'fp16'. The optimizer
   * must then be an rnnkit optimizer (the scaler unscales its parameters' gradients).
   */
  gradScaler?: GradScaler | boolean;
  /**
   * Gradient accumulation (default 1): the gradients of this many consecutive batches add up
   * before one optimizer step, each batch's loss scaled by 1/accumulateSteps, so k batches of b
   * rows step as one batch of k·b rows would (for a loss that averages over the rows). Clipping
   * and the step come after the k-th batch. A partial group at the end of an epoch (its n < k
   * batches) still steps, with its losses scaled by 1/k as well (as PyTorch Lightning does), so
   * its step is n/k of a full one. The logged losses are the unscaled ones.
   */
  accumulateSteps?: number;
  /**
   * Carry the recurrent state from batch to batch (default false): truncated backpropagation
   * through time, as PyTorch's word_language_model trains. The model needs run(inputs, {
   * lengths, state }) → { logits, state } (nn.LanguageModel); the state starts at zeros each
   * epoch, and each batch starts from the final state of the batch before, detached (no gradient
   * crosses batches). The data must lay out contiguous streams, row r of each batch continuing
   * row r of the batch before, all batches with the same rows: data.textStream. Validation
   * carries its state through the validation data too.
   */
  stateful?: boolean;
}

const FIT_OPTIONS = [
  'data', 'validationData', 'epochs', 'optimizer', 'loss', 'metrics', 'clipGradNorm', 'callbacks', 'seed', 'initialEpoch', 'initialStep', 'progress',
  'gradScaler', 'accumulateSteps', 'stateful',
] as const;

function checkSource<T extends TargetDType>(arg: string, value: unknown): DataSource<T> {
  if (typeof value !== 'object' || value === null || typeof (value as DataSource<T>).batches !== 'function') {
    throw new ArgumentError(`fit: ${arg} must be a data source with batches(epoch), got ${describe(value)}`);
  }
  return value as DataSource<T>;
}

/** options.gradScaler resolved: the scaler to train with, or null. */
function scalerFor(model: Module, optimizer: OptimizerLike, value: unknown): GradScaler | null {
  const fp16 = () => model.modules().some((m) => m instanceof RecurrentLayer && m.config.precision === 'fp16');
  const scaler =
    value instanceof GradScaler
      ? value
      : (value === undefined ? fp16() : checkBoolean('fit', 'options.gradScaler', value))
        ? new GradScaler()
        : null;
  if (scaler !== null && !Array.isArray((optimizer as { params?: unknown }).params)) {
    throw new ArgumentError('fit: loss scaling (options.gradScaler, or an fp16 layer) needs an rnnkit optimizer, whose params it unscales');
  }
  return scaler;
}

/** The optimizer step after a group's backward passes: clipping, then the step (through the scaler for fp16). */
async function optimizerStep(optimizer: OptimizerLike, params: Parameter[], maxNorm: number | undefined, scaler: GradScaler | null): Promise<void> {
  if (scaler === null) {
    if (maxNorm !== undefined) clipGradNorm(params, maxNorm).dispose();
    optimizer.step();
    return;
  }
  const scaled = optimizer as OptimizerLike & { params: readonly Parameter[] };
  if (maxNorm !== undefined) {
    scaler.unscale(scaled);
    clipGradNorm(params, maxNorm).dispose();
  }
  await scaler.step(scaled);
  scaler.update();
}

export async function fit<T extends TargetDType = 'int32'>(model: TrainableModule, options: FitOptions<T>): Promise<History> {
  const opts = checkOptions('fit', options, FIT_OPTIONS);
  if (typeof model?.forward !== 'function') throw new ArgumentError('fit: model must be a module with forward(inputs, { lengths })');
  const data = checkSource<T>('options.data', opts.data);
  const validation = opts.validationData === undefined ? undefined : checkSource<T>('options.validationData', opts.validationData);
  const epochs = checkInteger('fit', 'options.epochs', opts.epochs);
  if (epochs < 1) throw new ArgumentError(`fit: options.epochs must be >= 1, got ${epochs}`);
  const optimizer = opts.optimizer as OptimizerLike;
  if (typeof optimizer?.step !== 'function' || typeof optimizer.zeroGrad !== 'function') {
    throw new ArgumentError('fit: options.optimizer must have step() and zeroGrad()');
  }
  const loss = opts.loss as LossFn<T>;
  if (typeof loss !== 'function') throw new ArgumentError('fit: options.loss must be a function (output, batch) => loss');
  const metrics = (opts.metrics ?? []) as Metric[];
  const ddp = model instanceof DataParallel ? model : null;
  const callbacks = callbacksOf(ddp, (opts.callbacks ?? []) as Callback[]);
  const maxNorm = opts.clipGradNorm;
  if (maxNorm !== undefined && (typeof maxNorm !== 'number' || !(maxNorm > 0))) {
    throw new ArgumentError(`fit: options.clipGradNorm must be a positive number, got ${describe(maxNorm)}`);
  }
  const accumulate = checkInteger('fit', 'options.accumulateSteps', opts.accumulateSteps ?? 1);
  if (accumulate < 1) throw new ArgumentError(`fit: options.accumulateSteps must be >= 1 (batches per optimizer step), got ${accumulate}`);
  const stateful = checkBoolean('fit', 'options.stateful', opts.stateful ?? false);
  const statefulModel = stateful ? checkStateful('fit', model) : null;
  if (opts.seed !== undefined) seed(checkInteger('fit', 'options.seed', opts.seed));
  const initialEpoch = checkInteger('fit', 'options.initialEpoch', opts.initialEpoch ?? 0);
  if (initialEpoch < 0 || initialEpoch >= epochs) {
    throw new ArgumentError(`fit: options.initialEpoch must be in 0..${epochs - 1} (epochs is ${epochs}), got ${initialEpoch}`);
  }
  const initialStep = checkInteger('fit', 'options.initialStep', opts.initialStep ?? 0);
  if (initialStep < 0) throw new ArgumentError(`fit: options.initialStep must be >= 0, got ${initialStep}`);

  const history: History = { epochs: [] };
  let stopReason: string | undefined;
  const context = { epoch: initialEpoch, step: initialStep, model, optimizer, history, stop: (reason: string) => void (stopReason = reason) };
  const progress = new Progress(ddp !== null && ddp.rank !== 0 ? 'off' : ((opts.progress ?? 'auto') as ProgressMode));
  await ddp?.ready;
  const params = model.parameters();
  const device = modelDevice('fit', model);
  const scaler = scalerFor(model, optimizer, opts.gradScaler);
  let step = initialStep;

  for (let epoch = initialEpoch; epoch < epochs && stopReason === undefined; epoch++) {
    context.epoch = epoch;
    model.train();
    for (const m of metrics) m.reset();
    const started = performance.now();
    let total = 0;
    let batches = 0;
    let tokens = 0;
    // The batches of the optimizer step being accumulated, and the sum of their unscaled losses.
    let pending = 0;
    let pendingLoss = 0;
    const endStep = async (): Promise<void> => {
      await ddp?.syncGradients();
      await optimizerStep(optimizer, params, maxNorm, scaler);
      context.step = ++step;
      const mean = pendingLoss / pending;
      pending = 0;
      pendingLoss = 0;
      for (const cb of callbacks) await cb.onStepEnd?.(step, mean, context);
    };
    const carry = statefulModel === null ? null : new CarriedState(statefulModel);
    progress.startEpoch(epoch, epochs, data.numBatches);
    try {
      for await (const raw of data.batches(epoch)) {
        const batch = batchOn(raw, device);
        if (pending === 0) optimizer.zeroGrad();
        const { output, value } = range(`step ${step + 1}`, () =>
          tidy(() => {
            const out = carry === null ? model.forward(batch.inputs, { lengths: batch.lengths }) : carry.forward('fit', batch);
            const l = checkLoss('fit', loss(out, batch));
            const scaled = accumulate === 1 ? l : mul(l, 1 / accumulate);
            (scaler === null ? scaled : scaler.scale(scaled)).backward();
            return { output: out, value: l };
          }),
        );
        const lossValue = (await value.data())[0]!;
        for (const m of metrics) await m.update(output, batch.targets);
        for (const t of [output, value, batch.inputs, batch.targets]) t.dispose();
        total += lossValue;
        batches++;
        tokens += batch.tokens;
        pending++;
        pendingLoss += lossValue;
        if (pending === accumulate) await endStep();
        const running = Object.fromEntries(metrics.map((m) => [m.name, m.compute()]));
        progress.step(batches, total / batches, (tokens / (performance.now() - started)) * 1000, running);
      }
      if (pending > 0) await endStep();
    } finally {
      carry?.dispose();
    }
    const seconds = (performance.now() - started) / 1000;
    let log: EpochLog = {
      epoch,
      loss: total / Math.max(batches, 1),
      metrics: Object.fromEntries(metrics.map((m) => [m.name, m.compute()])),
      lr: optimizer.lr,
      seconds,
      tokensPerSecond: tokens / seconds,
    };
    let valBatches = 0;
    if (validation) {
      const v = await evaluateData(model, validation, epoch, loss, metrics, stateful);
      log.valLoss = v.loss!;
      log.valMetrics = v.metrics;
      valBatches = v.batches;
    }
    if (ddp !== null) log = await reduceLog(log, batches, valBatches);
    history.epochs.push(log);
    progress.endEpoch(log);
    for (const cb of callbacks) await cb.onEpochEnd?.(log, context);
    if (ddp !== null) stopReason = await agreeStop(stopReason);
  }
  if (stopReason !== undefined) history.stoppedEarly = stopReason;
  for (const cb of callbacks) await cb.onTrainEnd?.(history, context);
  return history;
}
