// nn.MultiheadAttention: PyTorch's multi-head scaled dot-product attention, with its parameter
// names (in_proj_weight [3E, E] or q_proj_weight / k_proj_weight / v_proj_weight when kdim or
// vdim differ from embedDim, in_proj_bias [3E], out_proj.weight, out_proj.bias), its init
// (xavier-uniform projections, zero biases) and its forward(query, key, value) → output and
// attention weights. One difference: batchFirst defaults to true, as in rnnkit's recurrent
// layers (PyTorch's default is false).

import { checkBoolean, checkInteger, checkOptions } from '../args.js';
import { ArgumentError, ShapeError } from '../errors.js';
import { checkFloatTensor } from '../ops/check.js';
import { checkSameDevice } from '../ops/call.js';
import { zeros } from '../ops/creation.js';
import { checkDropoutP, dropout } from '../ops/dropout.js';
import { add, mul } from '../ops/elementwise.js';
import { checkLengths, lengthsBias, maskBias } from '../ops/mask.js';
import { matmul } from '../ops/matmul.js';
import { mean } from '../ops/reduce.js';
import { softmax } from '../ops/softmax.js';
import { uniformArray } from '../random.js';
import { tidy } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { Linear } from './linear.js';
import { copyInto, Module, type Parameter } from './module.js';

export interface MultiheadAttentionOptions {
  /** Biases on the input and output projections (default true). */
  bias?: boolean;
  /** query, key, value and output are [batch, seq, features] (default true), else [seq, batch, features]. */
  batchFirst?: boolean;
  /** Dropout on the attention weights, in training mode (default 0). */
  dropout?: number;
  /** Features of key (default embedDim). */
  kdim?: number;
  /** Features of value (default embedDim). */
  vdim?: number;
}

export interface MultiheadAttentionForwardOptions {
  /**
   * Keys to ignore, [batch, S] ([S] unbatched): int32 1 = ignore, 0 = attend (PyTorch's boolean
   * mask), or float32 added to the scores. Or give `lengths` instead.
   */
  keyPaddingMask?: Tensor;
  /** Each key sequence's length (1..S): keys at s >= lengths[b] are ignored. */
  lengths?: Int32Array | readonly number[];
  /** Return the attention weights (default true). */
  needWeights?: boolean;
  /** Average the returned weights over the heads (default true). */
  averageAttnWeights?: boolean;
  /** Which keys each query may see, [L, S] or [batch * numHeads, L, S]: int32 1 = masked, or float32 added. */
  attnMask?: Tensor;
}

export interface MultiheadAttentionOutput {
  /** Shaped like query, with embedDim features. */
  output: Tensor<'float32'>;
  /** [batch, L, S] (averaged) or [batch, numHeads, L, S]; without batch when unbatched; null unless needWeights. */
  weights: Tensor<'float32'> | null;
}

function positive(op: string, arg: string, value: unknown): number {
  const n = checkInteger(op, arg, value);
  if (n < 1) throw new ArgumentError(`${op}: ${arg} must be a positive integer, got ${n}`);
  return n;
}

/** xavier_uniform_ of a [rows, cols] weight. */
const xavier = (rows: number, cols: number): Float32Array => {
  const bound = Math.sqrt(6 / (rows + cols));
  return uniformArray(rows * cols, -bound, bound);
};

const FORWARD_OPTIONS = ['keyPaddingMask', 'lengths', 'needWeights', 'averageAttnWeights', 'attnMask'] as const;

export class MultiheadAttention extends Module {
  readonly embedDim: number;
  readonly numHeads: number;
  readonly headDim: number;
  readonly kdim: number;
  readonly vdim: number;
  readonly batchFirst: boolean;
  readonly dropout: number;
  /** [3 * embedDim, embedDim] when kdim == vdim == embedDim, else null. */
  readonly inProjWeight: Parameter | null;
  /** [embedDim, embedDim], [embedDim, kdim], [embedDim, vdim] when kdim or vdim differ, else null. */
  readonly qProjWeight: Parameter | null;
  readonly kProjWeight: Parameter | null;
  readonly vProjWeight: Parameter | null;
  /** [3 * embedDim] (q, k, v), or null without bias. */
  readonly inProjBias: Parameter | null;
  readonly outProj: Linear;

  constructor(embedDim: number, numHeads: number, options?: MultiheadAttentionOptions) {
    super();
    const op = 'nn.MultiheadAttention';
    const o = checkOptions(op, options, ['bias', 'batchFirst', 'dropout', 'kdim', 'vdim'] as const);
    this.embedDim = positive(op, 'embedDim', embedDim);
    this.numHeads = positive(op, 'numHeads', numHeads);
    if (this.embedDim % this.numHeads !== 0) {
      throw new ArgumentError(`${op}: embedDim (${this.embedDim}) must be divisible by numHeads (${this.numHeads})`);
    }
    this.headDim = this.embedDim / this.numHeads;
    this.kdim = positive(op, 'options.kdim', o.kdim ?? this.embedDim);
    this.vdim = positive(op, 'options.vdim', o.vdim ?? this.embedDim);
    this.batchFirst = checkBoolean(op, 'options.batchFirst', o.batchFirst ?? true);
    this.dropout = checkDropoutP(op, 'options.dropout', o.dropout ?? 0);
    const bias = checkBoolean(op, 'options.bias', o.bias ?? true);
    const E = this.embedDim;
    // PyTorch's registration order, so namedParameters() lists the same names in the same order.
    if (this.kdim === E && this.vdim === E) {
      this.inProjWeight = this.newParameter('in_proj_weight', [3 * E, E], xavier(3 * E, E));
      this.qProjWeight = this.kProjWeight = this.vProjWeight = null;
    } else {
      this.inProjWeight = null;
      this.qProjWeight = this.newParameter('q_proj_weight', [E, E], xavier(E, E));
      this.kProjWeight = this.newParameter('k_proj_weight', [E, this.kdim], xavier(E, this.kdim));
      this.vProjWeight = this.newParameter('v_proj_weight', [E, this.vdim], xavier(E, this.vdim));
    }
    this.inProjBias = bias ? this.newParameter('in_proj_bias', [3 * E], new Float32Array(3 * E)) : null;
    this.outProj = this.registerModule('out_proj', new Linear(E, E, { bias }));
    if (this.outProj.bias !== null) {
      const zero = zeros([E]);
      copyInto(op, this.outProj.bias, zero);
      zero.dispose();
    }
  }

  /**
   * query [batch, L, embedDim], key [batch, S, kdim], value [batch, S, vdim] (sequence first
   * without batchFirst; or unbatched [L, embedDim], ...) → { output shaped like query, weights }.
   */
  forward(query: Tensor<'float32'>, key: Tensor<'float32'>, value: Tensor<'float32'>, options?: MultiheadAttentionForwardOptions): MultiheadAttentionOutput {
    const op = 'nn.MultiheadAttention.forward';
    const o = checkOptions(op, options, FORWARD_OPTIONS);
    const E = this.embedDim;
    const layout = this.batchFirst ? 'batch, seq' : 'seq, batch';
    checkFloatTensor(op, 'query', query, { ranks: [2, 3], expected: `[${layout}, embedDim = ${E}] or unbatched [seq, ${E}]` });
    const batched = query.rank === 3;
    const checkInput = (arg: string, t: unknown, features: number): void => {
      const expected = batched ? `[${layout}, ${features}] (rank 3, as query)` : `[seq, ${features}] (rank 2, as query)`;
      const x = checkFloatTensor(op, arg, t, { ranks: [query.rank], expected });
      if (x.shape[x.rank - 1] !== features) {
        throw new ShapeError(`${op}: ${arg} has shape [${x.shape.join(', ')}], expected ${features} features on its last axis`);
      }
    };
    checkInput('query', query, E);
    checkInput('key', key, this.kdim);
    checkInput('value', value, this.vdim);
    checkSameDevice(op, [['query', query], ['key', key], ['value', value], ['the layer weights', this.outProj.weight]]);
    // Everything below works batch first: [B, L, E].
    const toBatchFirst = (x: Tensor<'float32'>): Tensor<'float32'> =>
      !batched ? x.reshape([1, x.shape[0]!, x.shape[1]!]) : this.batchFirst ? x : x.transpose(0, 1);
    const batchOf = (x: Tensor) => (!batched ? 1 : x.shape[this.batchFirst ? 0 : 1]!);
    const seqOf = (x: Tensor) => x.shape[!batched || !this.batchFirst ? 0 : 1]!;
    const B = batchOf(query);
    const L = seqOf(query);
    const S = seqOf(key);
    if (batchOf(key) !== B || batchOf(value) !== B) {
      throw new ShapeError(`${op}: query, key and value must have the same batch size, got ${B}, ${batchOf(key)} and ${batchOf(value)}`);
    }
    if (seqOf(value) !== S) throw new ShapeError(`${op}: key and value must have the same sequence length, got ${S} and ${seqOf(value)}`);
    if (o.keyPaddingMask !== undefined && o.lengths !== undefined) {
      throw new ArgumentError(`${op}: give options.keyPaddingMask or options.lengths, not both`);
    }
    const needWeights = checkBoolean(op, 'options.needWeights', o.needWeights ?? true);
    const average = checkBoolean(op, 'options.averageAttnWeights', o.averageAttnWeights ?? true);
    const lengths = o.lengths === undefined ? null : checkLengths(op, 'options.lengths', o.lengths, B, S);
    const h = this.numHeads;
    return tidy(() => {
      // Additive biases on the scores [B, h, L, S]: padding per key, attnMask per query and key.
      const biases: Tensor<'float32'>[] = [];
      if (lengths !== null) biases.push(lengthsBias(lengths, S, query.device).reshape([B, 1, 1, S]));
      if (o.keyPaddingMask !== undefined) {
        const mask = maskBias(op, 'options.keyPaddingMask', o.keyPaddingMask, [batched ? [B, S] : [S]]);
        checkSameDevice(op, [['query', query], ['options.keyPaddingMask', mask]]);
        biases.push(mask.reshape([B, 1, 1, S]));
      }
      if (o.attnMask !== undefined) {
        const mask = maskBias(op, 'options.attnMask', o.attnMask, [[L, S], [B * h, L, S]]);
        checkSameDevice(op, [['query', query], ['options.attnMask', mask]]);
        biases.push(mask.rank === 2 ? mask : mask.reshape([B, h, L, S]));
      }

      const heads = (x: Tensor<'float32'>, which: number, n: number): Tensor<'float32'> => {
        const y = this.#project(toBatchFirst(x), which);
        return y.reshape([B, n, h, this.headDim]).permute([0, 2, 1, 3]); // [B, h, n, d]
      };
      const q = mul(heads(query, 0, L), 1 / Math.sqrt(this.headDim));
      const k = heads(key, 1, S);
      const v = heads(value, 2, S);
      let scores = matmul(q, k.transpose(-2, -1)); // [B, h, L, S]
      for (const b of biases) scores = add(scores, b);
      let weights = softmax(scores, -1);
      if (this.dropout > 0) weights = dropout(weights, this.dropout, { training: this.training });
      const context = matmul(weights, v).permute([0, 2, 1, 3]).reshape([B, L, E]);
      const out = this.outProj.forward(context);
      const output = !batched ? out.reshape([L, E]) : this.batchFirst ? out : out.transpose(0, 1);
      if (!needWeights) return { output, weights: null };
      const returned = average ? mean(weights, 1) : weights;
      return { output, weights: batched ? returned : returned.reshape(returned.shape.slice(1)) };
    });
  }

  /** x [B, n, features] through projection `which` (0 q, 1 k, 2 v) → [B, n, embedDim]. */
  #project(x: Tensor<'float32'>, which: number): Tensor<'float32'> {
    const E = this.embedDim;
    const weight = this.inProjWeight !== null ? this.inProjWeight.narrow(0, which * E, E) : [this.qProjWeight, this.kProjWeight, this.vProjWeight][which]!;
    const y = matmul(x, weight.transpose());
    return this.inProjBias === null ? y : add(y, this.inProjBias.narrow(0, which * E, E));
  }
}
