// Scratch device memory for one kernel launch, from the stream-ordered allocator: freed in stream
// order when it goes out of scope, so the kernels queued before still see it.
#pragma once

#include <cstddef>

#include "cuda/cuda_context.h"

namespace rk::cuda {

template <class T>
class DeviceBuffer {
 public:
  DeviceBuffer(CudaContext& context, size_t count)
      : context_(&context),
        bytes_(count * sizeof(T)),
        data_(static_cast<T*>(context.allocate(bytes_))) {}
  ~DeviceBuffer() { context_->deallocate(data_, bytes_); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  T* data() const { return data_; }
  size_t bytes() const { return bytes_; }

 private:
  CudaContext* context_;
  size_t bytes_;
  T* data_;
};

}  // namespace rk::cuda
