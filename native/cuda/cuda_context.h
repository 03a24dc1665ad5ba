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
  cudaMemPool_t pool = nullptr;      // the device's default pool, which allocate() draws from
  PinnedStaging* staging = nullptr;  // the backend's

  /**
   * Stream-ordered device memory (cudaMallocAsync on the device's pool). When the pool cannot
   * serve it, waits for the stream (pending frees return their blocks) and tries again, then
   * releases the cached memory and tries once more; RK_OUT_OF_MEMORY after that.
   */
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

  /**
   * Waits for the stream, then hands the pool's free blocks back to the driver. The pool keeps
   * freed blocks (its release threshold is unlimited), which only cudaMallocAsync can reuse: the
   * cudaMalloc inside cuDNN and cuBLAS, and a pool allocation bigger than any free block, need
   * them returned first.
   */
  void releaseCachedMemory();

  /**
   * Runs `call`, a cuDNN or cuBLAS call that may allocate device memory itself, and once more
   * after releaseCachedMemory() if it failed for lack of memory; returns its last status
   * (checked by CUDNN_CHECK_ALLOCATING / CUBLAS_CHECK_ALLOCATING). Running a call again assumes
   * that cuDNN and cuBLAS get their memory before they queue work, so a call that failed for lack
   * of it queued nothing; a call whose output accumulates resets it inside `call` all the same.
   */
  template <class Call>
  auto retryOutOfMemory(Call&& call) {
    auto status = call();
    if (isAllocationFailure(status)) {
      releaseCachedMemory();
      status = call();
    }
    return status;
  }

 private:
  static bool isAllocationFailure(cudnnStatus_t status) {
    // cuDNN 9 tells device from host allocation failures; the deprecated CUDNN_STATUS_ALLOC_FAILED
    // is an alias of the host one, which older code paths may return for any memory: both count.
    return status == CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED ||
           status == CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED;
  }
  static bool isAllocationFailure(cublasStatus_t status) {
    return status == CUBLAS_STATUS_ALLOC_FAILED;
  }
};

}  // namespace rk::cuda
