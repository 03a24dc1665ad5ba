// The five optimizers, each a thin class over Optimizer: options with PyTorch's defaults and
// meaning (camelCase names), checked at construction for every parameter group (each group's own
// options override the constructor's, as in torch.optim); the update itself is native (fused, in
// place) and follows torch.optim's formulas operation by operation.

import { checkBoolean } from '../args.js';
import { describe } from '../dtype.js';
import { ArgumentError } from '../errors.js';
import type { Parameter } from '../nn/module.js';
import { checkLr, checkRange, Optimizer, type Hyper } from './optimizer.js';
import type { ParamGroupSpec } from './param-groups.js';

/** What an optimizer takes as its parameters: an array or any iterable of float32 tensors (frozen ones are skipped while frozen). */
export type Params = Iterable<Parameter>;

/** Parameters (one group), or parameter groups { params, ...options } whose options override the constructor's. */
export type ParamsOrGroups<Options> = Params | Iterable<ParamGroupSpec<Options>>;

/** Where a group's option came from, for messages (params[1].lr or options.lr). */
type ArgOf = (key: string) => string;
type Given = Readonly<Record<string, unknown>>;

export interface SGDOptions {
  lr: number;
  /** Momentum factor (0: plain SGD). */
  momentum?: number;
  /** Dampening for momentum (0). */
  dampening?: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0). */
  nesterov?: boolean;
  /** L2 penalty added to the gradient (0). */
  weightDecay?: number;
  /** Ascend instead of descend (false). */
  maximize?: boolean;
}

/** A group's SGD hyperparameters, every option set. */
export type SGDGroup = Required<SGDOptions>;

const SGD_OPTIONS = ['lr', 'momentum', 'dampening', 'nesterov', 'weightDecay', 'maximize'] as const;

function sgdGroup(op: string, arg: ArgOf, o: Given): SGDGroup {
  if (o.lr === undefined) throw new ArgumentError(`${op}: ${arg('lr')} is required (SGD has no default lr: give it in options or in every parameter group)`);
  const momentum = checkRange(op, arg('momentum'), o.momentum ?? 0, 0);
  const dampening = checkRange(op, arg('dampening'), o.dampening ?? 0, -Infinity);
  const nesterov = checkBoolean(op, arg('nesterov'), o.nesterov ?? false);
  if (nesterov && (momentum <= 0 || dampening !== 0)) {
    throw new ArgumentError(`${op}: ${arg('nesterov')} needs momentum > 0 and dampening 0, got momentum ${momentum} and dampening ${dampening}`);
  }
  return {
    lr: checkLr(op, arg('lr'), o.lr),
    momentum,
    dampening,
    nesterov,
    weightDecay: checkRange(op, arg('weightDecay'), o.weightDecay ?? 0, 0),
    maximize: checkBoolean(op, arg('maximize'), o.maximize ?? false),
  };
}

/**
 * Stochastic gradient descent, as torch.optim.SGD: g += wd*p; buf = momentum*buf + (1-dampening)*g
 * (buf = g on the first step); g = nesterov ? g + momentum*buf : buf; p -= lr*g.
 */
export class SGD extends Optimizer<SGDGroup> {
  constructor(params: ParamsOrGroups<SGDOptions>, options?: SGDOptions) {
    super('SGD', 'sgd', params, options, SGD_OPTIONS, sgdGroup);
  }

  protected stateNames(o: SGDGroup): readonly string[] {
    return o.momentum !== 0 ? ['momentum_buffer'] : [];
  }

  protected hyperOf(o: SGDGroup): Hyper {
    return { momentum: o.momentum, dampening: o.dampening, nesterov: o.nesterov, weightDecay: o.weightDecay, maximize: o.maximize };
  }
}

export interface AdamOptions {
  /** Default 1e-3. */
  lr?: number;
  /** Decay rates of the first and second moment averages, each in [0, 1) (default [0.9, 0.999]). */
  betas?: readonly [number, number];
  /** Added to the denominator (1e-8). */
  eps?: number;
  /** Adam: L2 penalty added to the gradient (0). AdamW: decoupled decay p *= 1 - lr*wd (1e-2). */
  weightDecay?: number;
  maximize?: boolean;
}

/** A group's Adam or AdamW hyperparameters, every option set. */
export type AdamGroup = Required<AdamOptions>;

function checkBetas(op: string, arg: string, value: unknown): [number, number] {
  if (!Array.isArray(value) || value.length !== 2) {
    throw new ArgumentError(`${op}: ${arg} must be [beta1, beta2], got ${describe(value)}`);
  }
  return [checkRange(op, `${arg}[0]`, value[0], 0, 1), checkRange(op, `${arg}[1]`, value[1], 0, 1)];
}

const ADAM_OPTIONS = ['lr', 'betas', 'eps', 'weightDecay', 'maximize'] as const;

function adamGroup(defaultWeightDecay: number) {
  return (op: string, arg: ArgOf, o: Given): AdamGroup => ({
    lr: checkLr(op, arg('lr'), o.lr ?? 1e-3),
    betas: checkBetas(op, arg('betas'), o.betas ?? [0.9, 0.999]),
    eps: checkRange(op, arg('eps'), o.eps ?? 1e-8, 0),
    weightDecay: checkRange(op, arg('weightDecay'), o.weightDecay ?? defaultWeightDecay, 0),
    maximize: checkBoolean(op, arg('maximize'), o.maximize ?? false),
  });
}

function adamHyper(o: AdamGroup): Hyper {
  return { beta1: o.betas[0], beta2: o.betas[1], eps: o.eps, weightDecay: o.weightDecay, maximize: o.maximize };
}

/**
 * Adam, as torch.optim.Adam: g += wd*p; m = lerp(m, g, 1-b1); v = b2*v + (1-b2)*g²;
 * p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps), t counting this parameter's steps.
 */
export class Adam extends Optimizer<AdamGroup> {
  constructor(params: ParamsOrGroups<AdamOptions>, options?: AdamOptions) {
    super('Adam', 'adam', params, options, ADAM_OPTIONS, adamGroup(0));
  }

  protected stateNames(): readonly string[] {
    return ['exp_avg', 'exp_avg_sq'];
  }

  protected hyperOf(o: AdamGroup): Hyper {
    return adamHyper(o);
  }
}

/** AdamW, as torch.optim.AdamW: Adam with decoupled weight decay p *= 1 - lr*wd (default wd 1e-2). */
export class AdamW extends Optimizer<AdamGroup> {
  constructor(params: ParamsOrGroups<AdamOptions>, options?: AdamOptions) {
    super('AdamW', 'adamw', params, options, ADAM_OPTIONS, adamGroup(1e-2));
  }

  protected stateNames(): readonly string[] {
    return ['exp_avg', 'exp_avg_sq'];
  }

  protected hyperOf(o: AdamGroup): Hyper {
    return adamHyper(o);
  }
}

export interface RMSpropOptions {
  /** Default 1e-2. */
  lr?: number;
  /** Smoothing constant (0.99). */
  alpha?: number;
  eps?: number;
  momentum?: number;
  /** Normalise by the estimated variance of the gradient (false). */
  centered?: boolean;
  weightDecay?: number;
  maximize?: boolean;
}

/** A group's RMSprop hyperparameters, every option set. */
export type RMSpropGroup = Required<RMSpropOptions>;

const RMSPROP_OPTIONS = ['lr', 'alpha', 'eps', 'momentum', 'centered', 'weightDecay', 'maximize'] as const;

function rmspropGroup(op: string, arg: ArgOf, o: Given): RMSpropGroup {
  return {
    lr: checkLr(op, arg('lr'), o.lr ?? 1e-2),
    alpha: checkRange(op, arg('alpha'), o.alpha ?? 0.99, 0),
    eps: checkRange(op, arg('eps'), o.eps ?? 1e-8, 0),
    momentum: checkRange(op, arg('momentum'), o.momentum ?? 0, 0),
    centered: checkBoolean(op, arg('centered'), o.centered ?? false),
    weightDecay: checkRange(op, arg('weightDecay'), o.weightDecay ?? 0, 0),
    maximize: checkBoolean(op, arg('maximize'), o.maximize ?? false),
  };
}

/**
 * RMSprop, as torch.optim.RMSprop: g += wd*p; sq = alpha*sq + (1-alpha)*g²; avg = sqrt(sq)
 * (centered: sqrt(sq - ga²), ga = lerp(ga, g, 1-alpha)) + eps; with momentum buf = m*buf + g/avg,
 * p -= lr*buf; else p -= lr*g/avg.
 */
export class RMSprop extends Optimizer<RMSpropGroup> {
  constructor(params: ParamsOrGroups<RMSpropOptions>, options?: RMSpropOptions) {
    super('RMSprop', 'rmsprop', params, options, RMSPROP_OPTIONS, rmspropGroup);
  }

  protected stateNames(o: RMSpropGroup): readonly string[] {
    const names = ['square_avg'];
    if (o.momentum > 0) names.push('momentum_buffer');
    if (o.centered) names.push('grad_avg');
    return names;
  }

  protected hyperOf(o: RMSpropGroup): Hyper {
    return { alpha: o.alpha, eps: o.eps, momentum: o.momentum, centered: o.centered, weightDecay: o.weightDecay, maximize: o.maximize };
  }
}

export interface AdagradOptions {
  /** Default 1e-2. */
  lr?: number;
  /** lr / (1 + (t-1) * lrDecay) at step t (0). */
  lrDecay?: number;
  weightDecay?: number;
  /** The accumulator's starting value (0); the constructor's only, for every group (as torch uses it). */
  initialAccumulatorValue?: number;
  /** Default 1e-10. */
  eps?: number;
  maximize?: boolean;
}

/** A group's Adagrad hyperparameters, every option set. */
export type AdagradGroup = Required<AdagradOptions>;

const ADAGRAD_OPTIONS = ['lr', 'lrDecay', 'weightDecay', 'initialAccumulatorValue', 'eps', 'maximize'] as const;

function adagradGroup(op: string, arg: ArgOf, o: Given): AdagradGroup {
  const initial = arg('initialAccumulatorValue');
  if (initial.startsWith('params[')) {
    // torch fills every accumulator at construction from the constructor's value, whatever a group says.
    throw new ArgumentError(`${op}: ${initial} cannot be set per group (as in torch, it is the constructor's, for every group); pass it in options`);
  }
  return {
    lr: checkLr(op, arg('lr'), o.lr ?? 1e-2),
    lrDecay: checkRange(op, arg('lrDecay'), o.lrDecay ?? 0, 0),
    weightDecay: checkRange(op, arg('weightDecay'), o.weightDecay ?? 0, 0),
    initialAccumulatorValue: checkRange(op, arg('initialAccumulatorValue'), o.initialAccumulatorValue ?? 0, 0),
    eps: checkRange(op, arg('eps'), o.eps ?? 1e-10, 0),
    maximize: checkBoolean(op, arg('maximize'), o.maximize ?? false),
  };
}

/** Adagrad, as torch.optim.Adagrad: g += wd*p; sum += g²; p -= lr/(1+(t-1)*lrDecay) * g/(sqrt(sum)+eps). */
export class Adagrad extends Optimizer<AdagradGroup> {
  constructor(params: ParamsOrGroups<AdagradOptions>, options?: AdagradOptions) {
    super('Adagrad', 'adagrad', params, options, ADAGRAD_OPTIONS, adagradGroup);
  }

  protected stateNames(): readonly string[] {
    return ['sum'];
  }

  protected hyperOf(o: AdagradGroup): Hyper {
    return { lrDecay: o.lrDecay, weightDecay: o.weightDecay, eps: o.eps, maximize: o.maximize };
  }

  /** The accumulator starts at the group's initialAccumulatorValue. */
  protected override initialValue(name: string, o: AdagradGroup): number {
    return name === 'sum' ? o.initialAccumulatorValue : 0;
  }
}
