#include "cuda/rnn_cudnn_kernels.h"

#include <algorithm>

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "core/error.h"
#include "cuda/cuda_check.h"

namespace rk::cuda {

namespace {

constexpr int kThreads = 256;

unsigned blocksFor(int64_t n) {
  // A grid-stride loop covers the rest; this many blocks fills any GPU.
  return static_cast<unsigned>(std::min<int64_t>((n + kThreads - 1) / kThreads, 65535));
}

struct Dims {
  int64_t shape[3];
  int64_t strides[3];
};

template <class Src, class Dst>
__global__ void copyConvertKernel(const Src* __restrict__ src, Dims dims, Dst* __restrict__ dst,
                                  int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t k = i % dims.shape[2];
    int64_t rest = i / dims.shape[2];
    int64_t j = rest % dims.shape[1];
    int64_t h = rest / dims.shape[1];
    float v =
        static_cast<float>(src[h * dims.strides[0] + j * dims.strides[1] + k * dims.strides[2]]);
    dst[i] = Dst(v);
  }
}

template <class Src, class Dst>
void launchCopy(cudaStream_t stream, const StridedView& src, void* dst) {
  Dims dims{{src.shape[0], src.shape[1], src.shape[2]},
            {src.strides[0], src.strides[1], src.strides[2]}};
  int64_t n = dims.shape[0] * dims.shape[1] * dims.shape[2];
  if (n == 0) return;
  copyConvertKernel<Src, Dst><<<blocksFor(n), kThreads, 0, stream>>>(
      static_cast<const Src*>(src.data), dims, static_cast<Dst*>(dst), n);
  CUDA_CHECK(cudaGetLastError());
}

template <class Src>
void launchFrom(cudaStream_t stream, const StridedView& src, void* dst, cudnnDataType_t dstType) {
  switch (dstType) {
    case CUDNN_DATA_FLOAT:
      return launchCopy<Src, float>(stream, src, dst);
    case CUDNN_DATA_HALF:
      return launchCopy<Src, __half>(stream, src, dst);
    case CUDNN_DATA_BFLOAT16:
      return launchCopy<Src, __nv_bfloat16>(stream, src, dst);
    default:
      break;
  }
  fail(Error::Code::Backend, "copyConvert: unsupported destination type ", int(dstType));
}

__global__ void zeroPaddingKernel(float* __restrict__ data, bool batchFirst, int64_t batch,
                                  int64_t time, int64_t channels,
                                  const int32_t* __restrict__ lengths, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t row = i / channels;  // b * T + t (batchFirst) or t * B + b
    int64_t b = batchFirst ? row / time : row % batch;
    int64_t t = batchFirst ? row % time : row / batch;
    if (t >= lengths[b]) data[i] = 0.0f;
  }
}

}  // namespace

void copyConvert(cudaStream_t stream, const StridedView& src, cudnnDataType_t srcType, void* dst,
                 cudnnDataType_t dstType) {
  switch (srcType) {
    case CUDNN_DATA_FLOAT:
      return launchFrom<float>(stream, src, dst, dstType);
    case CUDNN_DATA_HALF:
      return launchFrom<__half>(stream, src, dst, dstType);
    case CUDNN_DATA_BFLOAT16:
      return launchFrom<__nv_bfloat16>(stream, src, dst, dstType);
    default:
      break;
  }
  fail(Error::Code::Backend, "copyConvert: unsupported source type ", int(srcType));
}

void zeroPadding(cudaStream_t stream, float* data, bool batchFirst, int64_t batch, int64_t time,
                 int64_t channels, const int32_t* lengths) {
  int64_t n = batch * time * channels;
  if (n == 0) return;
  zeroPaddingKernel<<<blocksFor(n), kThreads, 0, stream>>>(data, batchFirst, batch, time, channels,
                                                           lengths, n);
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace rk::cuda
