// Where a tensor lives: the CPU, or CUDA device N ('cuda:N').
#pragma once

#include <string>

namespace rk {

enum class DeviceKind { Cpu, Cuda };

/** CUDA devices an address can name ('cuda:0' .. 'cuda:63'). */
constexpr int kMaxCudaDevices = 64;
/** One slot per addressable device: the CPU, then each CUDA device (per-device tables). */
constexpr int kDeviceSlots = 1 + kMaxCudaDevices;

struct Device {
  DeviceKind kind = DeviceKind::Cpu;
  int index = 0;  // the CUDA device ordinal; 0 for the CPU

  bool operator==(const Device& other) const { return kind == other.kind && index == other.index; }
  bool operator!=(const Device& other) const { return !(*this == other); }

  /** This device's slot in [0, kDeviceSlots). */
  int slot() const { return kind == DeviceKind::Cpu ? 0 : 1 + index; }
  static Device fromSlot(int slot) {
    return slot == 0 ? Device{} : Device{DeviceKind::Cuda, slot - 1};
  }
};

/**
 * "cpu", "cuda" (= "cuda:0") or "cuda:N" -> Device. Throws RK_DEVICE for anything else, and for
 * a CUDA device that is not available ("device 'cuda:0' is not available: <reason>").
 */
Device parseDevice(const std::string& name);
/** "cpu" or "cuda:N". */
std::string deviceName(Device device);

}  // namespace rk
