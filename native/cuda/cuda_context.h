// What every CUDA launcher needs: the device's stream, the library handles bound to that stream,
// the stream-ordered allocator for workspaces and the pinned staging for host data. The CUDA
// backend owns one per device and uses it only from that device's stream worker, so nothing here
// is locked (the staging locks itself: uploads also come from the JS thread).
#pragma once

#include <cstddef>

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include "cuda/pinned_staging.h"

namespace rk::cuda {

struct CudaContext {
  int device = 0;
  cudaStream_t stream = nullptr;
  cudnnHandle_t cudnn = nullptr;
  cublasHandle_t cublas = nullptr;
  cudaDeviceProp properties{};
  PinnedStaging* staging = nullptr;  // the backend's

  /** Stream-ordered device memory (cudaMallocAsync on the device's pool); RK_OUT_OF_MEMORY. */
  void* allocate(size_t bytes);
  /** Frees in stream order: work queued before this call may still use the block. */
  void deallocate(void* data, size_t bytes) noexcept;
  /**
   * Copies host bytes to device memory in stream order through the pinned staging: returns once
   * `host` has been read, and waits for the GPU only when the staging ring is full.
   */
  void copyToDevice(void* device, const void* host, size_t bytes) const {
    staging->copyToDevice(device, host, bytes, stream);
  }
};

}  // namespace rk::cuda
