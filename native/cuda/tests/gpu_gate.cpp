#include "gpu_gate.h"

#include <cuda_runtime.h>
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/backend.h"

namespace rk::test {

int gpuGate(const char* test) {
  const char* require = std::getenv("RNNKIT_REQUIRE_GPU");
  const bool required = require && std::strcmp(require, "1") == 0;
  std::string noGpu;
  int count = 0;
  if (!dlopen("libcuda.so.1", RTLD_NOW | RTLD_GLOBAL)) {
    noGpu = "no NVIDIA driver (libcuda.so.1 does not load)";
  } else if (cudaError_t status = cudaGetDeviceCount(&count); status != cudaSuccess) {
    cudaGetLastError();
    if (status != cudaErrorNoDevice) {
      std::printf("FAIL %s: the CUDA runtime cannot start: %s: %s\n", test,
                  cudaGetErrorName(status), cudaGetErrorString(status));
      return 1;
    }
    noGpu = "cudaGetDeviceCount reports no CUDA device";
  } else if (count == 0) {
    noGpu = "cudaGetDeviceCount reports 0 CUDA devices";
  }
  if (!noGpu.empty()) {
    std::printf("%s %s: %s%s\n", required ? "FAIL" : "SKIP", test, noGpu.c_str(),
                required ? " (RNNKIT_REQUIRE_GPU=1)" : "");
    return required ? 1 : kSkip;
  }
  try {
    backendFor(Device{DeviceKind::Cuda, 0});
  } catch (const std::exception& e) {
    std::printf("FAIL %s: a CUDA device is visible but its backend cannot start: %s\n", test,
                e.what());
    return 1;
  }
  return -1;
}

}  // namespace rk::test
