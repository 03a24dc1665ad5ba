// softmax / logSoftmax along any axis and their gradients: one block per line along the axis,
// max-subtracted, sums in double (as the CPU's softmax.cpp).
#include <cmath>

#include "cuda/kernels.h"
#include "cuda/launch.cuh"
#include "cuda/strided_index.h"

namespace rk::cuda {

namespace {

// lines: (x, out) offsets of each line's first element; xs/os: strides along the axis.
__global__ void softmaxKernel(StridedIndex<2> lines, int64_t count, int64_t n, int64_t xs,
                              int64_t os, bool log, const float* x, float* out) {
  for (int64_t line = blockIdx.x; line < count; line += gridDim.x) {
    int64_t at[2];
    lines.offsets(line, at);
    const float* in = x + at[0];
    float* o = out + at[1];
    double max = -INFINITY;
    for (int64_t j = threadIdx.x; j < n; j += blockDim.x) max = MaxNanOp{}(max, double(in[j * xs]));
    max = blockReduce(max, MaxNanOp{});
    double sum = 0;
    for (int64_t j = threadIdx.x; j < n; j += blockDim.x) sum += exp(double(in[j * xs]) - max);
    sum = blockReduce(sum, SumOp{});
    double shift = max + ::log(sum);
    for (int64_t j = threadIdx.x; j < n; j += blockDim.x) {
      o[j * os] = log ? static_cast<float>(in[j * xs] - shift)
                      : static_cast<float>(exp(double(in[j * xs]) - max) / sum);
    }
  }
}

// lines: (grad, y, out) offsets; gs/ys/os: strides along the axis.
__global__ void softmaxBackwardKernel(StridedIndex<3> lines, int64_t count, int64_t n, int64_t gs,
                                      int64_t ys, int64_t os, bool log, const float* grad,
                                      const float* y, float* out) {
  for (int64_t line = blockIdx.x; line < count; line += gridDim.x) {
    int64_t at[3];
    lines.offsets(line, at);
    const float* g = grad + at[0];
    const float* yl = y + at[1];
    float* o = out + at[2];
    // log: dx = g - exp(y) * sum(g); else dx = y * (g - sum(g * y)).
    double acc = 0;
    for (int64_t j = threadIdx.x; j < n; j += blockDim.x) {
      acc += log ? double(g[j * gs]) : double(g[j * gs]) * yl[j * ys];
    }
    acc = blockReduce(acc, SumOp{});
    for (int64_t j = threadIdx.x; j < n; j += blockDim.x) {
      o[j * os] = log ? static_cast<float>(g[j * gs] - exp(double(yl[j * ys])) * acc)
                      : static_cast<float>(yl[j * ys] * (g[j * gs] - acc));
    }
  }
}

/** shape and strides without `axis`: one entry per line. */
Shape without(const Shape& v, size_t axis) {
  Shape out = v;
  out.erase(out.begin() + static_cast<std::ptrdiff_t>(axis));
  return out;
}

unsigned lineBlocks(int64_t lines) {
  return static_cast<unsigned>(lines < 65535 * 4 ? (lines < 1 ? 1 : lines) : 65535 * 4);
}

}  // namespace

void softmaxOp(CudaContext& context, const Tensor& x, int64_t axis, bool log, const Tensor& out) {
  size_t dim = static_cast<size_t>(axis);
  int64_t n = x.shape[dim], count = n == 0 ? 0 : x.numel() / n;
  if (count == 0) return;
  auto lines =
      makeIndex<2>(without(x.shape, dim), {without(x.strides, dim), without(out.strides, dim)});
  softmaxKernel<<<lineBlocks(count), kBlock, 0, context.stream>>>(
      lines, count, n, x.strides[dim], out.strides[dim], log, x.data<const float>(),
      out.data<float>());
  RK_CHECK_LAUNCH();
}

void softmaxBackwardOp(CudaContext& context, const Tensor& grad, const Tensor& y, int64_t axis,
                       bool log, const Tensor& out) {
  size_t dim = static_cast<size_t>(axis);
  int64_t n = y.shape[dim], count = n == 0 ? 0 : y.numel() / n;
  if (count == 0) return;
  auto lines = makeIndex<3>(
      without(y.shape, dim),
      {without(grad.strides, dim), without(y.strides, dim), without(out.strides, dim)});
  softmaxBackwardKernel<<<lineBlocks(count), kBlock, 0, context.stream>>>(
      lines, count, n, grad.strides[dim], y.strides[dim], out.strides[dim], log,
      grad.data<const float>(), y.data<const float>(), out.data<float>());
  RK_CHECK_LAUNCH();
}

}  // namespace rk::cuda
