// A tensor is a strided view of a storage: (storage, offset, shape, strides, dtype, device).
#pragma once

#include <memory>

#include "core/shape.h"
#include "core/storage.h"

namespace rk {

struct Tensor {
  std::shared_ptr<Storage> storage;
  int64_t offset = 0;  // in elements
  Shape shape;
  Strides strides;  // in elements
  DType dtype = DType::Float32;
  Device device;

  size_t rank() const { return shape.size(); }
  int64_t numel() const { return rk::numel(shape); }
  bool isContiguous() const;

  /** Pointer to element 0 of the view (storage base + offset). */
  template <class T>
  T* data() const {
    return static_cast<T*>(storage->data()) + offset;
  }
};

/** A new, contiguous, uninitialised tensor. */
Tensor emptyTensor(Device device, DType dtype, const Shape& shape);

}  // namespace rk
