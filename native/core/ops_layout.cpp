// Creation, views, copies and concatenation.
#include <climits>
#include <cmath>

#include "core/backend.h"
#include "core/op_support.h"
#include "core/ops.h"

namespace rk::ops {

Tensor fromHost(const void* data, int64_t length, DType dtype, const Shape& shape, Device device) {
  validateShape("fromArray", "shape", shape);
  if (numel(shape) != length) {
    fail(Error::Code::Shape, "fromArray: shape ", shapeToString(shape), " has ", numel(shape),
         " elements but data has ", length);
  }
  Tensor t = emptyTensor(device, dtype, shape);
  backendFor(device).upload(t, data);
  return t;
}

Tensor full(const Shape& shape, double value, DType dtype, Device device) {
  validateShape("full", "shape", shape);
  if (dtype == DType::Int32 &&
      (std::trunc(value) != value || value < INT32_MIN || value > INT32_MAX)) {
    fail(Error::Code::DType, "full: value ", value, " cannot be stored as int32");
  }
  Tensor t = emptyTensor(device, dtype, shape);
  backendFor(device).fill(t, value);
  return t;
}

Tensor view(const Tensor& t, const Shape& shape, const Strides& strides, int64_t offset) {
  if (shape.size() != strides.size()) {
    fail(Error::Code::Argument, "view: shape ", shapeToString(shape), " and strides ",
         shapeToString(strides), " must have the same length");
  }
  validateShape("view", "shape", shape);
  validateShape("view", "strides", strides);  // same rules: non-negative, bounded
  if (offset < 0) fail(Error::Code::Argument, "view: offset ", offset, " must be non-negative");
  int64_t storageSize = t.storage->numel();
  // Sizes and strides are each below 2^48, so the furthest element fits in 128 bits.
  __int128 last = offset;
  bool empty = numel(shape) == 0;
  for (size_t i = 0; i < shape.size() && !empty; ++i) last += __int128(shape[i] - 1) * strides[i];
  if (empty ? offset > storageSize : last >= storageSize) {
    fail(Error::Code::Shape, "view: shape ", shapeToString(shape), " with strides ",
         shapeToString(strides), " at offset ", offset, " reaches element ",
         empty ? offset : int64_t(last), " but the storage has ", storageSize, " elements");
  }
  Tensor v = t;
  v.shape = shape;
  v.strides = strides;
  v.offset = offset;
  return v;
}

static Tensor copyAs(const char* op, const Tensor& t, DType dtype) {
  Tensor out = emptyTensor(t.device, dtype, t.shape);
  Backend& backend = backendFor(t.device);
  launch(op, {&out}, out.numel(), [&backend, t, out] { backend.copy(t, out); });
  return out;
}

Tensor contiguous(const Tensor& t) { return copyAs("contiguous", t, t.dtype); }

Tensor cast(const Tensor& t, DType dtype) { return copyAs("cast", t, dtype); }

Tensor concat(const std::vector<Tensor>& ts, int64_t axis) {
  if (ts.empty()) fail(Error::Code::Argument, "concat: needs at least one tensor");
  const Tensor& first = ts[0];
  size_t dim = static_cast<size_t>(normaliseAxis("concat", axis, first.rank()));
  Shape outShape = first.shape;
  outShape[dim] = 0;
  for (size_t i = 0; i < ts.size(); ++i) {
    const Tensor& t = ts[i];
    std::string name = str("ts[", i, "]");
    requireSameDevice("concat", {{"ts[0]", first}, {name.c_str(), t}});
    requireSameDType("concat", {"ts[0]", first}, {name.c_str(), t});
    bool fits = t.rank() == first.rank();
    for (size_t d = 0; fits && d < t.rank(); ++d) fits = d == dim || t.shape[d] == first.shape[d];
    if (!fits) {
      fail(Error::Code::Shape, "concat: ", name, " ", shapeToString(t.shape),
           " does not fit ts[0] ", shapeToString(first.shape),
           " (sizes must match except along axis ", dim, ")");
    }
    outShape[dim] += t.shape[dim];
  }
  validateShape("concat", "the output shape", outShape);
  Tensor out = emptyTensor(first.device, first.dtype, outShape);
  Backend& backend = backendFor(first.device);
  launch("concat", {&out}, out.numel(), [&backend, ts, out, dim] {
    // Each input is copied into its slice of out: a view with out's strides.
    Tensor slice = out;
    for (const Tensor& t : ts) {
      slice.shape = t.shape;
      backend.copy(t, slice);
      slice.offset += t.shape[dim] * out.strides[dim];
    }
  });
  return out;
}

void assign(const Tensor& dst, const Tensor& src) {
  requireSameDevice("assign", {{"dst", dst}, {"src", src}});
  requireSameDType("assign", {"dst", dst}, {"src", src});
  requireSameShape("assign", {"dst", dst}, {"src", src});
  Backend& backend = backendFor(dst.device);
  // dst's storage counts a pending write until the copy ran (Storage::ready).
  launch("assign", {&dst}, dst.numel(), [&backend, dst, src] {
    if (src.storage == dst.storage) {
      // The views may overlap: read all of src before writing any of dst.
      Tensor staged = emptyTensor(src.device, src.dtype, src.shape);
      backend.copy(src, staged);
      backend.copy(staged, dst);
    } else {
      backend.copy(src, dst);
    }
  });
}

}  // namespace rk::ops
