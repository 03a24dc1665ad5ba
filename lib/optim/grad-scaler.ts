// GradScaler: dynamic loss scaling for fp16 training, with PyTorch's torch.amp.GradScaler rules.
// fp16 gradients underflow to zero below ~6e-8; multiplying the loss by a large scale lifts them
// into range, and the gradients are divided by it again before the optimizer sees them. A step
// whose gradients hold an inf or NaN (the scale was too large) is skipped and the scale shrinks;
// after growthInterval clean steps in a row it grows again.
//
//   const scaler = new optim.GradScaler();
//   scaler.scale(loss).backward();
//   scaler.unscale(optimizer);          // only needed before clipping
//   optim.clipGradNorm(params, 1);
//   await scaler.step(optimizer);       // skipped when a gradient is not finite
//   scaler.update();

import { checkBoolean, checkInteger, checkOptions } from '../args.js';
import { noGrad } from '../autograd.js';
import { describe } from '../dtype.js';
import { ArgumentError, CheckpointError } from '../errors.js';
import type { Parameter } from '../nn/module.js';
import { mul } from '../ops/elementwise.js';
import { untracked } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { clipGradNorm } from './clip.js';

/** What the scaler needs of an optimizer (every rnnkit optimizer has it). */
export interface ScalableOptimizer {
  readonly params: readonly Parameter[];
  step(): void;
}

export interface GradScalerOptions {
  /** The first scale (2^16). */
  initScale?: number;
  /** Multiplier after growthInterval steps without inf/NaN (2); > 1. */
  growthFactor?: number;
  /** Multiplier after a step with inf/NaN (0.5); in (0, 1). */
  backoffFactor?: number;
  /** Clean steps in a row before the scale grows (2000). */
  growthInterval?: number;
  /** false: every method passes through (scale() returns the loss, step() just steps). Default true. */
  enabled?: boolean;
}

/** The scaler's numbers, for checkpoints. */
export interface GradScalerState {
  scale: number;
  growthFactor: number;
  backoffFactor: number;
  growthInterval: number;
  growthTracker: number;
}

/** Where an optimizer is in the current iteration (between two update() calls). */
interface Stage {
  /** The total norm of the unscaled gradients, still on the device: inf or NaN flags a bad step. */
  norm: Tensor<'float32'>;
  /** Set by step(): whether the gradients held an inf or NaN. */
  foundInf?: boolean;
}

function positiveFinite(op: string, arg: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ArgumentError(`${op}: ${arg} must be a finite number > 0, got ${describe(value)}`);
  }
  return value;
}

export class GradScaler {
  readonly growthFactor: number;
  readonly backoffFactor: number;
  readonly growthInterval: number;
  readonly enabled: boolean;
  #scale: number;
  #growthTracker = 0;
  readonly #stages = new Map<ScalableOptimizer, Stage>();

  constructor(options: GradScalerOptions = {}) {
    const op = 'GradScaler';
    const o = checkOptions(op, options, ['initScale', 'growthFactor', 'backoffFactor', 'growthInterval', 'enabled'] as const);
    this.#scale = positiveFinite(op, 'options.initScale', o.initScale ?? 2 ** 16);
    this.growthFactor = positiveFinite(op, 'options.growthFactor', o.growthFactor ?? 2);
    if (this.growthFactor <= 1) throw new ArgumentError(`${op}: options.growthFactor must be > 1, got ${this.growthFactor}`);
    this.backoffFactor = positiveFinite(op, 'options.backoffFactor', o.backoffFactor ?? 0.5);
    if (this.backoffFactor >= 1) throw new ArgumentError(`${op}: options.backoffFactor must be in (0, 1), got ${this.backoffFactor}`);
    this.growthInterval = checkInteger(op, 'options.growthInterval', o.growthInterval ?? 2000);
    if (this.growthInterval < 1) throw new ArgumentError(`${op}: options.growthInterval must be >= 1, got ${this.growthInterval}`);
    this.enabled = checkBoolean(op, 'options.enabled', o.enabled ?? true);
  }

  /** The current scale (PyTorch's get_scale()). */
  getScale(): number {
    return this.#scale;
  }

  /** Clean steps since the scale last changed. */
  get growthTracker(): number {
    return this.#growthTracker;
  }

  /** loss * scale (differentiable), to call backward() on; the loss itself when disabled. */
  scale(loss: Tensor<'float32'>): Tensor<'float32'> {
    return this.enabled ? mul(loss, this.#scale) : loss;
  }

  /**
   * Divides the gradients of the optimizer's parameters by the scale (each grad is replaced by
   * the unscaled one; frozen parameters are left out), and measures them for inf/NaN on the device. Call it before clipping
   * gradients; step() calls it when you have not. Once per optimizer per iteration.
   */
  unscale(optimizer: ScalableOptimizer): void {
    const op = 'GradScaler.unscale';
    if (!this.enabled) return;
    const params = paramsOf(op, optimizer);
    const stage = this.#stages.get(optimizer);
    if (stage !== undefined) {
      throw new ArgumentError(
        `${op}: ${stage.foundInf === undefined ? 'unscale() was already called' : 'step() already ran'} for this optimizer since the last update()`,
      );
    }
    const inverse = 1 / this.#scale;
    const norm = untracked(() =>
      noGrad(() => {
        for (const p of params) {
          const g = p.grad;
          if (g === null || !p.requiresGrad) continue; // frozen: the optimizer skips it
          p.grad = mul(g, inverse);
          g.dispose();
        }
        // maxNorm Infinity: measure only. Any inf or NaN element makes the norm inf or NaN.
        return clipGradNorm(params, Infinity);
      }),
    );
    this.#stages.set(optimizer, { norm });
  }

  /**
   * Unscales the gradients if unscale() has not, then runs optimizer.step() unless a gradient
   * holds an inf or NaN. Resolves to whether the optimizer stepped. Reads one number from the
   * device (the norm), without blocking the event loop.
   */
  async step(optimizer: ScalableOptimizer): Promise<boolean> {
    const op = 'GradScaler.step';
    if (!this.enabled) {
      optimizer.step();
      return true;
    }
    if (!this.#stages.has(optimizer)) this.unscale(optimizer);
    const stage = this.#stages.get(optimizer)!;
    if (stage.foundInf !== undefined) throw new ArgumentError(`${op}: step() already ran for this optimizer since the last update()`);
    const norm = (await stage.norm.data())[0]!;
    stage.foundInf = !Number.isFinite(norm);
    if (!stage.foundInf) optimizer.step();
    return !stage.foundInf;
  }

  /**
   * Adjusts the scale after the iteration's step(s): times backoffFactor if any step found
   * inf/NaN (and the count of clean steps restarts), else times growthFactor once growthInterval
   * clean steps have passed. `newScale` sets it outright instead.
   */
  update(newScale?: number): void {
    const op = 'GradScaler.update';
    if (!this.enabled) return;
    if (newScale !== undefined) {
      this.#scale = positiveFinite(op, 'newScale', newScale);
    } else {
      const stages = [...this.#stages.values()];
      if (stages.length === 0 || stages.some((s) => s.foundInf === undefined)) {
        throw new ArgumentError(`${op}: call step(optimizer) for every unscaled optimizer before update()`);
      }
      if (stages.some((s) => s.foundInf)) {
        this.#scale *= this.backoffFactor;
        this.#growthTracker = 0;
      } else if (++this.#growthTracker === this.growthInterval) {
        this.#scale *= this.growthFactor;
        this.#growthTracker = 0;
      }
    }
    for (const s of this.#stages.values()) s.norm.dispose();
    this.#stages.clear();
  }

  stateDict(): GradScalerState {
    return {
      scale: this.#scale,
      growthFactor: this.growthFactor,
      backoffFactor: this.backoffFactor,
      growthInterval: this.growthInterval,
      growthTracker: this.#growthTracker,
    };
  }

  /** Restores the scale and the count of clean steps (the factors are the constructor's). */
  loadStateDict(state: GradScalerState): void {
    const op = 'GradScaler.loadStateDict';
    if (typeof state !== 'object' || state === null) throw new CheckpointError(`${op}: state must be an object, got ${describe(state)}`);
    if (typeof state.scale !== 'number' || !Number.isFinite(state.scale) || state.scale <= 0) {
      throw new CheckpointError(`${op}: state.scale must be a finite number > 0, got ${describe(state.scale)}`);
    }
    if (!Number.isSafeInteger(state.growthTracker) || state.growthTracker < 0) {
      throw new CheckpointError(`${op}: state.growthTracker must be an integer >= 0, got ${describe(state.growthTracker)}`);
    }
    this.#scale = state.scale;
    this.#growthTracker = state.growthTracker;
  }
}

function paramsOf(op: string, optimizer: unknown): readonly Parameter[] {
  const params = (optimizer as Partial<ScalableOptimizer> | null)?.params;
  if (!Array.isArray(params) || typeof (optimizer as ScalableOptimizer).step !== 'function') {
    throw new ArgumentError(`${op}: optimizer must be an rnnkit optimizer (with params and step()), got ${describe(optimizer)}`);
  }
  return params;
}
