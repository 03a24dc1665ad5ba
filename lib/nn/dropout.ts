// nn.Dropout: inverted dropout while training, the identity in eval mode.

import { checkDropoutP, dropout } from '../ops/dropout.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

export class Dropout extends Module {
  /** The probability of zeroing an element, in [0, 1). */
  readonly p: number;

  constructor(p = 0.5) {
    super();
    this.p = checkDropoutP('nn.Dropout', 'p', p);
  }

  /** Training: each element zeroed with probability p, the rest scaled by 1/(1-p). Eval: x. */
  forward(x: Tensor<'float32'>): Tensor<'float32'> {
    return dropout(x, this.p, { training: this.training });
  }
}
