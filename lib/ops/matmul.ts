// matmul: a [..., M, K] @ b [..., K, N] with broadcast batch dims, on oneDNN. Backward:
// dA = dC @ bᵀ, dB = aᵀ @ dC (transposes are views), summed over broadcast batch dims.

import { record, type Float } from '../autograd.js';
import type { Tensor } from '../tensor.js';
import { checkSameDevice, handle, nativeOp } from './call.js';
import { sumTo } from './reduce.js';
import { transpose } from './views.js';

export function matmul(a: Tensor<'float32'>, b: Tensor<'float32'>): Tensor<'float32'> {
  const ha = handle('matmul', 'a', a);
  const hb = handle('matmul', 'b', b);
  checkSameDevice('matmul', [['a', a], ['b', b]]);
  const out = nativeOp((n) => n.matmul(ha, hb));
  const aShape = a.shape;
  const bShape = b.shape;
  return record('matmul', out, [a, b], [a, b], (g, saved) => {
    const [sa, sb] = saved as [Float, Float];
    const bt = transpose(sb);
    const at = transpose(sa);
    const ga = matmul(g, bt);
    const gb = matmul(at, g);
    bt.dispose();
    at.dispose();
    const result = [sumTo(ga, aShape), sumTo(gb, bShape)];
    ga.dispose();
    gb.dispose();
    return result;
  });
}
