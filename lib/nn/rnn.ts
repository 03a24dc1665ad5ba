// Recurrent layers: nn.RNN, nn.LSTM, nn.GRU. One fused native op runs the whole stack forward
// and backward (oneDNN on CPU, cuDNN on CUDA). The weights live in one flat buffer laid out as the
// device's backend wants it; the PyTorch-named parameters (weight_ih_l0, bias_hh_l1_reverse,
// weight_hr_l0, ...) are views into it, in PyTorch's order, shapes and gate order, so state dicts
// move between rnnkit and PyTorch unchanged. Moving a layer to another device builds that
// device's buffer and copies each parameter by name.

import { checkBoolean, checkInteger, checkOneOf, checkOptions, isDetached } from '../args.js';
import { needsGrad, recordMulti, type Float } from '../autograd.js';
import type { NativeTensor, RnnConfig, RnnMode, RnnParam, RnnPrecision, RnnReserve } from '../binding.js';
import { defaultDevice } from '../device.js';
import { describe, type Device } from '../dtype.js';
import { ArgumentError, ShapeError } from '../errors.js';
import { callNative, checkSameDevice, handle } from '../ops/call.js';
import { zeros } from '../ops/creation.js';
import { contiguousStrides } from '../ops/views.js';
import { range } from '../profile.js';
import { nextSeed, uniformArray } from '../random.js';
import { tidy, untracked } from '../scope.js';
import { Tensor } from '../tensor.js';
import { copyInto, dropGrad, Module, type Parameter } from './module.js';

export interface RecurrentOptions {
  inputSize: number;
  hiddenSize: number;
  /** Stacked layers (default 1). */
  numLayers?: number;
  /** Run a reverse direction too and concatenate both (default false). */
  bidirectional?: boolean;
  /** Dropout on the outputs of every layer but the last, in training mode (default 0). */
  dropout?: number;
  /** Bias parameters (default true). */
  bias?: boolean;
  /** x and output are [batch, time, features] (default true), else [time, batch, features]. */
  batchFirst?: boolean;
  /**
   * The math of the fused cuDNN call (default 'fp32'): 'tf32' uses TF32 tensor cores, 'bf16' and
   * 'fp16' compute in half precision inside the call (fit() then scales the loss for fp16).
   * Parameters and outputs stay float32, so the optimizer keeps fp32 master weights. The CPU
   * computes float32 for all four, so a model moves between devices freely.
   */
  precision?: RnnPrecision;
}

export interface RNNOptions extends RecurrentOptions {
  nonlinearity?: 'tanh' | 'relu';
}

export interface LSTMOptions extends RecurrentOptions {
  /** Project the hidden state to this size (LSTMP, PyTorch's proj_size); 0 for none. */
  projSize?: number;
  /**
   * Cell clipping, as cuDNN computes it (cudnnRNNSetClip_v9): the cell state is clipped to
   * [-cellClip, cellClip] where it is read (c0 too) and inside tanh, and the stored and returned c
   * is not clipped: c_t = f ⊙ clip(c_{t-1}) + i ⊙ g, h_t = o ⊙ tanh(clip(c_t)). Keras' and TF1's
   * `cell_clip` clip the stored state instead, so results differ from theirs. 0 for none (default).
   */
  cellClip?: number;
}

export type GRUOptions = RecurrentOptions;

/** Hidden state [numLayers * numDirections, batch, hOut]; c (LSTM) [.., .., hiddenSize]. */
export interface RecurrentState {
  h: Tensor<'float32'>;
  c?: Tensor<'float32'>;
}

export interface RecurrentForwardOptions {
  /** Each sequence's length (1..T, any order): outputs past it are zero, its state is taken at its end. */
  lengths?: Int32Array | readonly number[];
  /** Initial state (zeros when omitted); an LSTM needs both h and c. */
  state?: RecurrentState;
}

export interface StepOutput {
  /** [batch, hOut]: the top layer's hidden state after the step. */
  output: Tensor<'float32'>;
  state: RecurrentState;
}

export interface RecurrentOutput {
  /** [batch, time, numDirections * hOut] (batchFirst) or [time, batch, ...]. */
  output: Tensor<'float32'>;
  /** Final state, each sequence's own. */
  state: RecurrentState;
}

const COMMON_OPTIONS = ['inputSize', 'hiddenSize', 'numLayers', 'bidirectional', 'dropout', 'bias', 'batchFirst', 'precision'] as const;
const PRECISIONS: readonly RnnPrecision[] = ['fp32', 'tf32', 'bf16', 'fp16'];

function positive(op: string, arg: string, value: unknown): number {
  const n = checkInteger(op, arg, value);
  if (n < 1) throw new ArgumentError(`${op}: ${arg} must be a positive integer, got ${n}`);
  return n;
}

function toConfig(op: string, mode: RnnMode, options: unknown, extra: readonly string[]): RnnConfig {
  if (options === undefined) throw new ArgumentError(`${op}: options with inputSize and hiddenSize are required`);
  const o = checkOptions(op, options, [...COMMON_OPTIONS, ...extra]) as Record<string, unknown>;
  const hiddenSize = positive(op, 'options.hiddenSize', o.hiddenSize);
  const dropout = o.dropout ?? 0;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) {
    throw new ArgumentError(`${op}: options.dropout must be a number in [0, 1), got ${describe(dropout)}`);
  }
  const projSize = checkInteger(op, 'options.projSize', o.projSize ?? 0);
  if (projSize < 0 || (projSize > 0 && projSize >= hiddenSize)) {
    throw new ArgumentError(`${op}: options.projSize must be 0 (none) or in 1..${hiddenSize - 1} (below hiddenSize), got ${projSize}`);
  }
  const cellClip = o.cellClip ?? 0;
  if (typeof cellClip !== 'number' || !Number.isFinite(cellClip) || cellClip < 0) {
    throw new ArgumentError(`${op}: options.cellClip must be a finite number >= 0 (0: no clipping), got ${describe(cellClip)}`);
  }
  return {
    mode,
    inputSize: positive(op, 'options.inputSize', o.inputSize),
    hiddenSize,
    projSize,
    numLayers: positive(op, 'options.numLayers', o.numLayers ?? 1),
    bidirectional: checkBoolean(op, 'options.bidirectional', o.bidirectional ?? false),
    bias: checkBoolean(op, 'options.bias', o.bias ?? true),
    batchFirst: checkBoolean(op, 'options.batchFirst', o.batchFirst ?? true),
    dropout,
    cellClip,
    precision: checkOneOf(op, 'options.precision', o.precision ?? 'fp32', PRECISIONS),
  };
}

function toLengths(op: string, value: unknown): Int32Array {
  if (value instanceof Int32Array) {
    if (isDetached(value)) {
      throw new ArgumentError(`${op}: options.lengths is an Int32Array whose ArrayBuffer was transferred away (detached)`);
    }
    return value.slice();
  }
  if (Array.isArray(value)) {
    return Int32Array.from(value, (v, i) => checkInteger(op, `options.lengths[${i}]`, v));
  }
  throw new ArgumentError(`${op}: options.lengths must be an Int32Array or an array of integers, got ${describe(value)}`);
}

/** A view of the flat buffer at parameter p's place. */
function paramView(flat: NativeTensor, p: RnnParam): NativeTensor {
  return callNative((n) => n.view(flat, p.shape, contiguousStrides(p.shape), p.offset));
}

const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export abstract class RecurrentLayer extends Module {
  readonly config: Readonly<RnnConfig>;
  readonly #name: string;
  /** The flat buffer every parameter is a view of, in the layout of its device. */
  #weights: Tensor<'float32'>;
  readonly #params: Parameter[] = [];
  /** Where each parameter sits in the flat buffer (the gradient buffer has the same layout). */
  #layout: RnnParam[];
  /** NVTX range names, e.g. "lstm.fwd L0-1 bi H512 fp32". */
  readonly #forwardRange: string;
  readonly #backwardRange: string;

  protected constructor(name: string, config: RnnConfig) {
    super();
    this.#name = name;
    this.config = Object.freeze(config);
    const device = defaultDevice();
    const layout = callNative((n) => n.rnnLayout(config, device));
    this.#layout = layout.params;
    // PyTorch's default: every parameter uniform in ±1/sqrt(hiddenSize), drawn parameter by
    // parameter in PyTorch's order, so a seed gives the same weights whatever the device's layout.
    const k = 1 / Math.sqrt(config.hiddenSize);
    const values = new Float32Array(layout.size);
    for (const p of layout.params) values.set(uniformArray(numel(p.shape), -k, k), p.offset);
    this.#weights = untracked(() => new Tensor<'float32'>(callNative((n) => n.fromArray(values, [layout.size], device))));
    const flat = handle(name, 'weights', this.#weights);
    for (const p of layout.params) {
      const view = untracked(() => new Tensor<'float32'>(paramView(flat, p)));
      view.requiresGrad = true;
      this.#params.push(this.registerParameter(p.name, view));
    }
    const shape = `L0-${config.numLayers - 1}${config.bidirectional ? ' bi' : ''} H${config.hiddenSize} ${config.precision}`;
    this.#forwardRange = `${name}.fwd ${shape}`;
    this.#backwardRange = `${name}.bwd ${shape}`;
  }

  /**
   * Builds the flat buffer of `device`'s layout (cuDNN's weight space on CUDA, the canonical order
   * on CPU) and copies each parameter into it by name; the parameter objects are rebound to their
   * new views, so they keep their identity.
   */
  protected override moveParameters(device: Device): void {
    if (this.#weights.device === device) return;
    const op = `${this.#name}.to`;
    const layout = callNative((n) => n.rnnLayout(this.config, device));
    const weights = untracked(() => zeros([layout.size], { device }));
    const flat = handle(op, 'weights', weights);
    const byName = new Map(this.namedParameters());
    for (const p of layout.params) {
      const param = byName.get(p.name)!; // the same config names the same parameters on every device
      const target = untracked(() => new Tensor<'float32'>(paramView(flat, p)));
      copyInto(op, target, param);
      target.dispose();
      dropGrad(param);
      param.rebind(paramView(flat, p));
    }
    this.#weights.dispose();
    this.#weights = weights;
    this.#layout = layout.params;
  }

  /** Internal (native generation): the flat weight buffer's handle, in its device's layout. */
  weightsHandle(op: string): NativeTensor {
    return handle(op, 'the layer weights', this.#weights);
  }

  /** hOut: projSize when projecting, else hiddenSize. */
  get outputSize(): number {
    return this.config.projSize || this.config.hiddenSize;
  }

  forward(x: Tensor<'float32'>, options?: RecurrentForwardOptions): RecurrentOutput {
    return range(this.#forwardRange, () => this.#forward(`${this.#name}.forward`, x, options));
  }

  /**
   * One time step, for decoders of your own: x [batch, inputSize] and the state of the step before
   * (zeros when omitted) → { output [batch, hOut] (the top layer's new h), state }. The same fused
   * kernels as forward() over a one-step sequence, differentiable; unidirectional layers only (a
   * reverse direction needs the whole sequence).
   */
  step(x: Tensor<'float32'>, state?: RecurrentState): StepOutput {
    const op = `${this.#name}.step`;
    if (this.config.bidirectional) {
      throw new ArgumentError(`${op}: a bidirectional layer cannot run one step at a time (its reverse direction needs the whole sequence); use forward()`);
    }
    handle(op, 'x', x);
    const { inputSize, batchFirst } = this.config;
    if (x.rank !== 2 || x.shape[1] !== inputSize) {
      throw new ShapeError(`${op}: x must be [batch, inputSize = ${inputSize}], got [${x.shape.join(', ')}]`);
    }
    const batch = x.shape[0]!;
    return range(this.#forwardRange, () =>
      tidy(() => {
        const seq = x.reshape(batchFirst ? [batch, 1, inputSize] : [1, batch, inputSize]);
        const out = this.#forward(op, seq, state === undefined ? {} : { state });
        return { output: out.output.reshape([batch, this.outputSize]), state: out.state };
      }),
    );
  }

  #forward(op: string, x: Tensor<'float32'>, options: RecurrentForwardOptions | undefined): RecurrentOutput {
    const opts = checkOptions(op, options, ['lengths', 'state'] as const);
    const hx = handle(op, 'x', x);
    const lengths = opts.lengths === undefined ? null : toLengths(op, opts.lengths);
    const isLstm = this.config.mode === 'lstm';
    let h0: Tensor<'float32'> | null = null;
    let c0: Tensor<'float32'> | null = null;
    if (opts.state !== undefined) {
      const state = opts.state as Partial<RecurrentState>;
      if (typeof state !== 'object' || state === null) {
        throw new ArgumentError(`${op}: options.state must be { h${isLstm ? ', c' : ''} }, got ${describe(state)}`);
      }
      h0 = state.h ?? null;
      c0 = state.c ?? null;
      if (h0 === null) throw new ArgumentError(`${op}: options.state.h is missing`);
      if (isLstm && c0 === null) throw new ArgumentError(`${op}: options.state.c is missing (an LSTM state is { h, c })`);
      if (!isLstm && c0 !== null) throw new ArgumentError(`${op}: options.state.c is only for an LSTM`);
    }
    const hh0 = h0 && handle(op, 'options.state.h', h0);
    const hc0 = c0 && handle(op, 'options.state.c', c0);
    const hw = handle(op, 'weights', this.#weights);
    checkSameDevice(op, [['x', x], ['options.state.h', h0], ['options.state.c', c0], ['the layer weights', this.#weights]]);
    const layout = this.#layout;

    const inputs: Tensor[] = [x, ...(h0 ? [h0] : []), ...(c0 ? [c0] : []), ...this.#params];
    const recording = needsGrad(inputs);
    const config: RnnConfig = this.training ? this.config : { ...this.config, dropout: 0 };
    const training = recording || config.dropout > 0;
    const result = callNative((n) => n.rnnForward(config, hx, hw, hh0, hc0, lengths, training, nextSeed()));
    const output = new Tensor<'float32'>(result.output);
    const h = new Tensor<'float32'>(result.h);
    const c = result.c ? new Tensor<'float32'>(result.c) : null;
    const reserve = result.reserve;

    const recorded =
      reserve !== null &&
      recordMulti(
        this.#name,
        c ? [output, h, c] : [output, h],
        inputs,
        [x, this.#weights, ...(h0 ? [h0] : []), ...(c0 ? [c0] : [])],
        (grads, saved) =>
          range(this.#backwardRange, () => this.#backward(config, layout, lengths, reserve, grads, saved, h0 !== null, c0 !== null)),
        () => reserve.dispose(),
      );
    if (!recorded) reserve?.dispose();
    return { output, state: c ? { h, c } : { h } };
  }

  #backward(
    config: RnnConfig,
    layout: readonly RnnParam[],
    lengths: Int32Array | null,
    reserve: RnnReserve,
    grads: (Float | null)[],
    saved: Tensor[],
    hasH0: boolean,
    hasC0: boolean,
  ): (Float | null)[] {
    const op = `${this.#name}.backward`;
    const [sx, sw, ...states] = saved.map((t, i) => handle(op, `saved[${i}]`, t));
    const sh0 = hasH0 ? states[0]! : null;
    const sc0 = hasC0 ? states[1]! : null;
    const g = (i: number) => {
      const t = grads[i];
      return t ? handle(op, `grad[${i}]`, t) : null;
    };
    const r = callNative((n) => n.rnnBackward(config, sx!, sw!, sh0, sc0, lengths, reserve, g(0), g(1), g(2)));
    const dW = new Tensor<'float32'>(r.dWeights);
    const result: (Float | null)[] = [new Tensor<'float32'>(r.dx)];
    if (hasH0) result.push(new Tensor<'float32'>(r.dh0));
    else r.dh0.dispose();
    if (hasC0 && r.dc0) result.push(new Tensor<'float32'>(r.dc0));
    else r.dc0?.dispose();
    const flat = handle(op, 'dWeights', dW);
    for (const p of layout) result.push(new Tensor<'float32'>(paramView(flat, p)));
    dW.dispose();
    return result;
  }
}

/** Elman RNN: h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu). */
export class RNN extends RecurrentLayer {
  constructor(options: RNNOptions) {
    const nonlinearity = checkOneOf('nn.RNN', 'options.nonlinearity', options?.nonlinearity ?? 'tanh', ['tanh', 'relu'] as const);
    super('rnn', toConfig('nn.RNN', nonlinearity === 'tanh' ? 'rnn_tanh' : 'rnn_relu', options, ['nonlinearity']));
  }
}

/** Long short-term memory, PyTorch's gate order i, f, g, o; optional projection (projSize). */
export class LSTM extends RecurrentLayer {
  constructor(options: LSTMOptions) {
    super('lstm', toConfig('nn.LSTM', 'lstm', options, ['projSize', 'cellClip']));
  }
}

/** Gated recurrent unit, PyTorch's (reset applied after the recurrent matmul), gates r, z, n. */
export class GRU extends RecurrentLayer {
  constructor(options: GRUOptions) {
    super('gru', toConfig('nn.GRU', 'gru', options, []));
  }
}
