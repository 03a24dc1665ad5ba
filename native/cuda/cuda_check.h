// Turning CUDA runtime, cuDNN and cuBLAS failures into rk::Error with the library's status text
// and our file:line (the llm.c cudaCheck habit). Allocation failures become RK_OUT_OF_MEMORY, so
// lib/errors.ts raises OutOfMemoryError and the device stays usable.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include "core/error.h"

namespace rk::cuda {

[[noreturn]] void failCuda(const char* file, int line, cudaError_t status, const char* expr);
[[noreturn]] void failCudnn(const char* file, int line, cudnnStatus_t status, const char* expr);
[[noreturn]] void failCublas(const char* file, int line, cublasStatus_t status, const char* expr);

}  // namespace rk::cuda

#define CUDA_CHECK(expr)                                                                        \
  do {                                                                                          \
    cudaError_t rk_status_ = (expr);                                                            \
    if (rk_status_ != cudaSuccess) ::rk::cuda::failCuda(__FILE__, __LINE__, rk_status_, #expr); \
  } while (0)

#define CUDNN_CHECK(expr) RK_CUDNN_STATUS_CHECK((expr), #expr)
#define CUBLAS_CHECK(expr) RK_CUBLAS_STATUS_CHECK((expr), #expr)

/**
 * CUDNN_CHECK / CUBLAS_CHECK of a call that may allocate device memory of its own (cuDNN's RNN
 * calls, cuBLAS's GEMMs): run through `context`'s retryOutOfMemory, so a lack of memory is
 * RK_OUT_OF_MEMORY only if the call fails again after the pool's cached blocks were released.
 */
#define CUDNN_CHECK_ALLOCATING(context, expr) \
  RK_CUDNN_STATUS_CHECK((context).retryOutOfMemory([&] { return (expr); }), #expr)
#define CUBLAS_CHECK_ALLOCATING(context, expr) \
  RK_CUBLAS_STATUS_CHECK((context).retryOutOfMemory([&] { return (expr); }), #expr)

#define RK_CUDNN_STATUS_CHECK(status, text)                        \
  do {                                                             \
    cudnnStatus_t rk_status_ = (status);                           \
    if (rk_status_ != CUDNN_STATUS_SUCCESS)                        \
      ::rk::cuda::failCudnn(__FILE__, __LINE__, rk_status_, text); \
  } while (0)

#define RK_CUBLAS_STATUS_CHECK(status, text)                        \
  do {                                                              \
    cublasStatus_t rk_status_ = (status);                           \
    if (rk_status_ != CUBLAS_STATUS_SUCCESS)                        \
      ::rk::cuda::failCublas(__FILE__, __LINE__, rk_status_, text); \
  } while (0)
