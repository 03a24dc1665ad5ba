// nn.Linear: y = x Wᵀ + b over the last axis, PyTorch's layout (weight [out, in]) and init.

import { checkBoolean, checkInteger, checkOptions } from '../args.js';
import { ArgumentError, ShapeError } from '../errors.js';
import { add } from '../ops/elementwise.js';
import { matmul } from '../ops/matmul.js';
import { handle } from '../ops/call.js';
import { uniformArray } from '../random.js';
import type { Tensor } from '../tensor.js';
import { Module, type Parameter } from './module.js';

export interface LinearOptions {
  /** Add a bias (default true). */
  bias?: boolean;
}

function positive(op: string, arg: string, value: unknown): number {
  const n = checkInteger(op, arg, value);
  if (n < 1) throw new ArgumentError(`${op}: ${arg} must be a positive integer, got ${n}`);
  return n;
}

export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: Parameter;
  readonly bias: Parameter | null;

  constructor(inFeatures: number, outFeatures: number, options?: LinearOptions) {
    super();
    const opts = checkOptions('nn.Linear', options, ['bias'] as const);
    this.inFeatures = positive('nn.Linear', 'inFeatures', inFeatures);
    this.outFeatures = positive('nn.Linear', 'outFeatures', outFeatures);
    // PyTorch: kaiming_uniform(a=√5) for the weight and the same bound for the bias: 1/sqrt(in).
    const k = 1 / Math.sqrt(this.inFeatures);
    this.weight = this.newParameter('weight', [this.outFeatures, this.inFeatures], uniformArray(this.outFeatures * this.inFeatures, -k, k));
    this.bias = checkBoolean('nn.Linear', 'options.bias', opts.bias ?? true)
      ? this.newParameter('bias', [this.outFeatures], uniformArray(this.outFeatures, -k, k))
      : null;
  }

  /** x [..., inFeatures] → [..., outFeatures]. */
  forward(x: Tensor<'float32'>): Tensor<'float32'> {
    handle('nn.Linear.forward', 'x', x);
    if (x.rank === 0 || x.shape[x.rank - 1] !== this.inFeatures) {
      throw new ShapeError(`nn.Linear.forward: x has shape [${x.shape.join(', ')}], expected [..., ${this.inFeatures}]`);
    }
    const rows = x.rank === 1 ? x.reshape([1, this.inFeatures]) : x;
    const wT = this.weight.transpose();
    const y = matmul(rows, wT);
    wT.dispose();
    if (rows !== x) rows.dispose();
    const shaped = x.rank === 1 ? y.reshape([this.outFeatures]) : y;
    if (shaped !== y) y.dispose();
    if (this.bias === null) return shaped;
    const out = add(shaped, this.bias);
    shaped.dispose();
    return out;
  }
}
