// Where a tensor lives. Only the CPU exists today; CUDA devices get their own kind later.
#pragma once

#include <string>

namespace rk {

enum class DeviceKind { Cpu };
constexpr int kDeviceKindCount = 1;

struct Device {
  DeviceKind kind = DeviceKind::Cpu;

  bool operator==(const Device& other) const { return kind == other.kind; }
  bool operator!=(const Device& other) const { return !(*this == other); }
};

/** "cpu" -> Device; anything else throws RK_DEVICE naming the devices this build has. */
Device parseDevice(const std::string& name);
std::string deviceName(Device device);

}  // namespace rk
