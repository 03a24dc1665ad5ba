// Element offsets of strided views inside kernels. The host folds the views' dims (dropping
// size-1 dims, merging dims that are contiguous for every operand) into at most kMaxDims; a
// kernel then maps a row-major linear index to each operand's element offset.
#pragma once

#include <array>
#include <cstdint>

#include "core/shape.h"

#if defined(__CUDACC__)
#define RK_HOST_DEVICE_INDEX __host__ __device__
#else
#define RK_HOST_DEVICE_INDEX
#endif

namespace rk::cuda {

constexpr int kMaxDims = 10;

template <int N>
struct StridedIndex {
  int rank = 0;
  int64_t shape[kMaxDims] = {};
  int64_t strides[N][kMaxDims] = {};

  /** out[k] = operand k's offset of the element at row-major `linear`. */
  RK_HOST_DEVICE_INDEX void offsets(int64_t linear, int64_t (&out)[N]) const {
    for (int k = 0; k < N; ++k) out[k] = 0;
    for (int d = rank - 1; d >= 0; --d) {
      int64_t i = linear % shape[d];
      linear /= shape[d];
      for (int k = 0; k < N; ++k) out[k] += i * strides[k][d];
    }
  }

  RK_HOST_DEVICE_INDEX int64_t offset(int64_t linear) const {
    int64_t out[N];
    offsets(linear, out);
    return out[0];
  }
};

/**
 * The index of `shape` read through each operand's strides (same rank as shape). Throws RK_SHAPE
 * when the folded view still has more than kMaxDims dims.
 */
template <int N>
StridedIndex<N> makeIndex(const Shape& shape, const std::array<Strides, N>& strides);

}  // namespace rk::cuda
