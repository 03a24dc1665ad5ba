// Ops driven by int32 indices: gather (embedding lookup) and cross-entropy.
#include <algorithm>

#include "core/backend.h"
#include "core/index_check.h"
#include "core/op_support.h"
#include "core/ops.h"

namespace rk::ops {

Tensor gather(const Tensor& table, const Tensor& indices) {
  requireSameDevice("gather", {{"table", table}, {"indices", indices}});
  requireDType("gather", {"indices", indices}, DType::Int32);
  requireRankAtLeast("gather", {"table", table}, 1);
  Shape outShape = indices.shape;
  outShape.insert(outShape.end(), table.shape.begin() + 1, table.shape.end());
  validateShape("gather", "the output shape", outShape);
  IndexCheck check("gather", "indices", indices, table.shape[0]);
  Tensor out = emptyTensor(table.device, table.dtype, outShape);
  Backend& backend = backendFor(table.device);
  launch("gather", {&out}, [&backend, check, table, indices, out] {
    check.runIfDeferred();
    backend.gather(table, indices, out);
  });
  return out;
}

Tensor gatherBackward(const Tensor& grad, const Tensor& indices, int64_t numRows) {
  requireSameDevice("gatherBackward", {{"grad", grad}, {"indices", indices}});
  requireDType("gatherBackward", {"grad", grad}, DType::Float32);
  requireDType("gatherBackward", {"indices", indices}, DType::Int32);
  bool fits = grad.rank() >= indices.rank() &&
              std::equal(indices.shape.begin(), indices.shape.end(), grad.shape.begin());
  if (!fits) {
    fail(Error::Code::Shape, "gatherBackward: grad ", shapeToString(grad.shape),
         " must start with the shape of indices ", shapeToString(indices.shape));
  }
  Shape outShape{numRows};
  outShape.insert(outShape.end(), grad.shape.begin() + indices.rank(), grad.shape.end());
  validateShape("gatherBackward", "numRows and the row shape", outShape);
  IndexCheck check("gatherBackward", "indices", indices, numRows);
  Tensor out = emptyTensor(grad.device, grad.dtype, outShape);
  Backend& backend = backendFor(grad.device);
  launch("gatherBackward", {&out}, [&backend, check, grad, indices, out] {
    check.runIfDeferred();
    backend.gatherBackward(grad, indices, out);
  });
  return out;
}

// Checks shared by the forward and backward pass: scores [..., C] and targets [...].
static void checkClassScores(const std::string& op, NamedTensor scores, NamedTensor targets) {
  requireSameDevice(op, {scores, targets});
  requireDType(op, scores, DType::Float32);
  requireDType(op, targets, DType::Int32);
  requireRankAtLeast(op, scores, 1);
  Shape rows(scores.tensor.shape.begin(), scores.tensor.shape.end() - 1);
  if (targets.tensor.shape != rows) {
    fail(Error::Code::Shape, op, ": ", targets.name, " ", shapeToString(targets.tensor.shape),
         " must have the shape of ", scores.name, " without its last dim ", shapeToString(rows));
  }
}

static Shape lossShape(Reduction reduction, const Tensor& targets) {
  return reduction == Reduction::None ? targets.shape : Shape{};
}

CrossEntropyResult crossEntropy(const Tensor& logits, const Tensor& targets, int64_t ignoreIndex,
                                Reduction reduction) {
  checkClassScores("crossEntropy", {"logits", logits}, {"targets", targets});
  IndexCheck check("crossEntropy", "targets", targets, logits.shape.back(), ignoreIndex);
  Tensor loss = emptyTensor(logits.device, DType::Float32, lossShape(reduction, targets));
  Tensor logProbs = emptyTensor(logits.device, DType::Float32, logits.shape);
  Backend& backend = backendFor(logits.device);
  launch("crossEntropy", {&loss, &logProbs},
         [&backend, check, logits, targets, ignoreIndex, reduction, loss, logProbs] {
           check.runIfDeferred();
           backend.crossEntropy(logits, targets, ignoreIndex, reduction, loss, logProbs);
         });
  return {loss, logProbs};
}

Tensor crossEntropyBackward(const Tensor& gradLoss, const Tensor& logProbs, const Tensor& targets,
                            int64_t ignoreIndex, Reduction reduction) {
  const char* op = "crossEntropyBackward";
  checkClassScores(op, {"logProbs", logProbs}, {"targets", targets});
  requireSameDevice(op, {{"logProbs", logProbs}, {"gradLoss", gradLoss}});
  requireDType(op, {"gradLoss", gradLoss}, DType::Float32);
  Shape expected = lossShape(reduction, targets);
  if (gradLoss.shape != expected) {
    fail(Error::Code::Shape, op, ": gradLoss ", shapeToString(gradLoss.shape),
         " must have the loss's shape ", shapeToString(expected), " (reduction '",
         opName(reduction), "')");
  }
  IndexCheck check(op, "targets", targets, logProbs.shape.back(), ignoreIndex);
  Tensor out = emptyTensor(logProbs.device, DType::Float32, logProbs.shape);
  Backend& backend = backendFor(logProbs.device);
  launch(op, {&out}, [&backend, check, gradLoss, logProbs, targets, ignoreIndex, reduction, out] {
    check.runIfDeferred();
    backend.crossEntropyBackward(gradLoss, logProbs, targets, ignoreIndex, reduction, out);
  });
  return out;
}

}  // namespace rk::ops
