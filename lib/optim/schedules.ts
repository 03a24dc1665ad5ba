// Learning-rate schedules. Each wraps an optimizer and sets the lr of each of its parameter
// groups from that group's own initial lr (torch's base_lrs): step() once per epoch (or per batch,
// as you choose), after optimizer.step(). StepLR and ExponentialLR update the current lrs
// recursively, as torch.optim.lr_scheduler does (so they compose with manual changes);
// CosineWithWarmup is a closed form; ReduceLROnPlateau follows a metric and reduces every group.
// Their state is a plain object (stateDict / loadStateDict) that also restores every group's lr.

import { checkInteger, checkOneOf } from '../args.js';
import { describe } from '../dtype.js';
import { ArgumentError, CheckpointError } from '../errors.js';
import { checkLr, checkRange, Optimizer, optionsOf } from './optimizer.js';

/**
 * A schedule's state: its counters, and per group the current lr (lrs) and the initial one
 * (baseLrs). ReduceLROnPlateau's best is null in JSON before its first step (JSON has no ±Infinity).
 */
export type ScheduleState = Record<string, number | number[] | null>;

export abstract class LRSchedule {
  readonly optimizer: Optimizer;
  #baseLrs: readonly number[];
  /** step() calls so far. */
  lastEpoch = 0;
  protected readonly name: string;

  protected constructor(name: string, optimizer: unknown) {
    if (!(optimizer instanceof Optimizer)) {
      throw new ArgumentError(`${name}: optimizer must be an Optimizer, got ${describe(optimizer)}`);
    }
    this.name = name;
    this.optimizer = optimizer;
    this.#baseLrs = Object.freeze(optimizer.paramGroups.map((g) => g.lr));
  }

  /** Each group's lr when the schedule was made (torch's base_lrs; loadStateDict() restores them). */
  get baseLrs(): readonly number[] {
    return this.#baseLrs;
  }

  /** The first group's initial lr (baseLrs[0]). */
  get baseLr(): number {
    return this.baseLrs[0]!;
  }

  /** The first group's current learning rate (optimizer.lr). */
  get lr(): number {
    return this.optimizer.lr;
  }

  /** Every group's current learning rate (torch's get_last_lr()). */
  get lrs(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  abstract step(metric?: number): void;

  /** Sets each group's lr to f(its base lr, its current lr). */
  protected setLrs(f: (base: number, current: number) => number): void {
    this.optimizer.paramGroups.forEach((g, i) => (g.lr = f(this.baseLrs[i]!, g.lr)));
  }

  /** The schedule's counters, and every group's current and initial lr. */
  stateDict(): ScheduleState {
    return { lastEpoch: this.lastEpoch, lrs: this.lrs, baseLrs: [...this.baseLrs], ...this.extraState() };
  }

  /**
   * Restores stateDict()'s values and sets every group's lr to the saved one. The optimizer must
   * have as many groups as the saved state (CheckpointError otherwise). Checks everything first.
   */
  loadStateDict(state: ScheduleState): void {
    const op = `${this.name}.loadStateDict`;
    if (typeof state !== 'object' || state === null) throw new CheckpointError(`${op}: state must be an object, got ${describe(state)}`);
    const numbers = ['lastEpoch', ...Object.keys(this.extraState())];
    const keys = [...numbers, 'lrs', 'baseLrs'];
    for (const key of numbers) {
      if (typeof state[key] !== 'number') throw new CheckpointError(`${op}: state.${key} must be a number, got ${describe(state[key])}`);
    }
    const unexpected = Object.keys(state).filter((k) => !keys.includes(k));
    if (unexpected.length > 0) throw new CheckpointError(`${op}: unexpected ${unexpected.join(', ')} (expected ${keys.join(', ')})`);
    const lastEpoch = state.lastEpoch as number;
    if (!Number.isSafeInteger(lastEpoch) || lastEpoch < 0) {
      throw new CheckpointError(`${op}: state.lastEpoch must be an integer >= 0, got ${lastEpoch}`);
    }
    const groups = this.optimizer.paramGroups.length;
    const lrList = (key: 'lrs' | 'baseLrs'): number[] => {
      const list = state[key];
      if (!Array.isArray(list) || list.length !== groups) {
        throw new CheckpointError(`${op}: state.${key} must be a list of ${groups} learning rate(s), one per parameter group of the optimizer, got ${describe(list)}`);
      }
      return list.map((v, i) => {
        if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new CheckpointError(`${op}: state.${key}[${i}] must be a finite number >= 0, got ${describe(v)}`);
        return v;
      });
    };
    const lrs = lrList('lrs');
    const baseLrs = lrList('baseLrs');
    this.lastEpoch = lastEpoch;
    this.#baseLrs = Object.freeze(baseLrs);
    this.optimizer.paramGroups.forEach((g, i) => (g.lr = lrs[i]!));
    this.loadExtra(state as Record<string, number>);
  }

  protected extraState(): Record<string, number> {
    return {};
  }

  protected loadExtra(_state: Record<string, number>): void {}
}

export interface StepLROptions {
  /** Epochs between decays. */
  stepSize: number;
  /** Multiplier at each decay (0.1). */
  gamma?: number;
}

/** Every group's lr *= gamma every stepSize steps (torch.optim.lr_scheduler.StepLR). */
export class StepLR extends LRSchedule {
  readonly stepSize: number;
  readonly gamma: number;

  constructor(optimizer: Optimizer, options: StepLROptions) {
    super('StepLR', optimizer);
    const o = optionsOf('StepLR', options, ['stepSize', 'gamma'] as const);
    this.stepSize = checkInteger('StepLR', 'options.stepSize', o.stepSize);
    if (this.stepSize < 1) throw new ArgumentError(`StepLR: options.stepSize must be >= 1, got ${this.stepSize}`);
    this.gamma = checkRange('StepLR', 'options.gamma', o.gamma ?? 0.1, 0);
  }

  step(): void {
    this.lastEpoch++;
    if (this.lastEpoch % this.stepSize === 0) this.setLrs((_, lr) => lr * this.gamma);
  }
}

export interface ExponentialLROptions {
  gamma: number;
}

/** Every group's lr *= gamma every step (torch.optim.lr_scheduler.ExponentialLR). */
export class ExponentialLR extends LRSchedule {
  readonly gamma: number;

  constructor(optimizer: Optimizer, options: ExponentialLROptions) {
    super('ExponentialLR', optimizer);
    const o = optionsOf('ExponentialLR', options, ['gamma'] as const);
    this.gamma = checkRange('ExponentialLR', 'options.gamma', o.gamma, 0);
  }

  step(): void {
    this.lastEpoch++;
    this.setLrs((_, lr) => lr * this.gamma);
  }
}

export interface CosineWithWarmupOptions {
  /** Steps of linear warm-up (0: none). */
  warmupSteps: number;
  /** The step at which the cosine reaches minLr (> warmupSteps). */
  totalSteps: number;
  /** Floor of the learning rate of every group (0); at most each group's initial lr. */
  minLr?: number;
}

/**
 * Linear warm-up then cosine decay to minLr, for each parameter group. With s = step() calls so
 * far (the lr of the optimizer step after them), W = warmupSteps, T = totalSteps and base the
 * group's lr at construction:
 *
 *   s < W:       base * (s + 1) / W
 *   W <= s <= T: minLr + (base - minLr) * (1 + cos(pi * (s - W) / (T - W))) / 2
 *   s > T:       minLr
 *
 * The constructor sets the lr for s = 0 (as PyTorch's LambdaLR does).
 */
export class CosineWithWarmup extends LRSchedule {
  readonly warmupSteps: number;
  readonly totalSteps: number;
  readonly minLr: number;

  constructor(optimizer: Optimizer, options: CosineWithWarmupOptions) {
    super('CosineWithWarmup', optimizer);
    const op = 'CosineWithWarmup';
    const o = optionsOf(op, options, ['warmupSteps', 'totalSteps', 'minLr'] as const);
    this.warmupSteps = checkInteger(op, 'options.warmupSteps', o.warmupSteps);
    if (this.warmupSteps < 0) throw new ArgumentError(`${op}: options.warmupSteps must be >= 0, got ${this.warmupSteps}`);
    this.totalSteps = checkInteger(op, 'options.totalSteps', o.totalSteps);
    if (this.totalSteps <= this.warmupSteps) {
      throw new ArgumentError(`${op}: options.totalSteps must be > warmupSteps (${this.warmupSteps}), got ${this.totalSteps}`);
    }
    this.minLr = checkLr(op, 'options.minLr', o.minLr ?? 0);
    this.baseLrs.forEach((base, g) => {
      if (this.minLr > base) throw new ArgumentError(`${op}: options.minLr ${this.minLr} is above the lr ${base} of parameter group ${g}`);
    });
    this.setLrs((base) => this.lrAt(0, base));
  }

  /** The lr after s steps of a group whose initial lr is base (default: the first group's). */
  lrAt(s: number, base = this.baseLr): number {
    const { warmupSteps: w, totalSteps: t, minLr } = this;
    if (s < w) return (base * (s + 1)) / w;
    if (s <= t) return minLr + ((base - minLr) * (1 + Math.cos((Math.PI * (s - w)) / (t - w)))) / 2;
    return minLr;
  }

  step(): void {
    this.lastEpoch++;
    this.setLrs((base) => this.lrAt(this.lastEpoch, base));
  }
}

export interface ReduceLROnPlateauOptions {
  /** 'min': the metric should fall (a loss); 'max': rise (an accuracy). Default 'min'. */
  mode?: 'min' | 'max';
  /** Every group's lr *= factor on a plateau (0.1); in [0, 1). */
  factor?: number;
  /** Steps without improvement tolerated before reducing (10). */
  patience?: number;
  /** Least change that counts as an improvement (1e-4), relative or absolute by thresholdMode. */
  threshold?: number;
  /** 'rel' (default): better than best * (1 ∓ threshold); 'abs': best ∓ threshold. */
  thresholdMode?: 'rel' | 'abs';
  /** Steps to wait after a reduction before counting again (0). */
  cooldown?: number;
  /** Floor of the learning rate (0). */
  minLr?: number;
  /** Reductions smaller than this are skipped (1e-8). */
  eps?: number;
}

/** Reduces lr when a metric stops improving (torch.optim.lr_scheduler.ReduceLROnPlateau). */
export class ReduceLROnPlateau extends LRSchedule {
  readonly mode: 'min' | 'max';
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly thresholdMode: 'rel' | 'abs';
  readonly cooldown: number;
  readonly minLr: number;
  readonly eps: number;
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;

  constructor(optimizer: Optimizer, options: ReduceLROnPlateauOptions = {}) {
    super('ReduceLROnPlateau', optimizer);
    const op = 'ReduceLROnPlateau';
    const o = optionsOf(op, options, ['mode', 'factor', 'patience', 'threshold', 'thresholdMode', 'cooldown', 'minLr', 'eps'] as const);
    this.mode = checkOneOf(op, 'options.mode', o.mode ?? 'min', ['min', 'max'] as const);
    this.factor = checkRange(op, 'options.factor', o.factor ?? 0.1, 0, 1);
    this.patience = checkInteger(op, 'options.patience', o.patience ?? 10);
    this.threshold = checkRange(op, 'options.threshold', o.threshold ?? 1e-4, 0);
    this.thresholdMode = checkOneOf(op, 'options.thresholdMode', o.thresholdMode ?? 'rel', ['rel', 'abs'] as const);
    this.cooldown = checkInteger(op, 'options.cooldown', o.cooldown ?? 0);
    if (this.patience < 0 || this.cooldown < 0) throw new ArgumentError(`${op}: options.patience and options.cooldown must be >= 0`);
    this.minLr = checkLr(op, 'options.minLr', o.minLr ?? 0);
    this.eps = checkRange(op, 'options.eps', o.eps ?? 1e-8, 0);
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }

  #isBetter(a: number): boolean {
    const { best, threshold } = this;
    if (this.mode === 'min') return this.thresholdMode === 'rel' ? a < best * (1 - threshold) : a < best - threshold;
    return this.thresholdMode === 'rel' ? a > best * (threshold + 1) : a > best + threshold;
  }

  /** Takes the epoch's metric (required). */
  step(metric?: number): void {
    if (typeof metric !== 'number') throw new ArgumentError(`ReduceLROnPlateau.step: metric must be a number, got ${describe(metric)}`);
    this.lastEpoch++;
    if (this.#isBetter(metric)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs++;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      // Each group on its own, as torch's _reduce_lr: a reduction below eps leaves that group as it is.
      this.setLrs((_, old) => {
        const next = Math.max(old * this.factor, this.minLr);
        return old - next > this.eps ? next : old;
      });
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
  }

  /** Also takes best = null, which JSON makes of ±Infinity (no metric seen yet). */
  override loadStateDict(state: ScheduleState): void {
    const none = this.mode === 'min' ? Infinity : -Infinity;
    super.loadStateDict(typeof state === 'object' && state !== null && state.best === null ? { ...state, best: none } : state);
  }

  /** best is ±Infinity until the first step(). */
  protected override extraState(): Record<string, number> {
    return { best: this.best, numBadEpochs: this.numBadEpochs, cooldownCounter: this.cooldownCounter };
  }

  protected override loadExtra(state: Record<string, number>): void {
    this.best = state.best!;
    this.numBadEpochs = state.numBadEpochs!;
    this.cooldownCounter = state.cooldownCounter!;
  }
}
