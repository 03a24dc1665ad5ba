// Launch shapes and block-wide reductions shared by the kernel files.
#pragma once

#include <cstdint>

#include "cuda/cuda_check.h"

namespace rk::cuda {

constexpr int kBlock = 256;

/** Blocks for a grid-stride loop over n items (capped: each thread loops over the rest). */
inline unsigned gridFor(int64_t n, int block = kBlock) {
  int64_t blocks = (n + block - 1) / block;
  if (blocks < 1) blocks = 1;
  return static_cast<unsigned>(blocks > 65535 * 8 ? 65535 * 8 : blocks);
}

/** Grid-stride loop over [0, n) with 64-bit indices. */
#define RK_GRID_LOOP(i, n)                                                               \
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); \
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)

/** Throws the launch's error (bad configuration, ...) with the caller's file:line. */
#define RK_CHECK_LAUNCH() CUDA_CHECK(cudaGetLastError())

/**
 * Combines one value per thread of a kBlock-thread block with `op` (associative), in a fixed
 * order (the result does not depend on timing). Every thread gets the result.
 */
template <class T, class Op>
__device__ T blockReduce(T value, Op op) {
  __shared__ T shared[kBlock];
  shared[threadIdx.x] = value;
  __syncthreads();
  for (int width = kBlock / 2; width > 0; width /= 2) {
    if (threadIdx.x < width)
      shared[threadIdx.x] = op(shared[threadIdx.x], shared[threadIdx.x + width]);
    __syncthreads();
  }
  T result = shared[0];
  __syncthreads();  // the buffer may be reused by the next call
  return result;
}

struct SumOp {
  template <class T>
  __device__ T operator()(T a, T b) const {
    return a + b;
  }
};

/** max that keeps NaN (as the CPU's). */
struct MaxNanOp {
  __device__ double operator()(double a, double b) const { return (a != a || a >= b) ? a : b; }
};

}  // namespace rk::cuda
