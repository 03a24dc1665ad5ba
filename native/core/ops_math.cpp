// Elementwise, reduction, dropout, softmax and matmul ops: validation and output shapes.
#include <algorithm>

#include "core/backend.h"
#include "core/op_support.h"
#include "core/ops.h"

namespace rk::ops {

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b) {
  std::string name = opName(op);
  requireSameDevice(name, {{"a", a}, {"b", b}});
  requireSameDType(name, {"a", a}, {"b", b});
  if (op == BinaryOp::Div) requireDType(name, {"a", a}, DType::Float32);
  Shape outShape;
  if (!broadcastShapes(a.shape, b.shape, outShape)) {
    fail(Error::Code::Shape, name, ": cannot broadcast a ", shapeToString(a.shape), " with b ",
         shapeToString(b.shape));
  }
  validateShape(name.c_str(), "the broadcast shape", outShape);
  Tensor out = emptyTensor(a.device, a.dtype, outShape);
  Backend& backend = backendFor(a.device);
  launch(name, {&out}, out.numel(), [&backend, op, a, b, out] { backend.binary(op, a, b, out); });
  return out;
}

// float32 only, except neg, which also negates int32.
static void requireUnaryDType(UnaryOp op, const std::string& name, NamedTensor arg) {
  if (!(op == UnaryOp::Neg && arg.tensor.dtype == DType::Int32)) {
    requireDType(name, arg, DType::Float32);
  }
}

Tensor unary(UnaryOp op, const Tensor& x) {
  std::string name = opName(op);
  requireUnaryDType(op, name, {"x", x});
  Tensor out = emptyTensor(x.device, x.dtype, x.shape);
  Backend& backend = backendFor(x.device);
  launch(name, {&out}, out.numel(), [&backend, op, x, out] { backend.unary(op, x, out); });
  return out;
}

Tensor unaryBackward(UnaryOp op, const Tensor& grad, const Tensor& saved) {
  std::string name = str(opName(op), "Backward");
  requireSameDevice(name, {{"grad", grad}, {"saved", saved}});
  requireUnaryDType(op, name, {"grad", grad});
  requireSameDType(name, {"grad", grad}, {"saved", saved});
  requireSameShape(name, {"grad", grad}, {"saved", saved});
  Tensor out = emptyTensor(grad.device, grad.dtype, grad.shape);
  Backend& backend = backendFor(grad.device);
  launch(name, {&out}, out.numel(),
         [&backend, op, grad, saved, out] { backend.unaryBackward(op, grad, saved, out); });
  return out;
}

namespace {

/** Which of x's axes `axes` reduces (all of them for an empty list). */
std::vector<bool> reducedAxes(const std::string& name, const Tensor& x,
                              const std::vector<int64_t>& axes) {
  std::vector<bool> reduced(x.rank(), axes.empty());
  for (int64_t axis : axes) {
    size_t dim = static_cast<size_t>(normaliseAxis(name.c_str(), axis, x.rank()));
    if (reduced[dim]) {
      fail(Error::Code::Argument, name, ": axis ", dim, " appears more than once in axes ",
           shapeToString(axes));
    }
    reduced[dim] = true;
  }
  return reduced;
}

Shape reducedShape(const Tensor& x, const std::vector<bool>& reduced, bool keepDims) {
  Shape outShape;
  for (size_t d = 0; d < x.rank(); ++d) {
    if (!reduced[d])
      outShape.push_back(x.shape[d]);
    else if (keepDims)
      outShape.push_back(1);
  }
  return outShape;
}

/** max has no value for an empty group: each output element needs one reduced element. */
void requireNonEmptyGroups(const std::string& name, const Tensor& x,
                           const std::vector<bool>& reduced, const Shape& outShape) {
  int64_t group = 1;
  for (size_t d = 0; d < x.rank(); ++d) {
    if (reduced[d]) group *= x.shape[d];
  }
  if (group == 0 && numel(outShape) > 0) {
    fail(Error::Code::Shape, name, ": cannot take the max over an empty axis (x is ",
         shapeToString(x.shape), ")");
  }
}

}  // namespace

Tensor reduce(ReduceOp op, const Tensor& x, const std::vector<int64_t>& axes, bool keepDims) {
  std::string name = opName(op);
  if (op == ReduceOp::Mean) requireDType(name, {"x", x}, DType::Float32);
  std::vector<bool> reduced = reducedAxes(name, x, axes);
  Shape outShape = reducedShape(x, reduced, keepDims);
  if (op == ReduceOp::Max) requireNonEmptyGroups(name, x, reduced, outShape);
  Tensor out = emptyTensor(x.device, x.dtype, outShape);
  Backend& backend = backendFor(x.device);
  launch(name, {&out}, x.numel(),
         [&backend, op, x, reduced, out] { backend.reduce(op, x, reduced, out); });
  return out;
}

Tensor maxBackward(const Tensor& grad, const Tensor& x, const std::vector<int64_t>& axes,
                   bool keepDims) {
  const std::string name = "maxBackward";
  requireSameDevice(name, {{"grad", grad}, {"x", x}});
  requireDType(name, {"grad", grad}, DType::Float32);
  requireDType(name, {"x", x}, DType::Float32);
  std::vector<bool> reduced = reducedAxes(name, x, axes);
  Shape outShape = reducedShape(x, reduced, keepDims);
  if (grad.shape != outShape) {
    fail(Error::Code::Shape, name, ": grad ", shapeToString(grad.shape),
         " must have the shape of max's output ", shapeToString(outShape));
  }
  requireNonEmptyGroups(name, x, reduced, outShape);
  Tensor out = emptyTensor(x.device, DType::Float32, x.shape);
  Backend& backend = backendFor(x.device);
  launch(name, {&out}, out.numel(),
         [&backend, grad, x, reduced, out] { backend.maxBackward(grad, x, reduced, out); });
  return out;
}

DropoutResult dropout(const Tensor& x, double p, uint64_t seed) {
  requireDType("dropout", {"x", x}, DType::Float32);
  if (!(p >= 0 && p < 1)) fail(Error::Code::Argument, "dropout: p must be in [0, 1), got ", p);
  Tensor out = emptyTensor(x.device, DType::Float32, x.shape);
  Tensor mask = emptyTensor(x.device, DType::Float32, x.shape);
  Backend& backend = backendFor(x.device);
  launch("dropout", {&out, &mask}, out.numel(),
         [&backend, x, p, seed, out, mask] { backend.dropout(x, p, seed, out, mask); });
  return {out, mask};
}

Tensor softmax(const Tensor& x, int64_t axis, bool log) {
  std::string name = log ? "logSoftmax" : "softmax";
  requireDType(name, {"x", x}, DType::Float32);
  int64_t dim = normaliseAxis(name.c_str(), axis, x.rank());
  Tensor out = emptyTensor(x.device, x.dtype, x.shape);
  Backend& backend = backendFor(x.device);
  launch(name, {&out}, out.numel(),
         [&backend, x, dim, log, out] { backend.softmax(x, dim, log, out); });
  return out;
}

Tensor softmaxBackward(const Tensor& grad, const Tensor& y, int64_t axis, bool log) {
  std::string name = log ? "logSoftmaxBackward" : "softmaxBackward";
  requireSameDevice(name, {{"grad", grad}, {"y", y}});
  requireDType(name, {"grad", grad}, DType::Float32);
  requireDType(name, {"y", y}, DType::Float32);
  requireSameShape(name, {"grad", grad}, {"y", y});
  int64_t dim = normaliseAxis(name.c_str(), axis, y.rank());
  Tensor out = emptyTensor(y.device, y.dtype, y.shape);
  Backend& backend = backendFor(y.device);
  launch(name, {&out}, out.numel(),
         [&backend, grad, y, dim, log, out] { backend.softmaxBackward(grad, y, dim, log, out); });
  return out;
}

Tensor matmul(const Tensor& a, const Tensor& b) {
  requireSameDevice("matmul", {{"a", a}, {"b", b}});
  requireDType("matmul", {"a", a}, DType::Float32);
  requireDType("matmul", {"b", b}, DType::Float32);
  requireRankAtLeast("matmul", {"a", a}, 2);
  requireRankAtLeast("matmul", {"b", b}, 2);
  int64_t m = a.shape[a.rank() - 2], k = a.shape[a.rank() - 1];
  int64_t kb = b.shape[b.rank() - 2], n = b.shape[b.rank() - 1];
  if (k != kb) {
    fail(Error::Code::Shape, "matmul: a.shape[-1] (", k, ") must equal b.shape[-2] (", kb,
         ") (a is ", shapeToString(a.shape), ", b is ", shapeToString(b.shape), ")");
  }
  Shape batchA(a.shape.begin(), a.shape.end() - 2), batchB(b.shape.begin(), b.shape.end() - 2);
  Shape outShape;
  if (!broadcastShapes(batchA, batchB, outShape)) {
    fail(Error::Code::Shape, "matmul: cannot broadcast the batch dims of a ",
         shapeToString(a.shape), " with those of b ", shapeToString(b.shape));
  }
  outShape.push_back(m);
  outShape.push_back(n);
  // oneDNN's limit (DNNL_MAX_NDIMS); checked here so the call throws instead of the task failing.
  constexpr size_t kMaxMatmulRank = 12;
  if (outShape.size() > kMaxMatmulRank) {
    fail(Error::Code::Shape, "matmul: the output would have rank ", outShape.size(), ", at most ",
         kMaxMatmulRank, " is supported (a is ", shapeToString(a.shape), ", b is ",
         shapeToString(b.shape), ")");
  }
  validateShape("matmul", "the output shape", outShape);
  Tensor out = emptyTensor(a.device, a.dtype, outShape);
  Backend& backend = backendFor(a.device);
  // Multiply-adds.
  launch("matmul", {&out}, out.numel() * k, [&backend, a, b, out] { backend.matmul(a, b, out); });
  return out;
}

}  // namespace rk::ops
