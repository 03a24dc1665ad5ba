// The dropout op: mask[i] = 0 or 1/(1-p) from core/dropout_hash.h (the CPU's generator, so a seed
// drops the same elements on both devices), out = x * mask, in one pass.
#include "core/dropout_hash.h"
#include "cuda/kernels.h"
#include "cuda/launch.cuh"
#include "cuda/strided_index.h"

namespace rk::cuda {

namespace {

__global__ void dropoutKernel(StridedIndex<1> xIndex, int64_t n, const float* x, uint64_t key,
                              double p, float scale, float* out, float* mask) {
  RK_GRID_LOOP(i, n) {
    float m = dropoutDrops(key, static_cast<uint64_t>(i), p) ? 0.0f : scale;
    mask[i] = m;
    out[i] = x[xIndex.offset(i)] * m;
  }
}

}  // namespace

void dropoutOp(CudaContext& context, const Tensor& x, double p, uint64_t seed, const Tensor& out,
               const Tensor& mask) {
  int64_t n = x.numel();
  if (n == 0) return;
  const float scale = static_cast<float>(1.0 / (1.0 - p));
  dropoutKernel<<<gridFor(n), kBlock, 0, context.stream>>>(
      makeIndex<1>(x.shape, {x.strides}), n, x.data<const float>(),
      dropoutKey(seed, kDropoutOpStream), p, scale, out.data<float>(), mask.data<float>());
  RK_CHECK_LAUNCH();
}

}  // namespace rk::cuda
