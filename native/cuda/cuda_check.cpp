#include "cuda/cuda_check.h"

namespace rk::cuda {

void failCuda(const char* file, int line, cudaError_t status, const char* expr) {
  if (status == cudaErrorMemoryAllocation) {
    cudaGetLastError();  // clear the sticky-free error so the next call on this device works
    fail(Error::Code::OutOfMemory, "CUDA out of memory in ", expr, " (at ", file, ":", line, ")");
  }
  failBackend(
      file, line,
      str("CUDA ", cudaGetErrorName(status), ": ", cudaGetErrorString(status), " in ", expr));
}

void failCudnn(const char* file, int line, cudnnStatus_t status, const char* expr) {
  // cuDNN 9 tells device from host memory (its old CUDNN_STATUS_ALLOC_FAILED is the host's).
  if (status == CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED ||
      status == CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED) {
    const char* memory =
        status == CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED ? "device" : "host";
    fail(Error::Code::OutOfMemory, "cuDNN could not allocate ", memory, " memory in ", expr,
         " (at ", file, ":", line, ")");
  }
  failBackend(file, line, str("cuDNN ", cudnnGetErrorString(status), " in ", expr));
}

void failCublas(const char* file, int line, cublasStatus_t status, const char* expr) {
  if (status == CUBLAS_STATUS_ALLOC_FAILED) {
    fail(Error::Code::OutOfMemory, "cuBLAS could not allocate memory in ", expr, " (at ", file, ":",
         line, ")");
  }
  failBackend(file, line,
              str("cuBLAS ", cublasGetStatusName(status), ": ", cublasGetStatusString(status),
                  " in ", expr));
}

}  // namespace rk::cuda
