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
  /** Allocates `numel` elements (uninitialised) through the device's backend; RK_OUT_OF_MEMORY on failure. */
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
   * True once the task that writes this storage has run (true at once for storages filled from
   * JS). A ready storage never changes again: no op writes into an existing storage.
   */
  std::atomic<bool> ready{false};

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
