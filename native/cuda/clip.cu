// Global-norm gradient clipping on the device: each tensor's blocks write partial sums (or
// maxima) of |x|^p in double, one block combines them in a fixed order into the norm and the
// clip coefficient, and a scale kernel per tensor reads the coefficient on the device. No value
// comes back to the host.
#include <cmath>

#include "cuda/device_buffer.h"
#include "cuda/kernels.h"
#include "cuda/launch.cuh"
#include "cuda/strided_index.h"

namespace rk::cuda {

namespace {

constexpr int kPartialsPerTensor = 64;

/** partials[blockIdx.x] = this block's share of sum |x|^p, or of max |x| when p is infinite. */
__global__ void partialNormKernel(StridedIndex<1> index, int64_t n, const float* x, double p,
                                  double* partials) {
  const bool maxNorm = isinf(p);
  double acc = 0;
  RK_GRID_LOOP(i, n) {
    double a = fabs(static_cast<double>(x[index.offset(i)]));
    if (maxNorm)
      acc = MaxNanOp{}(acc, a);
    else
      acc += p == 2 ? a * a : p == 1 ? a : pow(a, p);
  }
  acc = maxNorm ? blockReduce(acc, MaxNanOp{}) : blockReduce(acc, SumOp{});
  if (threadIdx.x == 0) partials[blockIdx.x] = acc;
}

/** norm = the combined partials; coef = maxNorm / (norm + 1e-6) as torch rounds it (one block). */
__global__ void finishNormKernel(const double* partials, int64_t count, double p, double maxNorm,
                                 float* norm, float* coef) {
  const bool infinite = isinf(p);
  double acc = 0;
  for (int64_t i = threadIdx.x; i < count; i += blockDim.x) {
    acc = infinite ? MaxNanOp{}(acc, partials[i]) : acc + partials[i];
  }
  acc = infinite ? blockReduce(acc, MaxNanOp{}) : blockReduce(acc, SumOp{});
  if (threadIdx.x != 0) return;
  double total = infinite ? acc : p == 2 ? sqrt(acc) : p == 1 ? acc : pow(acc, 1 / p);
  float totalNorm = static_cast<float>(total);
  *norm = totalNorm;
  *coef = (1.0f / (totalNorm + 1e-6f)) * static_cast<float>(maxNorm);
}

}  // namespace

void clipGradNormOp(CudaContext& context, const std::vector<Tensor>& tensors, double maxNorm,
                    double normType, const Tensor& norm) {
  int64_t count = static_cast<int64_t>(tensors.size()) * kPartialsPerTensor;
  DeviceBuffer<double> partials(context, static_cast<size_t>(count));
  DeviceBuffer<float> coef(context, 1);
  CUDA_CHECK(cudaMemsetAsync(partials.data(), 0, partials.bytes(), context.stream));
  for (size_t t = 0; t < tensors.size(); ++t) {
    const Tensor& x = tensors[t];
    int64_t n = x.numel();
    if (n == 0) continue;
    unsigned blocks = gridFor(n) < kPartialsPerTensor ? gridFor(n) : kPartialsPerTensor;
    partialNormKernel<<<blocks, kBlock, 0, context.stream>>>(
        makeIndex<1>(x.shape, {x.strides}), n, x.data<const float>(), normType,
        partials.data() + t * kPartialsPerTensor);
    RK_CHECK_LAUNCH();
  }
  finishNormKernel<<<1, kBlock, 0, context.stream>>>(partials.data(), count, normType,
                                                     std::isinf(maxNorm) ? 1.0 : maxNorm,
                                                     norm.data<float>(), coef.data());
  RK_CHECK_LAUNCH();
  if (std::isinf(maxNorm)) return;
  for (const Tensor& x : tensors) scaleTensorBelowOne(context, x, coef.data());
}

}  // namespace rk::cuda
