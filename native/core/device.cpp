#include "core/device.h"

#include <cctype>

#include "core/backend.h"
#include "core/error.h"

namespace rk {

namespace {

/** The N of "cuda:N" (digits only, below kMaxCudaDevices), or -1. */
int cudaOrdinal(const std::string& digits) {
  if (digits.empty() || digits.size() > 2) return -1;
  for (char c : digits) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return -1;
  }
  int n = std::stoi(digits);
  return n < kMaxCudaDevices ? n : -1;
}

}  // namespace

Device parseDevice(const std::string& name) {
  if (name == "cpu") return Device{};
  int index = -1;
  if (name == "cuda")
    index = 0;
  else if (name.compare(0, 5, "cuda:") == 0)
    index = cudaOrdinal(name.substr(5));
  if (index < 0) {
    fail(Error::Code::Device, "unknown device '", name, "' (devices: 'cpu', 'cuda', 'cuda:N')");
  }
  Device device{DeviceKind::Cuda, index};
  requireCudaDevice(device);
  return device;
}

std::string deviceName(Device device) {
  if (device.kind == DeviceKind::Cpu) return "cpu";
  return str("cuda:", device.index);
}

}  // namespace rk
