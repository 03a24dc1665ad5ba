// emptyTensor apart from tensor.cpp: it allocates through the device's backend, while
// tensor.cpp's view arithmetic is also compiled into the CUDA module, which has no backends.
#include "core/tensor.h"

namespace rk {

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
