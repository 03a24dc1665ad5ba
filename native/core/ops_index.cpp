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
  launch("gather", {&out}, out.numel(), [&backend, check, table, indices, out] {
    check.runIfDeferred();
    backend.gather(table, indices, out);
  });
  return out;
}

Tensor gatherBackward(const Tensor& grad, const Tensor& indices, int64_t numRows,
                      std::optional<int64_t> paddingIdx) {
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
  if (paddingIdx && (*paddingIdx < 0 || *paddingIdx >= numRows)) {
    fail(Error::Code::Argument, "gatherBackward: paddingIdx must be in [0, numRows = ", numRows,
         "), got ", *paddingIdx);
  }
  IndexCheck check("gatherBackward", "indices", indices, numRows);
  Tensor out = emptyTensor(grad.device, grad.dtype, outShape);
  Backend& backend = backendFor(grad.device);
  launch("gatherBackward", {&out}, out.numel() + grad.numel(),
         [&backend, check, grad, indices, paddingIdx, out] {
           check.runIfDeferred();
           backend.gatherBackward(grad, indices, paddingIdx, out);
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

/** labelSmoothing and lengths against logits [B, T, C] (targets were checked already). */
static void checkCrossEntropyOptions(const std::string& op, const Tensor& logits,
                                     const CrossEntropyOptions& options) {
  double eps = options.labelSmoothing;
  if (!(eps >= 0 && eps <= 1)) {
    fail(Error::Code::Argument, op, ": labelSmoothing must be in [0, 1], got ", eps);
  }
  if (!options.lengths) return;
  const std::vector<int32_t>& lengths = *options.lengths;
  if (logits.rank() != 3) {
    fail(Error::Code::Shape, op, ": lengths needs logits of shape [batch, time, classes], got ",
         shapeToString(logits.shape));
  }
  int64_t batch = logits.shape[0], time = logits.shape[1];
  if (static_cast<int64_t>(lengths.size()) != batch) {
    fail(Error::Code::Shape, op, ": lengths has ", lengths.size(), " entries, expected one per ",
         "sequence (batch ", batch, ")");
  }
  for (size_t b = 0; b < lengths.size(); ++b) {
    if (lengths[b] < 1 || lengths[b] > time) {
      fail(Error::Code::Argument, op, ": lengths[", b, "] = ", lengths[b], " is out of range 1..",
           time);
    }
  }
}

CrossEntropyResult crossEntropy(const Tensor& logits, const Tensor& targets,
                                const CrossEntropyOptions& options) {
  const char* op = "crossEntropy";
  checkClassScores(op, {"logits", logits}, {"targets", targets});
  checkCrossEntropyOptions(op, logits, options);
  IndexCheck check(op, "targets", targets, logits.shape.back(), options.ignoreIndex,
                   options.lengths);
  Tensor loss = emptyTensor(logits.device, DType::Float32, lossShape(options.reduction, targets));
  Tensor logProbs = emptyTensor(logits.device, DType::Float32, logits.shape);
  Backend& backend = backendFor(logits.device);
  launch(op, {&loss, &logProbs}, logits.numel(),
         [&backend, check, logits, targets, options, loss, logProbs] {
           check.runIfDeferred();
           backend.crossEntropy(logits, targets, options, loss, logProbs);
         });
  return {loss, logProbs};
}

Tensor crossEntropyBackward(const Tensor& gradLoss, const Tensor& logProbs, const Tensor& targets,
                            const CrossEntropyOptions& options) {
  const char* op = "crossEntropyBackward";
  checkClassScores(op, {"logProbs", logProbs}, {"targets", targets});
  checkCrossEntropyOptions(op, logProbs, options);
  requireSameDevice(op, {{"logProbs", logProbs}, {"gradLoss", gradLoss}});
  requireDType(op, {"gradLoss", gradLoss}, DType::Float32);
  Shape expected = lossShape(options.reduction, targets);
  if (gradLoss.shape != expected) {
    fail(Error::Code::Shape, op, ": gradLoss ", shapeToString(gradLoss.shape),
         " must have the loss's shape ", shapeToString(expected), " (reduction '",
         opName(options.reduction), "')");
  }
  IndexCheck check(op, "targets", targets, logProbs.shape.back(), options.ignoreIndex,
                   options.lengths);
  Tensor out = emptyTensor(logProbs.device, DType::Float32, logProbs.shape);
  Backend& backend = backendFor(logProbs.device);
  launch(op, {&out}, out.numel(), [&backend, check, gradLoss, logProbs, targets, options, out] {
    check.runIfDeferred();
    backend.crossEntropyBackward(gradLoss, logProbs, targets, options, out);
  });
  return out;
}

}  // namespace rk::ops
