// The Optimizer base: one small class per algorithm on top (optimizers.ts), as torch.optim and
// tinygrad's nn/optim.py do. step() updates every parameter that has a gradient with one fused
// native call (one stream task), in place: parameters that are views into a shared buffer (an
// RNN's flat weights) update that buffer. State tensors are created lazily on a parameter's first
// step, on the parameter's device (they follow it when the model moves), and belong to the
// optimizer (no tidy() scope frees them; dispose() does).

import { checkOptions } from '../args.js';
import type { NativeTensor, OptimizerHyper, OptimizerKind } from '../binding.js';
import { describe } from '../dtype.js';
import { ArgumentError, CheckpointError, DisposedError, DTypeError } from '../errors.js';
import { callNative, checkSameDevice, handle } from '../ops/call.js';
import { full, tensor } from '../ops/creation.js';
import { copyTo } from '../ops/device.js';
import { range } from '../profile.js';
import type { Parameter } from '../nn/module.js';
import { untracked } from '../scope.js';
import { Tensor } from '../tensor.js';

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

function collectParams(op: string, params: unknown): Parameter[] {
  if (
    params instanceof Tensor ||
    ArrayBuffer.isView(params) ||
    typeof params !== 'object' ||
    params === null ||
    !(Symbol.iterator in params)
  ) {
    throw new ArgumentError(`${op}: params must be an array (or iterable) of parameter tensors, got ${describe(params)}`);
  }
  const list = [...(params as Iterable<unknown>)];
  if (list.length === 0) throw new ArgumentError(`${op}: params is empty; an optimizer needs at least one parameter`);
  const seen = new Set<Tensor>();
  return list.map((p, i) => {
    if (!(p instanceof Tensor)) throw new ArgumentError(`${op}: params[${i}] must be a Tensor, got ${describe(p)}`);
    if (p.disposed) throw new DisposedError(`${op}: params[${i}] is a disposed tensor`);
    if (p.dtype !== 'float32') throw new DTypeError(`${op}: params[${i}] must be float32, got ${p.dtype}`);
    if (!p.requiresGrad) {
      throw new ArgumentError(`${op}: params[${i}] (shape [${p.shape.join(', ')}]) does not require grad; set requiresGrad = true or leave it out`);
    }
    if (seen.has(p)) throw new ArgumentError(`${op}: params[${i}] appears more than once`);
    seen.add(p);
    return p as Parameter;
  });
}

const STATE_KEY = /^state\.(\d+)\.([a-z_]+)$/;

export abstract class Optimizer {
  /** The parameters, in the order given (state dict entries use these indices). */
  readonly params: readonly Parameter[];
  /** 'SGD', 'Adam', ...: error messages start with it. */
  protected readonly name: string;
  readonly #kind: OptimizerKind;
  readonly #hyper: Hyper;
  #lr: number;
  /** Per parameter: its state tensors (stateNames order), or null before its first step. */
  readonly #state: (Tensor<'float32'>[] | null)[];
  /** Per parameter: steps taken (torch counts per parameter: one without a gradient does not step). */
  readonly #steps: number[];
  #disposed = false;

  protected constructor(name: string, kind: OptimizerKind, params: unknown, lr: number, hyper: Hyper) {
    this.name = name;
    this.#kind = kind;
    this.params = Object.freeze(collectParams(name, params));
    this.#lr = lr;
    this.#hyper = Object.freeze({ ...hyper });
    this.#state = this.params.map(() => null);
    this.#steps = this.params.map(() => 0);
  }

  /** Names of the state tensors each parameter keeps (torch's names), in the native order. */
  protected abstract stateNames(): readonly string[];

  /** The value a state tensor starts with (0; Adagrad's sum: initialAccumulatorValue). */
  protected initialValue(_name: string): number {
    return 0;
  }

  /** The learning rate of the next step; schedules set it. */
  get lr(): number {
    return this.#lr;
  }

  set lr(value: number) {
    this.#lr = checkLr(`${this.name}.lr`, 'lr', value);
  }

  /** The hyperparameters besides lr (read-only). */
  get hyper(): Readonly<Hyper> {
    return this.#hyper;
  }

  #checkLive(op: string): void {
    if (this.#disposed) throw new DisposedError(`${this.name}.${op}: the optimizer was disposed`);
  }

  /**
   * Updates every parameter whose grad is set, in place, in one native call. Parameters without
   * a gradient are skipped (their step counts do not advance). Queued: returns at once.
   */
  step(): void {
    range(`${this.#kind}.step`, () => this.#step());
  }

  #step(): void {
    const op = `${this.name}.step`;
    this.#checkLive('step');
    const idx: number[] = [];
    this.params.forEach((p, i) => {
      if (p.grad !== null) idx.push(i);
    });
    if (idx.length === 0) return;
    const params: NativeTensor[] = [];
    const grads: NativeTensor[] = [];
    for (const i of idx) {
      const p = this.params[i]!;
      params.push(handle(op, `params[${i}]`, p));
      grads.push(handle(op, `params[${i}].grad`, p.grad));
      checkSameDevice(op, [[`params[${i}]`, p], [`params[${i}].grad`, p.grad]]);
    }
    checkSameDevice(op, idx.map((i) => [`params[${i}]`, this.params[i]!] as const));
    const names = this.stateNames();
    for (const i of idx) {
      const p = this.params[i]!;
      const state = this.#state[i] ?? null;
      if (state === null) {
        this.#state[i] = untracked(() => names.map((n) => full(p.shape, this.initialValue(n), { device: p.device })));
      } else if (state.some((t) => t.device !== p.device)) {
        // The model moved (Module.to) since the last step: the state follows its parameter.
        this.#state[i] = untracked(() => state.map((t) => copyTo(op, t, p.device)));
        state.forEach((t) => t.dispose());
      }
    }
    const states = idx.map((i) => this.#state[i]!.map((t, k) => handle(op, `state ${names[k]} of params[${i}]`, t)));
    const steps = idx.map((i) => this.#steps[i]! + 1);
    callNative((n) => n.optimizerStep(this.#kind, params, grads, states, { ...this.#hyper, lr: this.#lr }, steps));
    for (const i of idx) this.#steps[i]!++;
  }

  /** Disposes every parameter's gradient and sets it to null (PyTorch's set_to_none). */
  zeroGrad(): void {
    for (const p of this.params) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /**
   * The optimizer's state: for each parameter i that has stepped, `state.<i>.<name>` for each
   * state tensor (torch's names: exp_avg, exp_avg_sq, momentum_buffer, square_avg, grad_avg, sum)
   * and `state.<i>.step` (int32, shape []). Fresh copies that the caller owns: dispose them, or
   * call this inside tidy(). The learning rate is not included (schedules keep theirs).
   */
  stateDict(): Record<string, Tensor> {
    this.#checkLive('stateDict');
    const names = this.stateNames();
    const out: Record<string, Tensor> = {};
    this.#state.forEach((state, i) => {
      if (state === null) return;
      state.forEach((t, k) => {
        const h = handle(`${this.name}.stateDict`, 'state', t);
        out[`state.${i}.${names[k]}`] = new Tensor<'float32'>(callNative((n) => n.contiguous(h)));
      });
      out[`state.${i}.step`] = tensor(Int32Array.of(this.#steps[i]!), { shape: [] });
    });
    return out;
  }

  /**
   * Replaces the state with copies of `state` (as stateDict() returns it). Checks every name,
   * dtype and shape first (CheckpointError), so a failed load leaves the optimizer as it was. A
   * parameter with no entries starts fresh.
   */
  loadStateDict(state: Record<string, Tensor>): void {
    const op = `${this.name}.loadStateDict`;
    this.#checkLive('loadStateDict');
    if (typeof state !== 'object' || state === null) {
      throw new ArgumentError(`${op}: state must be an object of name → tensor, got ${describe(state)}`);
    }
    const names = this.stateNames();
    const byParam = new Map<number, Map<string, Tensor>>();
    for (const [key, value] of Object.entries(state)) {
      const m = STATE_KEY.exec(key);
      const i = m ? Number(m[1]) : -1;
      const name = m ? m[2]! : '';
      if (!m || i >= this.params.length || (name !== 'step' && !names.includes(name))) {
        const expected = names.length > 0 ? `${names.join(', ')}, step` : 'step';
        throw new CheckpointError(
          `${op}: unexpected entry '${key}' (expected state.<i>.<name> with i < ${this.params.length} and name one of ${expected})`,
        );
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
      const missing = [...names, 'step'].filter((n) => !entries.has(n));
      if (missing.length > 0) {
        throw new CheckpointError(`${op}: the state of params[${i}] lacks ${missing.map((n) => `state.${i}.${n}`).join(', ')}`);
      }
      const step = entries.get('step')!.dataSync()[0]!;
      if (!Number.isSafeInteger(step) || step < 1) {
        throw new CheckpointError(`${op}: state.${i}.step must be an integer >= 1, got ${step}`);
      }
      steps.set(i, step);
    }
    // Everything checked: swap the state.
    for (let i = 0; i < this.params.length; i++) {
      this.#state[i]?.forEach((t) => t.dispose());
      this.#state[i] = null;
      this.#steps[i] = 0;
      const entries = byParam.get(i);
      if (entries === undefined) continue;
      const p = this.params[i]!;
      this.#state[i] = untracked(() => names.map((n) => copyTo(op, entries.get(n) as Tensor<'float32'>, p.device)));
      this.#steps[i] = steps.get(i)!;
    }
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
