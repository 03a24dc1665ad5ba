/// <reference lib="esnext.disposable" preserve="true" />
// (The reference: see lib/tensor.ts.)

// The Optimizer base: one small class per algorithm on top (optimizers.ts), as torch.optim and
// tinygrad's nn/optim.py do. Parameters come in groups (param-groups.ts), each with its own
// hyperparameters. step() updates every parameter that has a gradient with one fused native call
// per group (one stream task each), in place: parameters that are views into a shared buffer (an
// RNN's flat weights) update that buffer; frozen ones are skipped. State tensors are created lazily on a parameter's first
// step, on the parameter's device (they follow it when the model moves), and belong to the
// optimizer (no tidy() scope frees them; dispose() does).

import { checkOptions } from '../args.js';
import type { OptimizerHyper, OptimizerKind } from '../binding.js';
import { describe } from '../dtype.js';
import { ArgumentError, CheckpointError, DisposedError, ShapeError } from '../errors.js';
import { callNative, checkSameDevice, handle } from '../ops/call.js';
import { full, tensor } from '../ops/creation.js';
import { copyTo } from '../ops/device.js';
import { range } from '../profile.js';
import type { Parameter } from '../nn/module.js';
import { untracked } from '../scope.js';
import { Tensor } from '../tensor.js';
import { parseGroups, type GroupOptions, type ParamGroup, type ParamGroupState, type ResolveOptions } from './param-groups.js';

/** The hyperparameters a subclass passes to the native step, all but lr. */
export type Hyper = Omit<OptimizerHyper, 'lr'>;

/** Checks that lr is a finite number >= 0. */
export function checkLr(op: string, arg: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ArgumentError(`${op}: ${arg} must be a finite number >= 0, got ${describe(value)}`);
  }
  return value;
}

/** A finite number >= min (and < max when given, for betas). */
export function checkRange(op: string, arg: string, value: unknown, min: number, max = Infinity): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value >= max) {
    const range = max === Infinity ? `>= ${min}` : `in [${min}, ${max})`;
    throw new ArgumentError(`${op}: ${arg} must be a finite number ${range}, got ${describe(value)}`);
  }
  return value;
}

/** The options object with only known keys (ArgumentError naming an unknown one). */
export function optionsOf<K extends string>(op: string, options: unknown, known: readonly K[]): Partial<Record<K, unknown>> {
  return checkOptions(op, options, known);
}

const STATE_KEY = /^(\d+)\.([a-z_]+)$/;

/** An optimizer's state: torch.optim's state_dict() with rnnkit's names. */
export interface OptimizerStateDict {
  /**
   * For each parameter i that has stepped, `<i>.<name>` for each state tensor (torch's names:
   * exp_avg, exp_avg_sq, momentum_buffer, square_avg, grad_avg, sum) and `<i>.step` (int32, []).
   */
  state: Record<string, Tensor>;
  /** Each group's hyperparameters (lr included) and the indices of its parameters. */
  paramGroups: ParamGroupState[];
}

/** A group's parameters, their indices in optimizer.params, and its hyperparameters (replaced here only). */
interface Group<O extends GroupOptions> {
  readonly params: readonly Parameter[];
  readonly indices: readonly number[];
  options: O;
}

export abstract class Optimizer<O extends GroupOptions = GroupOptions> {
  /** Every group's parameters, in order (state dict entries use these indices). */
  readonly params: readonly Parameter[];
  /** The parameter groups, with live hyperparameters (torch's param_groups). */
  readonly paramGroups: readonly ParamGroup<O>[];
  /** 'SGD', 'Adam', ...: error messages start with it. */
  protected readonly name: string;
  readonly #kind: OptimizerKind;
  readonly #known: readonly string[];
  readonly #resolve: ResolveOptions<O>;
  readonly #groups: Group<O>[];
  /** Per parameter: its group. */
  readonly #groupOf: number[] = [];
  /** Per parameter: its state tensors (stateNames order), or null before its first step. */
  readonly #state: (Tensor<'float32'>[] | null)[];
  /** Per parameter: steps taken (torch counts per parameter: one without a gradient does not step). */
  readonly #steps: number[];
  #disposed = false;

  /**
   * `params`: parameters (one group) or { params, ...options } groups; `defaults`: the options of
   * every group that does not set its own; `known`: the option names; `resolve`: checks a group's
   * merged options and fills in the defaults of the algorithm.
   */
  protected constructor(name: string, kind: OptimizerKind, params: unknown, defaults: unknown, known: readonly string[], resolve: ResolveOptions<O>) {
    this.name = name;
    this.#kind = kind;
    this.#known = known;
    this.#resolve = resolve;
    const base = checkOptions(name, defaults, known) as Record<string, unknown>;
    const parsed = parseGroups(name, params, base, known);
    const all: Parameter[] = [];
    this.#groups = parsed.map((g, gi) => {
      const indices = g.params.map((p) => {
        this.#groupOf.push(gi);
        return all.push(p) - 1;
      });
      return { params: Object.freeze([...g.params]), indices, options: resolve(name, g.arg, g.options) };
    });
    this.params = Object.freeze(all);
    this.paramGroups = Object.freeze(this.#groups.map((g, gi) => this.#viewOf(g, gi)));
    this.#state = this.params.map(() => null);
    this.#steps = this.params.map(() => 0);
  }

  /** paramGroups[g]: params, lr with a checked setter, the other hyperparameters read-only. */
  #viewOf(group: Group<O>, g: number): ParamGroup<O> {
    const view = { params: group.params } as { params: readonly Parameter[] };
    for (const key of this.#known.filter((k) => k !== 'lr')) {
      Object.defineProperty(view, key, {
        enumerable: true,
        get: () => group.options[key],
        set: () => {
          // The state a parameter keeps depends on them (momentum buffers, ...): only lr changes in flight.
          throw new ArgumentError(`${this.name}.paramGroups[${g}].${key} is read-only (only lr changes during training); make a new optimizer for other values`);
        },
      });
    }
    Object.defineProperty(view, 'lr', {
      enumerable: true,
      get: () => group.options.lr,
      set: (value: unknown) => {
        group.options = { ...group.options, lr: checkLr(`${this.name}.paramGroups[${g}].lr`, 'lr', value) };
      },
    });
    return Object.freeze(view) as ParamGroup<O>;
  }

  /** Names of the state tensors a parameter of a group with these options keeps (torch's names), in the native order. */
  protected abstract stateNames(options: O): readonly string[];

  /** The native step's hyperparameters for a group with these options, all but lr. */
  protected abstract hyperOf(options: O): Hyper;

  /** The value a state tensor starts with (0; Adagrad's sum: initialAccumulatorValue). */
  protected initialValue(_name: string, _options: O): number {
    return 0;
  }

  /**
   * The learning rate of the first group. Setting it sets every group's lr to the value (use
   * paramGroups[g].lr for one group).
   */
  get lr(): number {
    return this.#groups[0]!.options.lr;
  }

  set lr(value: number) {
    const lr = checkLr(`${this.name}.lr`, 'lr', value);
    for (const g of this.#groups) g.options = { ...g.options, lr };
  }

  #checkLive(op: string): void {
    if (this.#disposed) throw new DisposedError(`${this.name}.${op}: the optimizer was disposed`);
  }

  /**
   * Updates every parameter that has a grad and requires grad, in place: one native call per
   * group. Parameters without a gradient and frozen ones (requiresGrad false, even with a stale
   * grad) are skipped: their step counts do not advance and their state is created at their first
   * real step, as torch does. Queued: returns at once.
   */
  step(): void {
    range(`${this.#kind}.step`, () => this.#step());
  }

  #step(): void {
    const op = `${this.name}.step`;
    this.#checkLive('step');
    const idx: number[] = [];
    this.params.forEach((p, i) => {
      if (p.grad !== null && p.requiresGrad) idx.push(i);
    });
    if (idx.length === 0) return;
    // Everything is checked before the first group steps, so a bad gradient changes nothing.
    for (const i of idx) {
      const p = this.params[i]!;
      handle(op, `params[${i}]`, p);
      handle(op, `params[${i}].grad`, p.grad);
      checkSameDevice(op, [[`params[${i}]`, p], [`params[${i}].grad`, p.grad]]);
      if (p.grad!.shape.join() !== p.shape.join()) {
        throw new ShapeError(`${op}: params[${i}].grad has shape [${p.grad!.shape.join(', ')}], the parameter [${p.shape.join(', ')}]`);
      }
    }
    checkSameDevice(op, idx.map((i) => [`params[${i}]`, this.params[i]!] as const));
    for (const i of idx) this.#prepareState(op, i);
    this.#groups.forEach((group, g) => {
      const mine = idx.filter((i) => this.#groupOf[i] === g);
      if (mine.length === 0) return;
      const names = this.stateNames(group.options);
      const params = mine.map((i) => handle(op, `params[${i}]`, this.params[i]));
      const grads = mine.map((i) => handle(op, `params[${i}].grad`, this.params[i]!.grad));
      const states = mine.map((i) => this.#state[i]!.map((t, k) => handle(op, `state ${names[k]} of params[${i}]`, t)));
      const steps = mine.map((i) => this.#steps[i]! + 1);
      callNative((n) => n.optimizerStep(this.#kind, params, grads, states, { ...this.hyperOf(group.options), lr: group.options.lr }, steps));
      for (const i of mine) this.#steps[i]!++;
    });
  }

  /** Creates parameter i's state at its first step, or moves it to the parameter's device. */
  #prepareState(op: string, i: number): void {
    const p = this.params[i]!;
    const options = this.#groups[this.#groupOf[i]!]!.options;
    const state = this.#state[i] ?? null;
    if (state === null) {
      this.#state[i] = untracked(() => this.stateNames(options).map((n) => full(p.shape, this.initialValue(n, options), { device: p.device })));
    } else if (state.some((t) => t.device !== p.device)) {
      // The model moved (Module.to) since the last step: the state follows its parameter.
      this.#state[i] = untracked(() => state.map((t) => copyTo(op, t, p.device)));
      state.forEach((t) => t.dispose());
    }
  }

  /** Disposes every parameter's gradient and sets it to null (PyTorch's set_to_none). */
  zeroGrad(): void {
    for (const p of this.params) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /**
   * The optimizer's state (see OptimizerStateDict): fresh copies of the state tensors that the
   * caller owns (dispose them, or call this inside tidy()), and every group's hyperparameters.
   */
  stateDict(): OptimizerStateDict {
    this.#checkLive('stateDict');
    const state: Record<string, Tensor> = {};
    this.#state.forEach((tensors, i) => {
      if (tensors === null) return;
      const names = this.stateNames(this.#groups[this.#groupOf[i]!]!.options);
      tensors.forEach((t, k) => {
        const h = handle(`${this.name}.stateDict`, 'state', t);
        state[`${i}.${names[k]}`] = new Tensor<'float32'>(callNative((n) => n.contiguous(h)));
      });
      state[`${i}.step`] = tensor(Int32Array.of(this.#steps[i]!), { shape: [] });
    });
    return { state, paramGroups: this.#groupStates() };
  }

  /** Each group's hyperparameters and parameter indices, as stateDict() reports them. */
  #groupStates(): ParamGroupState[] {
    return this.#groups.map((g) => {
      const options = Object.fromEntries(Object.entries(g.options).map(([k, v]) => [k, Array.isArray(v) ? [...v] : v]));
      return { ...options, params: [...g.indices] } as ParamGroupState;
    });
  }

  /**
   * A state written before parameter groups existed (rnnkit 0.1 checkpoints: a flat dict of
   * `state.<i>.<name>` tensors) as { state, paramGroups }, for an optimizer with one group (the
   * only layout such a file can describe); anything else is returned as it is.
   */
  #upgraded(state: unknown): unknown {
    if (typeof state !== 'object' || state === null || 'paramGroups' in state || this.#groups.length !== 1) return state;
    const entries = Object.entries(state);
    if (!entries.every(([key, value]) => key.startsWith('state.') && value instanceof Tensor)) return state;
    return { state: Object.fromEntries(entries.map(([key, value]) => [key.slice('state.'.length), value])), paramGroups: this.#groupStates() };
  }

  /**
   * Replaces the state and every group's hyperparameters with those of `state` (as stateDict()
   * returns it), copying the tensors. The groups must hold the same parameter indices as this
   * optimizer's (else a CheckpointError that says what differs). Checks every group, name, dtype
   * and shape first (CheckpointError), so a failed load leaves the optimizer as it was. A
   * parameter with no entries starts fresh.
   */
  loadStateDict(state: OptimizerStateDict): void {
    const op = `${this.name}.loadStateDict`;
    this.#checkLive('loadStateDict');
    const given = this.#upgraded(state) as Partial<OptimizerStateDict> | null;
    if (typeof given !== 'object' || given === null || typeof given.state !== 'object' || given.state === null || !Array.isArray(given.paramGroups)) {
      throw new CheckpointError(`${op}: state must be { state, paramGroups } as stateDict() returns it, got ${describe(state)}`);
    }
    const options = this.#checkGroups(op, given.paramGroups);
    const byParam = new Map<number, Map<string, Tensor>>();
    for (const [key, value] of Object.entries(given.state)) {
      const m = STATE_KEY.exec(key);
      const i = m ? Number(m[1]) : -1;
      const name = m ? m[2]! : '';
      const names = i >= 0 && i < this.params.length ? this.stateNames(options[this.#groupOf[i]!]!) : [];
      if (!m || i >= this.params.length || (name !== 'step' && !names.includes(name))) {
        const expected = i >= 0 && i < this.params.length ? [...names, 'step'].join(', ') : `a state name`;
        throw new CheckpointError(`${op}: unexpected entry '${key}' (expected <i>.<name> with i < ${this.params.length} and name one of ${expected})`);
      }
      if (!(value instanceof Tensor)) throw new CheckpointError(`${op}: '${key}' must be a Tensor, got ${describe(value)}`);
      if (value.disposed) throw new CheckpointError(`${op}: '${key}' is a disposed tensor`);
      const p = this.params[i]!;
      if (name === 'step') {
        if (value.shape.length !== 0 && !(value.shape.length === 1 && value.shape[0] === 1)) {
          throw new CheckpointError(`${op}: '${key}' must hold one number, got shape [${value.shape.join(', ')}]`);
        }
      } else {
        if (value.dtype !== 'float32') throw new CheckpointError(`${op}: '${key}' must be float32, got ${value.dtype}`);
        if (value.shape.join() !== p.shape.join()) {
          throw new CheckpointError(`${op}: '${key}' has shape [${value.shape.join(', ')}], params[${i}] has [${p.shape.join(', ')}]`);
        }
      }
      const entries = byParam.get(i) ?? new Map<string, Tensor>();
      entries.set(name, value);
      byParam.set(i, entries);
    }
    const steps = new Map<number, number>();
    for (const [i, entries] of byParam) {
      const names = this.stateNames(options[this.#groupOf[i]!]!);
      const missing = [...names, 'step'].filter((n) => !entries.has(n));
      if (missing.length > 0) {
        throw new CheckpointError(`${op}: the state of params[${i}] lacks ${missing.map((n) => `${i}.${n}`).join(', ')}`);
      }
      const step = entries.get('step')!.dataSync()[0]!;
      if (!Number.isSafeInteger(step) || step < 1) {
        throw new CheckpointError(`${op}: ${i}.step must be an integer >= 1, got ${step}`);
      }
      steps.set(i, step);
    }
    // Everything checked: swap the hyperparameters and the state.
    this.#groups.forEach((g, k) => (g.options = options[k]!));
    for (let i = 0; i < this.params.length; i++) {
      this.#state[i]?.forEach((t) => t.dispose());
      this.#state[i] = null;
      this.#steps[i] = 0;
      const entries = byParam.get(i);
      if (entries === undefined) continue;
      const p = this.params[i]!;
      const names = this.stateNames(options[this.#groupOf[i]!]!);
      this.#state[i] = untracked(() => names.map((n) => copyTo(op, entries.get(n) as Tensor<'float32'>, p.device)));
      this.#steps[i] = steps.get(i)!;
    }
  }

  /** The checked options of each saved group, which must hold this optimizer's parameter indices. */
  #checkGroups(op: string, saved: readonly unknown[]): O[] {
    if (saved.length !== this.#groups.length) {
      throw new CheckpointError(`${op}: the state has ${saved.length} parameter group(s), this optimizer ${this.#groups.length}`);
    }
    return this.#groups.map((group, g) => {
      const s = saved[g] as Record<string, unknown> | null;
      if (typeof s !== 'object' || s === null) throw new CheckpointError(`${op}: paramGroups[${g}] must be an object, got ${describe(s)}`);
      const indices = s.params;
      if (!Array.isArray(indices) || indices.length !== group.indices.length || indices.some((v, k) => v !== group.indices[k])) {
        throw new CheckpointError(
          `${op}: paramGroups[${g}] holds parameters [${Array.isArray(indices) ? indices.map((v) => describe(v)).join(', ') : describe(indices)}] in the state, [${group.indices.join(', ')}] in this optimizer`,
        );
      }
      const keys = Object.keys(s).filter((k) => k !== 'params');
      const missing = this.#known.filter((k) => !keys.includes(k));
      const unexpected = keys.filter((k) => !this.#known.includes(k));
      if (missing.length > 0 || unexpected.length > 0) {
        const parts = [...(missing.length > 0 ? [`lacks ${missing.join(', ')}`] : []), ...(unexpected.length > 0 ? [`has unknown ${unexpected.join(', ')}`] : [])];
        throw new CheckpointError(`${op}: paramGroups[${g}] ${parts.join(' and ')} (a ${this.name} group has params, ${this.#known.join(', ')})`);
      }
      try {
        return this.#resolve(op, (k) => `paramGroups[${g}].${k}`, s);
      } catch (err) {
        throw new CheckpointError(err instanceof Error ? err.message : String(err), { cause: err });
      }
    });
  }

  /** Frees the state tensors; the optimizer cannot be used afterwards. Idempotent. */
  dispose(): void {
    for (const s of this.#state) s?.forEach((t) => t.dispose());
    this.#state.fill(null);
    this.#disposed = true;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Steps taken by parameter i (0 before its first). */
  stepCount(i: number): number {
    const n = this.#steps[i];
    if (n === undefined) throw new ArgumentError(`${this.name}.stepCount: i must be in 0..${this.params.length - 1}, got ${describe(i)}`);
    return n;
  }
}
