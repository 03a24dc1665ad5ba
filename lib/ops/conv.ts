// conv1d: PyTorch's F.conv1d (cross-correlation, zero padding) composed of views, concat and one
// batched matmul (im2col), so the tape gives its backward. Each of the K taps is a strided view of
// the padded input: a narrow() by k * dilation, then every stride-th step through a reshape to
// [.., Lout, stride] and the first column; the taps stack into columns [N, groups, Cin/groups * K,
// Lout] that the weight [groups, Cout/groups, Cin/groups * K] multiplies.

import { tidy } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { concat } from './concat.js';
import { add } from './elementwise.js';
import { matmul } from './matmul.js';
import { padZeros } from './pad.js';
import { narrow, reshape } from './views.js';

export interface Conv1dGeometry {
  stride: number;
  /** Zeros before and after the input along its length. */
  padding: readonly [number, number];
  dilation: number;
  groups: number;
}

/** The output length of a convolution over `length` steps (< 1: the input is too short). */
export function conv1dOutputLength(length: number, kernelSize: number, g: Conv1dGeometry): number {
  return Math.floor((length + g.padding[0] + g.padding[1] - g.dilation * (kernelSize - 1) - 1) / g.stride) + 1;
}

/**
 * x [N, Cin, L], weight [Cout, Cin / groups, K], bias [Cout] or null → [N, Cout, Lout]. Shapes
 * and geometry are the caller's to check (nn.Conv1d does), Lout >= 1.
 */
export function conv1d(x: Tensor<'float32'>, weight: Tensor<'float32'>, bias: Tensor<'float32'> | null, g: Conv1dGeometry): Tensor<'float32'> {
  return tidy(() => {
    const [n, cin, length] = x.shape as [number, number, number];
    const [cout, , k] = weight.shape as [number, number, number];
    const { stride, dilation, groups } = g;
    const lout = conv1dOutputLength(length, k, g);
    // The last tap reads up to (K-1)*dilation + Lout*stride, past the padded end by < stride:
    // extra zeros there only fill the columns the stride skips.
    const padded = length + g.padding[0] + g.padding[1];
    const extra = Math.max(0, (k - 1) * dilation + lout * stride - padded);
    const xp = padZeros(x, 2, g.padding[0], g.padding[1] + extra);
    const taps = Array.from({ length: k }, (_, tap) => {
      const window = reshape(narrow(xp, 2, tap * dilation, lout * stride), [n, cin, lout, stride]);
      return reshape(narrow(window, 3, 0, 1), [n, cin, 1, lout]);
    });
    const columns = reshape(concat(taps, 2), [n, groups, (cin / groups) * k, lout]);
    const w = reshape(weight, [groups, cout / groups, (cin / groups) * k]);
    const y = reshape(matmul(w, columns), [n, cout, lout]);
    return bias === null ? y : add(y, reshape(bias, [cout, 1]));
  });
}
