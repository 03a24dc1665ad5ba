#include "core/backend.h"

namespace rk {

Backend& backendFor(Device device) {
  if (device.kind == DeviceKind::Cuda) return cudaBackend(device.index);
  return cpuBackend();
}

void requireCudaDevice(Device device) {
  if (device.kind == DeviceKind::Cuda) cudaBackend(device.index);
}

}  // namespace rk
