// nn.Module: the base of every layer. Parameters and child modules are registered by name;
// namedParameters() walks them with dotted names (encoder.weight_ih_l0), stateDict() and
// loadStateDict() use the same names, so state dicts move to and from PyTorch unchanged.

import { noGrad } from '../autograd.js';
import { checkDevice } from '../device.js';
import { describe, type Device } from '../dtype.js';
import { ArgumentError, CheckpointError, DTypeError, ShapeError } from '../errors.js';
import { callNative, handle } from '../ops/call.js';
import { tensor } from '../ops/creation.js';
import { copyHandle, copyTo } from '../ops/device.js';
import { untracked } from '../scope.js';
import { Tensor } from '../tensor.js';

export type Parameter = Tensor<'float32'>;

export interface LoadStateDictOptions {
  /** Require exactly the model's names (default true); false ignores missing and unexpected ones. */
  strict?: boolean;
}

/** Copies src (any device) into the existing tensor dst, in stream order. */
export function copyInto(op: string, dst: Tensor, src: Tensor): void {
  const to = handle(op, 'destination', dst);
  const from = src.device === dst.device ? src : copyTo(op, src, dst.device);
  try {
    const h = handle(op, 'source', from);
    callNative((n) => n.assign(to, h));
  } finally {
    if (from !== src) from.dispose();
  }
}

/** Disposes a parameter's gradient (it lives on the device the parameter leaves). */
export function dropGrad(p: Parameter): void {
  p.grad?.dispose();
  p.grad = null;
}

/**
 * Runs fn with `module` in evaluation mode (no dropout) and without the autograd tape, so
 * recurrent layers take their inference kernels; restores the module's mode after.
 */
export function inference<T>(module: Module, fn: () => T): T {
  const wasTraining = module.training;
  module.eval();
  try {
    return noGrad(fn);
  } finally {
    module.train(wasTraining);
  }
}

export class Module {
  /** Training mode (dropout active); eval() turns it off. */
  training = true;
  readonly #params = new Map<string, Parameter>();
  readonly #children = new Map<string, Module>();

  protected registerParameter(name: string, param: Parameter): Parameter {
    this.#params.set(name, param);
    return param;
  }

  /** Registers a new leaf parameter holding `values` on the default device; it belongs to no tidy() scope. */
  protected newParameter(name: string, shape: readonly number[], values: Float32Array): Parameter {
    const param = untracked(() => tensor(values, { shape, requiresGrad: true }));
    return this.registerParameter(name, param);
  }

  protected registerModule<M extends Module>(name: string, module: M): M {
    this.#children.set(name, module);
    return module;
  }

  /** [name, parameter] pairs, this module's own first, then each child's under `child.` names. */
  namedParameters(prefix = ''): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    for (const [name, p] of this.#params) out.push([prefix + name, p]);
    for (const [name, child] of this.#children) out.push(...child.namedParameters(`${prefix}${name}.`));
    return out;
  }

  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** This module and every module below it, depth first. */
  modules(): Module[] {
    return [this, ...[...this.#children.values()].flatMap((child) => child.modules())];
  }

  /** name → the live parameter tensor (shared, not a copy: do not dispose its entries). */
  stateDict(): Record<string, Parameter> {
    return Object.fromEntries(this.namedParameters());
  }

  /**
   * Copies tensors into the parameters of the same names, from any device to the parameter's.
   * Checks every name, shape and dtype before copying anything, so a failed load leaves the model
   * as it was.
   */
  loadStateDict(state: Record<string, Tensor>, options: LoadStateDictOptions = {}): void {
    if (typeof state !== 'object' || state === null) {
      throw new ArgumentError(`loadStateDict: state must be an object of name → tensor, got ${describe(state)}`);
    }
    const strict = options.strict ?? true;
    const params = new Map(this.namedParameters());
    const given = Object.keys(state);
    if (strict) {
      const missing = [...params.keys()].filter((name) => !(name in state));
      const unexpected = given.filter((name) => !params.has(name));
      if (missing.length > 0 || unexpected.length > 0) {
        const parts = [];
        if (missing.length > 0) parts.push(`missing ${missing.join(', ')}`);
        if (unexpected.length > 0) parts.push(`unexpected ${unexpected.join(', ')}`);
        throw new CheckpointError(`loadStateDict: the state does not fit the model: ${parts.join('; ')}`);
      }
    }
    const pairs: [Parameter, Tensor][] = [];
    for (const name of given) {
      const param = params.get(name);
      if (param === undefined) continue;
      const src = state[name];
      if (!(src instanceof Tensor)) throw new ArgumentError(`loadStateDict: state['${name}'] must be a Tensor, got ${describe(src)}`);
      if (src.dtype !== param.dtype) {
        throw new DTypeError(`loadStateDict: state['${name}'] is ${src.dtype}, the parameter is ${param.dtype}`);
      }
      if (src.shape.join() !== param.shape.join()) {
        throw new ShapeError(
          `loadStateDict: state['${name}'] has shape [${src.shape.join(', ')}], the parameter has [${param.shape.join(', ')}]`,
        );
      }
      handle('loadStateDict', `state['${name}']`, src);
      pairs.push([param, src]);
    }
    for (const [param, src] of pairs) copyInto('loadStateDict', param, src);
  }

  /**
   * Moves every parameter to `device` ('cpu', 'cuda', 'cuda:N') in place and returns this module.
   * Parameters keep their identity (layers, tied weights and optimizers holding them stay valid)
   * and are copied by name into the target's layout; gradients are dropped. Optimizer state
   * follows at the next step. Parameters already on `device` are left as they are.
   */
  to(device: Device): this {
    const target = checkDevice('Module.to', 'device', device);
    for (const module of this.modules()) module.moveParameters(target);
    return this;
  }

  /** Moves this module's own parameters (not its children's) to `device`; layers with a shared buffer override it. */
  protected moveParameters(device: Device): void {
    for (const p of this.#params.values()) {
      if (p.device === device) continue;
      const moved = copyHandle('Module.to', p, device);
      dropGrad(p);
      p.rebind(moved);
    }
  }

  /**
   * Freezes every parameter of this module and its children (requiresGrad = false, torch's
   * requires_grad_(False)): backward() computes no gradient into them, optimizers skip them (their
   * state waits for their next real step), and clipGradNorm ignores them. A layer whose parameters
   * are all frozen records nothing on the tape when its input needs no gradient either, so its
   * backward work is skipped. Gradients already computed are left as they are. Returns this.
   */
  freeze(): this {
    return this.#setRequiresGrad(false);
  }

  /** Undoes freeze(): every parameter requires grad again, so the next steps train it. Returns this. */
  unfreeze(): this {
    return this.#setRequiresGrad(true);
  }

  #setRequiresGrad(value: boolean): this {
    for (const p of this.parameters()) p.requiresGrad = value;
    return this;
  }

  /** Sets training mode on this module and every child. */
  train(mode = true): this {
    this.training = mode;
    for (const child of this.#children.values()) child.train(mode);
    return this;
  }

  /** Evaluation mode: train(false). */
  eval(): this {
    return this.train(false);
  }
}
