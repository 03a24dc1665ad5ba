#include "core/storage.h"

#include "core/backend.h"

namespace rk {

static std::atomic<int64_t> gAllocatedBytes[kDeviceSlots];

std::shared_ptr<Storage> Storage::allocate(Device device, DType dtype, int64_t numel) {
  size_t bytes = static_cast<size_t>(numel) * dtypeSize(dtype);
  void* data = backendFor(device).allocate(bytes);
  gAllocatedBytes[device.slot()] += static_cast<int64_t>(bytes);
  try {
    return std::shared_ptr<Storage>(new Storage(device, dtype, numel, bytes, data));
  } catch (...) {
    // Only the control block allocation can throw here.
    gAllocatedBytes[device.slot()] -= static_cast<int64_t>(bytes);
    backendFor(device).deallocate(data, bytes);
    throw;
  }
}

Storage::~Storage() {
  backendFor(device_).deallocate(data_, bytes_);
  gAllocatedBytes[device_.slot()] -= static_cast<int64_t>(bytes_);
}

int64_t allocatedBytes(Device device) { return gAllocatedBytes[device.slot()].load(); }

}  // namespace rk
