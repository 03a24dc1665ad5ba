#include "core/device.h"

#include "core/error.h"

namespace rk {

Device parseDevice(const std::string& name) {
  if (name == "cpu") return Device{DeviceKind::Cpu};
  if (name.compare(0, 4, "cuda") == 0) {
    fail(Error::Code::Device, "device '", name,
         "' is not available: this build of rnnkit has no CUDA backend (devices: 'cpu')");
  }
  fail(Error::Code::Device, "unknown device '", name, "' (devices: 'cpu')");
}

std::string deviceName(Device) { return "cpu"; }

}  // namespace rk
