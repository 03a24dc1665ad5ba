#include "core/backend.h"

namespace rk {

Backend& backendFor(Device device) {
  switch (device.kind) {
    case DeviceKind::Cpu: return cpuBackend();
  }
  return cpuBackend();
}

}  // namespace rk
