#include "cuda/cuda_context.h"

#include "cuda/cuda_check.h"

namespace rk::cuda {

void* CudaContext::allocate(size_t bytes) {
  if (bytes == 0) return nullptr;
  void* data = nullptr;
  cudaError_t status = cudaMallocAsync(&data, bytes, stream);
  if (status == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    // Blocks freed in stream order return to the pool once the stream has passed their frees.
    CUDA_CHECK(cudaStreamSynchronize(stream));
    status = cudaMallocAsync(&data, bytes, stream);
  }
  if (status == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    // The free blocks may all be too small (or held for cuDNN's and cuBLAS's own cudaMalloc):
    // return them to the driver, which can then map one block of the size asked for.
    releaseCachedMemory();
    status = cudaMallocAsync(&data, bytes, stream);
  }
  if (status == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    size_t free = 0, total = 0;
    cudaMemGetInfo(&free, &total);
    fail(Error::Code::OutOfMemory, "CUDA out of memory: cannot allocate ", bytes,
         " bytes on cuda:", device, " (", free, " of ", total, " bytes free)");
  }
  CUDA_CHECK(status);
  return data;
}

void CudaContext::releaseCachedMemory() {
  CUDA_CHECK(cudaStreamSynchronize(stream));
  CUDA_CHECK(cudaMemPoolTrimTo(pool, 0));
}

void CudaContext::deallocate(void* data, size_t) noexcept {
  if (!data) return;
  // Any thread may drop a storage's last reference; at process exit the runtime may already be
  // gone, and then there is nothing left to free.
  if (cudaSetDevice(device) != cudaSuccess || cudaFreeAsync(data, stream) != cudaSuccess) {
    cudaGetLastError();
  }
}

}  // namespace rk::cuda
