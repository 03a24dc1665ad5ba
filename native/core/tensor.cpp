#include "core/tensor.h"

namespace rk {

bool Tensor::isContiguous() const {
  if (numel() == 0) return true;
  int64_t expected = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    if (shape[i] != 1 && strides[i] != expected) return false;
    expected *= shape[i];
  }
  return true;
}

Tensor emptyTensor(Device device, DType dtype, const Shape& shape) {
  Tensor t;
  t.storage = Storage::allocate(device, dtype, numel(shape));
  t.shape = shape;
  t.strides = contiguousStrides(shape);
  t.dtype = dtype;
  t.device = device;
  return t;
}

}  // namespace rk
