// A refcounted block of device memory. Tensors and queued tasks share it through shared_ptr;
// the last owner frees it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "core/device.h"
#include "core/dtype.h"

namespace rk {

class Storage {
 public:
  /** Allocates `numel` elements (uninitialised) through the device's backend; RK_OUT_OF_MEMORY on
   * failure. */
  static std::shared_ptr<Storage> allocate(Device device, DType dtype, int64_t numel);

  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  int64_t numel() const { return numel_; }
  size_t bytes() const { return bytes_; }
  DType dtype() const { return dtype_; }
  Device device() const { return device_; }

  /**
   * True when no queued task is still to write this storage (at once for storages filled from
   * JS). Only `assign` writes into a storage that was ready before; it counts as a pending write
   * too, so a ready storage does not change under a reader on the JS thread.
   */
  bool ready() const { return pendingWrites.load(std::memory_order_acquire) == 0; }

  /** Tasks queued to write this storage and not yet run (Stream keeps the count). */
  std::atomic<int> pendingWrites{0};

 private:
  Storage(Device device, DType dtype, int64_t numel, size_t bytes, void* data)
      : device_(device), dtype_(dtype), numel_(numel), bytes_(bytes), data_(data) {}

  Device device_;
  DType dtype_;
  int64_t numel_;
  size_t bytes_;
  void* data_;
};

/** Bytes held by live storages on `device`. */
int64_t allocatedBytes(Device device);

}  // namespace rk
