// DataParallel (PyTorch's DistributedDataParallel) over the default Gloo group. At construction
// every rank checks that the ranks hold the same model, then takes rank 0's parameters. After each
// backward, syncGradients() averages the gradients over the ranks in buckets of about bucketBytes.
//
// Why the reduction follows backward instead of overlapping it: rnnkit's tape has no per-parameter
// "gradient ready" hook, and on CPU a collective runs on the same one-worker stream as the
// backward kernels, so it could not overlap them anyway. The reduction is queued right behind the
// backward work without waiting for it, so the JS thread keeps going (the next batch's padding, the
// loss read) while the stream computes and communicates.

import { checkInteger, checkOptions } from '../args.js';
import { describe } from '../dtype.js';
import { ArgumentError, DistributedError } from '../errors.js';
import { tensor, zeros } from '../ops/creation.js';
import { Module, type Parameter } from '../nn/module.js';
import { untracked } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { planBuckets, throughBuckets } from './buckets.js';
import { defaultGroup } from './context.js';
import type { GlooGroup } from './gloo.js';
import { checkSameModel } from './signature.js';

export interface DataParallelOptions {
  /** Bytes of gradients per all-reduce (default 25 MiB, as DDP's bucket_cap_mb). */
  bucketBytes?: number;
}

/** What the wrapped model needs: a module with forward (the trainable modules of nn). */
export interface ForwardModule extends Module {
  forward(inputs: Tensor, options?: { lengths?: Int32Array }): Tensor<'float32'>;
}

export class DataParallel<M extends ForwardModule = ForwardModule> extends Module {
  readonly module: M;
  readonly rank: number;
  readonly worldSize: number;
  /**
   * Resolves once the ranks agree on the model and hold rank 0's parameters; rejects (on every
   * rank) with a DistributedError naming the first differing parameter. Await it before the first
   * forward (fit() does).
   */
  readonly ready: Promise<void>;
  readonly #group: GlooGroup;
  readonly #bucketBytes: number;
  #isReady = false;
  #noSync = 0;

  constructor(model: M, options: DataParallelOptions = {}) {
    super();
    const op = 'DataParallel';
    if (!(model instanceof Module) || typeof model.forward !== 'function') {
      throw new ArgumentError(`${op}: model must be a module with forward(inputs, { lengths }), got ${describe(model)}`);
    }
    const o = checkOptions(op, options, ['bucketBytes'] as const);
    this.#bucketBytes = checkInteger(op, 'options.bucketBytes', o.bucketBytes ?? 25 * 1024 * 1024);
    if (this.#bucketBytes < 4) throw new ArgumentError(`${op}: options.bucketBytes must be >= 4 (one float32), got ${this.#bucketBytes}`);
    this.#group = defaultGroup(op);
    this.module = model;
    this.rank = this.#group.rank;
    this.worldSize = this.#group.worldSize;
    this.ready = this.#start();
    // The rejection is delivered through forward(), syncGradients() and fit(), not as an unhandled one.
    this.ready.catch(() => undefined);
  }

  async #start(): Promise<void> {
    const named = this.module.namedParameters();
    await checkSameModel('DataParallel', this.#group, named);
    const params = named.map(([, p]) => p);
    await throughBuckets(planBuckets(params, this.#bucketBytes), (flat) => this.#group.broadcast(flat, { src: 0 }));
    this.#isReady = true;
  }

  // The wrapped model's parameters under their own names (no 'module.' prefix, unlike PyTorch's
  // DDP), so its checkpoints load into the bare model.
  override namedParameters(prefix = ''): [string, Parameter][] {
    return this.module.namedParameters(prefix);
  }

  override modules(): Module[] {
    return [this, ...this.module.modules()];
  }

  override train(mode = true): this {
    this.training = mode;
    this.module.train(mode);
    return this;
  }

  forward(inputs: Tensor, options?: { lengths?: Int32Array }): Tensor<'float32'> {
    if (!this.#isReady) throw new DistributedError('DataParallel.forward: await model.ready first (the ranks have not yet agreed on the model and taken rank 0\'s parameters)');
    return this.module.forward(inputs, options);
  }

  /**
   * Averages every trainable parameter's gradient over the ranks (in place). A parameter that has
   * a gradient on some ranks only gets the mean with zeros from the others (as DDP's
   * find_unused_parameters); one with a gradient on no rank, or frozen, is skipped. Inside
   * noSync() it does nothing, so gradients accumulate locally.
   */
  async syncGradients(): Promise<void> {
    await this.ready;
    if (this.#noSync > 0) return;
    const params = this.module.parameters().filter((p) => p.requiresGrad);
    if (params.length === 0) return;
    // Which gradients exist anywhere: one small collective, so every rank builds the same buckets.
    const present = tensor(Int32Array.from(params, (p) => (p.grad === null ? 0 : 1)));
    await this.#group.allReduce(present, { op: 'max' });
    const anywhere = (await present.data()) as Int32Array;
    present.dispose();
    const reduced = params.filter((_, i) => anywhere[i] === 1);
    for (const p of reduced) p.grad ??= untracked(() => zeros(p.shape, { device: p.device }));
    // Reverse order, as DDP: the last layers' gradients are the first ones backward finishes.
    const grads = reduced.reverse().map((p) => p.grad!);
    await throughBuckets(planBuckets(grads, this.#bucketBytes), (flat) => this.#group.allReduce(flat, { op: 'mean' }));
  }

  /** loss.backward(), then syncGradients() unless inside noSync(). */
  async backward(loss: Tensor): Promise<void> {
    loss.backward();
    await this.syncGradients();
  }

  /**
   * Runs fn with gradient syncing off (PyTorch's no_sync()): backward() and syncGradients() inside
   * leave each rank's gradients local, to accumulate over several batches; the next sync outside
   * averages the sum.
   */
  async noSync<T>(fn: () => T | Promise<T>): Promise<T> {
    if (typeof fn !== 'function') throw new ArgumentError(`DataParallel.noSync: fn must be a function, got ${describe(fn)}`);
    this.#noSync++;
    try {
      return await fn();
    } finally {
      this.#noSync--;
    }
  }
}
