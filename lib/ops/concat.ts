// concat: joins tensors along an axis; the gradient of each input is its slice of the output's.

import { checkAxis } from '../args.js';
import { record } from '../autograd.js';
import type { DType } from '../dtype.js';
import { ArgumentError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { checkSameDevice, handle, nativeOp } from './call.js';
import { narrow } from './views.js';

export function concat<D extends DType>(tensors: readonly Tensor<D>[], axis = 0): Tensor<D> {
  if (!Array.isArray(tensors) || tensors.length === 0) {
    throw new ArgumentError('concat: tensors must be a non-empty array of tensors');
  }
  const handles = tensors.map((t, i) => handle('concat', `tensors[${i}]`, t));
  checkSameDevice('concat', tensors.map((t, i) => [`tensors[${i}]`, t] as const));
  const a = checkAxis('concat', 'axis', axis, handles[0]!.shape.length);
  const out = nativeOp<D>((n) => n.concat(handles, a));
  const lengths = tensors.map((t) => t.shape[a]!);
  return record('concat', out, tensors, [], (g) => {
    let start = 0;
    return lengths.map((len) => {
      const part = narrow(g, a, start, len);
      start += len;
      return part;
    });
  });
}
