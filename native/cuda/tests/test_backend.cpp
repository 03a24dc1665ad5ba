// The native tests link the CUDA backend directly (no module, no loader): cudaBackend() makes
// the device's CudaBackend here, as core/cuda_module.cpp does through the module in the addon.
#include <mutex>

#include "core/backend.h"
#include "core/error.h"
#include "cuda/cuda_backend.h"

namespace rk {

namespace {
std::mutex gMutex;
Backend* gBackends[kMaxCudaDevices];  // never deleted, as in the addon
}  // namespace

Backend& cudaBackend(int index) {
  std::lock_guard<std::mutex> lock(gMutex);
  if (!gBackends[index]) {
    try {
      gBackends[index] = new cuda::CudaBackend(index);
    } catch (const Error& e) {
      fail(Error::Code::Device, "device 'cuda:", index, "' is not available: ", e.message());
    }
  }
  return *gBackends[index];
}

std::vector<Device> cudaDevicesInUse() {
  std::lock_guard<std::mutex> lock(gMutex);
  std::vector<Device> devices;
  for (int i = 0; i < kMaxCudaDevices; ++i) {
    if (gBackends[i]) devices.push_back(Device{DeviceKind::Cuda, i});
  }
  return devices;
}

}  // namespace rk
