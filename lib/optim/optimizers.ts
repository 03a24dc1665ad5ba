// The five optimizers, each a thin class over Optimizer: options with PyTorch's defaults and
// meaning (camelCase names), checked at construction; the update itself is native (fused, in
// place) and follows torch.optim's formulas operation by operation.

import { checkBoolean } from '../args.js';
import { describe } from '../dtype.js';
import { ArgumentError } from '../errors.js';
import type { Parameter } from '../nn/module.js';
import { checkLr, checkRange, Optimizer, optionsOf } from './optimizer.js';

/** What an optimizer takes as its parameters: an array or any iterable of float32 tensors with requiresGrad. */
export type Params = Iterable<Parameter>;

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

/**
 * Stochastic gradient descent, as torch.optim.SGD: g += wd*p; buf = momentum*buf + (1-dampening)*g
 * (buf = g on the first step); g = nesterov ? g + momentum*buf : buf; p -= lr*g.
 */
export class SGD extends Optimizer {
  constructor(params: Params, options: SGDOptions) {
    const op = 'SGD';
    if (options === undefined) throw new ArgumentError(`${op}: options with lr are required`);
    const o = optionsOf(op, options, ['lr', 'momentum', 'dampening', 'nesterov', 'weightDecay', 'maximize'] as const);
    const lr = checkLr(op, 'options.lr', o.lr);
    const momentum = checkRange(op, 'options.momentum', o.momentum ?? 0, 0);
    const dampening = checkRange(op, 'options.dampening', o.dampening ?? 0, -Infinity);
    const nesterov = checkBoolean(op, 'options.nesterov', o.nesterov ?? false);
    if (nesterov && (momentum <= 0 || dampening !== 0)) {
      throw new ArgumentError(`${op}: options.nesterov needs momentum > 0 and dampening 0, got momentum ${momentum} and dampening ${dampening}`);
    }
    super(op, 'sgd', params, lr, {
      momentum,
      dampening,
      nesterov,
      weightDecay: checkRange(op, 'options.weightDecay', o.weightDecay ?? 0, 0),
      maximize: checkBoolean(op, 'options.maximize', o.maximize ?? false),
    });
  }

  protected stateNames(): readonly string[] {
    return this.hyper.momentum !== 0 ? ['momentum_buffer'] : [];
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

function checkBetas(op: string, value: unknown): [number, number] {
  if (!Array.isArray(value) || value.length !== 2) {
    throw new ArgumentError(`${op}: options.betas must be [beta1, beta2], got ${describe(value)}`);
  }
  return [checkRange(op, 'options.betas[0]', value[0], 0, 1), checkRange(op, 'options.betas[1]', value[1], 0, 1)];
}

const ADAM_OPTIONS = ['lr', 'betas', 'eps', 'weightDecay', 'maximize'] as const;

function adamHyper(op: string, options: AdamOptions | undefined, defaultWeightDecay: number) {
  const o = optionsOf(op, options, ADAM_OPTIONS);
  const [beta1, beta2] = checkBetas(op, o.betas ?? [0.9, 0.999]);
  return {
    lr: checkLr(op, 'options.lr', o.lr ?? 1e-3),
    hyper: {
      beta1,
      beta2,
      eps: checkRange(op, 'options.eps', o.eps ?? 1e-8, 0),
      weightDecay: checkRange(op, 'options.weightDecay', o.weightDecay ?? defaultWeightDecay, 0),
      maximize: checkBoolean(op, 'options.maximize', o.maximize ?? false),
    },
  };
}

/**
 * Adam, as torch.optim.Adam: g += wd*p; m = lerp(m, g, 1-b1); v = b2*v + (1-b2)*g²;
 * p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps), t counting this parameter's steps.
 */
export class Adam extends Optimizer {
  constructor(params: Params, options?: AdamOptions) {
    const { lr, hyper } = adamHyper('Adam', options, 0);
    super('Adam', 'adam', params, lr, hyper);
  }

  protected stateNames(): readonly string[] {
    return ['exp_avg', 'exp_avg_sq'];
  }
}

/** AdamW, as torch.optim.AdamW: Adam with decoupled weight decay p *= 1 - lr*wd (default wd 1e-2). */
export class AdamW extends Optimizer {
  constructor(params: Params, options?: AdamOptions) {
    const { lr, hyper } = adamHyper('AdamW', options, 1e-2);
    super('AdamW', 'adamw', params, lr, hyper);
  }

  protected stateNames(): readonly string[] {
    return ['exp_avg', 'exp_avg_sq'];
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

/**
 * RMSprop, as torch.optim.RMSprop: g += wd*p; sq = alpha*sq + (1-alpha)*g²; avg = sqrt(sq)
 * (centered: sqrt(sq - ga²), ga = lerp(ga, g, 1-alpha)) + eps; with momentum buf = m*buf + g/avg,
 * p -= lr*buf; else p -= lr*g/avg.
 */
export class RMSprop extends Optimizer {
  constructor(params: Params, options?: RMSpropOptions) {
    const op = 'RMSprop';
    const o = optionsOf(op, options, ['lr', 'alpha', 'eps', 'momentum', 'centered', 'weightDecay', 'maximize'] as const);
    super(op, 'rmsprop', params, checkLr(op, 'options.lr', o.lr ?? 1e-2), {
      alpha: checkRange(op, 'options.alpha', o.alpha ?? 0.99, 0),
      eps: checkRange(op, 'options.eps', o.eps ?? 1e-8, 0),
      momentum: checkRange(op, 'options.momentum', o.momentum ?? 0, 0),
      centered: checkBoolean(op, 'options.centered', o.centered ?? false),
      weightDecay: checkRange(op, 'options.weightDecay', o.weightDecay ?? 0, 0),
      maximize: checkBoolean(op, 'options.maximize', o.maximize ?? false),
    });
  }

  protected stateNames(): readonly string[] {
    const names = ['square_avg'];
    if ((this.hyper.momentum ?? 0) > 0) names.push('momentum_buffer');
    if (this.hyper.centered) names.push('grad_avg');
    return names;
  }
}

export interface AdagradOptions {
  /** Default 1e-2. */
  lr?: number;
  /** lr / (1 + (t-1) * lrDecay) at step t (0). */
  lrDecay?: number;
  weightDecay?: number;
  /** The accumulator's starting value (0). */
  initialAccumulatorValue?: number;
  /** Default 1e-10. */
  eps?: number;
  maximize?: boolean;
}

/** Adagrad, as torch.optim.Adagrad: g += wd*p; sum += g²; p -= lr/(1+(t-1)*lrDecay) * g/(sqrt(sum)+eps). */
export class Adagrad extends Optimizer {
  readonly #initialAccumulatorValue: number;

  constructor(params: Params, options?: AdagradOptions) {
    const op = 'Adagrad';
    const o = optionsOf(op, options, ['lr', 'lrDecay', 'weightDecay', 'initialAccumulatorValue', 'eps', 'maximize'] as const);
    const initial = checkRange(op, 'options.initialAccumulatorValue', o.initialAccumulatorValue ?? 0, 0);
    super(op, 'adagrad', params, checkLr(op, 'options.lr', o.lr ?? 1e-2), {
      lrDecay: checkRange(op, 'options.lrDecay', o.lrDecay ?? 0, 0),
      weightDecay: checkRange(op, 'options.weightDecay', o.weightDecay ?? 0, 0),
      eps: checkRange(op, 'options.eps', o.eps ?? 1e-10, 0),
      maximize: checkBoolean(op, 'options.maximize', o.maximize ?? false),
    });
    this.#initialAccumulatorValue = initial;
  }

  protected stateNames(): readonly string[] {
    return ['sum'];
  }

  protected override initialValue(name: string): number {
    return name === 'sum' ? this.#initialAccumulatorValue : 0;
  }
}
