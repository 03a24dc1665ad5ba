// dropout: inverted dropout with a native, seeded mask. Each call draws its seed from the global
// generator (manualSeed makes a run repeatable); backward multiplies by the same mask.

import { checkBoolean, checkOptions } from '../args.js';
import { record } from '../autograd.js';
import { describe } from '../dtype.js';
import { ArgumentError, DTypeError } from '../errors.js';
import { nextSeed } from '../random.js';
import { Tensor } from '../tensor.js';
import { callNative, handle } from './call.js';
import { mul } from './elementwise.js';
import { reshape } from './views.js';

export interface DropoutOptions {
  /** Drop elements (default true); false returns x unchanged (as a new tensor object). */
  training?: boolean;
}

/** Throws ArgumentError unless p is a number in [0, 1). */
export function checkDropoutP(op: string, arg: string, p: unknown): number {
  if (typeof p !== 'number' || !(p >= 0 && p < 1)) {
    throw new ArgumentError(`${op}: ${arg} must be a probability in [0, 1), got ${describe(p)}`);
  }
  return p;
}

/**
 * Inverted dropout of float32 x: when training, each element is zeroed with probability p and
 * the others are scaled by 1/(1-p), so the expected value is unchanged. Not training, or p = 0:
 * the identity. The mask comes from a seed drawn from rnnkit's global generator.
 */
export function dropout(x: Tensor<'float32'>, p: number, options?: DropoutOptions): Tensor<'float32'> {
  const hx = handle('dropout', 'x', x);
  if (x.dtype !== 'float32') throw new DTypeError(`dropout: x must be float32, got ${x.dtype}`);
  checkDropoutP('dropout', 'p', p);
  const opts = checkOptions('dropout', options, ['training'] as const);
  const training = checkBoolean('dropout', 'options.training', opts.training ?? true);
  if (!training || p === 0) return reshape(x, x.shape);
  const seed = nextSeed();
  const { output, mask } = callNative((n) => n.dropout(hx, p, seed));
  const out = new Tensor<'float32'>(output);
  const m = new Tensor<'float32'>(mask);
  record('dropout', out, [x], [m], (g, saved) => [mul(g, saved[0] as Tensor<'float32'>)]);
  m.dispose();
  return out;
}
