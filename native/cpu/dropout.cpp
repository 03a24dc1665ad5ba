// The dropout op: a mask from the shared counter-based generator, then out = x * mask.
#include "cpu/cpu_backend.h"
#include "cpu/dropout_mask.h"
#include "cpu/strided_loop.h"

namespace rk::cpu {

void CpuBackend::dropout(const Tensor& x, double p, uint64_t seed, const Tensor& out,
                         const Tensor& mask) {
  float* m = mask.data<float>();
  fillDropoutMask(m, mask.numel(), p, seed, kDropoutOpStream);
  mapElements(
      x.shape, [](float v, float k) { return v * k; },
      Operand<float>{out.data<float>(), out.strides},
      Operand<const float>{x.data<const float>(), x.strides},
      Operand<const float>{m, mask.strides});
}

}  // namespace rk::cpu
