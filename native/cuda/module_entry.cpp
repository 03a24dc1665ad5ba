// rnnkit_cuda.so's one exported symbol: the ModuleApi the addon's loader (core/cuda_module.cpp)
// asks for. Every entry catches its own failures and reports them as text.
#include <cuda_profiler_api.h>
#include <nvtx3/nvToolsExt.h>

#include "cuda/cuda_backend.h"
#include "cuda/cuda_check.h"
#include "cuda/module_storage.h"

namespace rk::cuda {

namespace {

std::string describe(cudaError_t status) {
  return str(cudaGetErrorName(status), ": ", cudaGetErrorString(status));
}

int deviceCount(std::string& reason) {
  int count = 0;
  cudaError_t status = cudaGetDeviceCount(&count);
  if (status == cudaSuccess && count > 0) return count;
  cudaGetLastError();
  if (status == cudaSuccess || status == cudaErrorNoDevice) {
    reason =
        "no CUDA-capable GPU is visible; to fix: check that nvidia-smi lists a GPU and that "
        "CUDA_VISIBLE_DEVICES does not hide it, or use device 'cpu'";
  } else if (status == cudaErrorInsufficientDriver) {
    // The runtime's version from its header, not libraryVersions(): that asks cuDNN too, which
    // would load libcudnn_graph (128 MB) only to say that the driver is too old.
    reason = str("the NVIDIA driver is too old for CUDA ", CUDART_VERSION / 1000, ".",
                 CUDART_VERSION % 1000 / 10, " (", describe(status),
                 "); to fix: update the NVIDIA driver");
  } else {
    reason = str("the CUDA runtime could not start (", describe(status),
                 "); to fix: check the GPU and its driver with nvidia-smi");
  }
  return 0;
}

// Listing GPUs must not create a context on each: a primary context costs hundreds of MB of
// device memory and up to seconds per GPU, and stays until the process ends.
// cudaGetDeviceProperties needs none (totalGlobalMem is the device's memory). cudaSetDevice
// (which, since CUDA 12, initializes the device's primary context) and cudaMemGetInfo run only
// where the backend made that context already. Every backend call makes its own device
// current, so changing the calling thread's device here disturbs none of them.
bool gpuProperties(int device, bool hasBackend, GpuProperties& out, std::string& error) {
  cudaDeviceProp p{};
  size_t free = 0, total = 0;
  cudaError_t status = cudaGetDeviceProperties(&p, device);
  if (status == cudaSuccess && hasBackend) {
    status = cudaSetDevice(device);
    if (status == cudaSuccess) status = cudaMemGetInfo(&free, &total);
  }
  if (status != cudaSuccess) {
    cudaGetLastError();
    error = str("cuda:", device, " cannot be queried: ", describe(status));
    return false;
  }
  out.name = p.name;
  out.major = p.major;
  out.minor = p.minor;
  out.totalMemory = p.totalGlobalMem;
  if (hasBackend) out.freeMemory = free;
  out.multiprocessors = p.multiProcessorCount;
  return true;
}

Backend* createBackend(int device, std::string& error) {
  try {
    return new CudaBackend(device);
  } catch (const std::exception& e) {
    error = e.what();
  } catch (...) {
    error = "unknown failure";
  }
  return nullptr;
}

template <cudaError_t (*Call)()>
bool profiler(int device, std::string& error) {
  cudaError_t status = cudaSetDevice(device);
  if (status == cudaSuccess) status = Call();
  if (status == cudaSuccess) return true;
  cudaGetLastError();
  error = describe(status);
  return false;
}

void rangePush(const char* name) { nvtxRangePushA(name); }
void rangePop() { nvtxRangePop(); }

const ModuleApi kApi{
    kModuleApiVersion,
    deviceCount,
    gpuProperties,
    libraryVersions,
    createBackend,
    profiler<cudaProfilerStart>,
    profiler<cudaProfilerStop>,
    rangePush,
    rangePop,
};

}  // namespace

}  // namespace rk::cuda

extern "C" __attribute__((visibility("default"))) const rk::cuda::ModuleApi* rnnkit_cuda_module(
    int version, const rk::cuda::HostApi* host) {
  if (version != rk::cuda::kModuleApiVersion || !host) return nullptr;
  rk::cuda::setHost(host);
  return &rk::cuda::kApi;
}
