// The small kernels around the cuDNN RNN calls: strided views to contiguous buffers with a type
// change (float32 <-> float16 / bfloat16 for the half-precision paths), and zeroing the padded
// steps of a [B, T, C] / [T, B, C] buffer past each sequence's length.
#pragma once

#include <cstddef>
#include <cstdint>

#include <cuda_runtime.h>
#include <cudnn.h>

namespace rk::cuda {

/** Bytes of one element of the types below (float32, or a half-width float). */
inline size_t typeBytes(cudnnDataType_t type) { return type == CUDNN_DATA_FLOAT ? 4 : 2; }

/** A strided view of up to 3 dims (leading dims of size 1 for fewer), in elements. */
struct StridedView {
  const void* data = nullptr;  // element 0 of the view
  int64_t shape[3] = {1, 1, 1};
  int64_t strides[3] = {0, 0, 0};
};

/**
 * dst (contiguous, row-major over src's shape, element type `dstType`) = src converted from
 * `srcType`. Types: CUDNN_DATA_FLOAT, CUDNN_DATA_HALF, CUDNN_DATA_BFLOAT16 (float32 on one side).
 */
void copyConvert(cudaStream_t stream, const StridedView& src, cudnnDataType_t srcType, void* dst,
                 cudnnDataType_t dstType);

/**
 * Sets to 0 every step t >= lengths[b] of the float32 buffer `data`, [B, T, C] when batchFirst
 * else [T, B, C]; `lengths` is a device array of B entries.
 */
void zeroPadding(cudaStream_t stream, float* data, bool batchFirst, int64_t batch, int64_t time,
                 int64_t channels, const int32_t* lengths);

}  // namespace rk::cuda
