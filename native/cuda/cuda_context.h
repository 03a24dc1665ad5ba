// What every CUDA launcher needs: the device's stream, the library handles bound to that stream,
// and the stream-ordered allocator for workspaces. The CUDA backend owns one per device and uses
// it only from that device's stream worker, so nothing here is locked.
#pragma once

#include <cstddef>

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

namespace rk::cuda {

struct CudaContext {
  int device = 0;
  cudaStream_t stream = nullptr;
  cudnnHandle_t cudnn = nullptr;
  cublasHandle_t cublas = nullptr;
  cudaDeviceProp properties{};

  /** Stream-ordered device memory (cudaMallocAsync on the device's pool); RK_OUT_OF_MEMORY. */
  void* allocate(size_t bytes);
  /** Frees in stream order: work queued before this call may still use the block. */
  void deallocate(void* data, size_t bytes) noexcept;
};

}  // namespace rk::cuda
