#include "cuda/rnn_check.h"

#include "cuda/cuda_check.h"

namespace rk::cuda {

void checkRnnSetup(cudnnStatus_t status, cudnnDataType_t type, const char* file, int line,
                   const char* expr) {
  if (status == CUDNN_STATUS_SUCCESS) return;
  int category = CUDNN_STATUS_CATEGORY(status);
  bool refused = category == CUDNN_STATUS_NOT_SUPPORTED || category == CUDNN_STATUS_BAD_PARAM;
  if (refused && type != CUDNN_DATA_FLOAT) {
    // cuDNN's bf16 RNN support depends on its version and the GPU: say which ones refused.
    int device = 0;
    cudaGetDevice(&device);
    cudaDeviceProp prop{};
    cudaGetDeviceProperties(&prop, device);
    cudaGetLastError();
    const bool bf16 = type == CUDNN_DATA_BFLOAT16;
    fail(Error::Code::Backend, "rnn: cuDNN ", cudnnGetVersion(), " refuses precision '",
         bf16 ? "bf16" : "fp16", "' for this recurrent config on ", prop.name, " (sm_", prop.major,
         prop.minor, "): ", cudnnGetErrorString(status), " in ", expr, "; use precision ",
         bf16 ? "'fp16' (with a GradScaler) or 'tf32'" : "'tf32' or 'fp32'");
  }
  failCudnn(file, line, status, expr);
}

}  // namespace rk::cuda
