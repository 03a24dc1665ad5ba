// layerNorm: normalization over the last axes (PyTorch's F.layer_norm), composed of reductions
// and elementwise ops so the tape gives its backward. There is no sqrt op: 1/sqrt(var + eps) is
// exp(-0.5 log(var + eps)), within a few float32 ulps of the direct form for var + eps > 0.

import type { Tensor } from '../tensor.js';
import { tidy } from '../scope.js';
import { add, exp, log, mul, sub } from './elementwise.js';
import { mean } from './reduce.js';

/**
 * (x - mean) / sqrt(var + eps) over the last `dims` axes (biased variance, as PyTorch), then
 * * weight + bias when given (shaped like those axes). Shapes are the caller's to check.
 */
export function layerNorm(
  x: Tensor<'float32'>,
  dims: number,
  weight: Tensor<'float32'> | null,
  bias: Tensor<'float32'> | null,
  eps: number,
): Tensor<'float32'> {
  return tidy(() => {
    const axes = Array.from({ length: dims }, (_, i) => x.rank - dims + i);
    const centered = sub(x, mean(x, axes, { keepDims: true }));
    const variance = mean(mul(centered, centered), axes, { keepDims: true });
    let y = mul(centered, exp(mul(log(add(variance, eps)), -0.5)));
    if (weight !== null) y = mul(y, weight);
    if (bias !== null) y = add(y, bias);
    return y;
  });
}
