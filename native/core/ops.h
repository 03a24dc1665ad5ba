// Every op the addon exposes, device-agnostic. Each one validates its arguments on the calling
// (JS) thread and throws rk::Error naming the op, the argument and what was expected; then it
// allocates its outputs, queues the work on the device's stream and returns at once.
//
// Conventions:
//  - Axes may be negative (counted from the end).
//  - reduce with an empty `axes` list reduces ALL axes; a full reduction without keepDims gives
//    a 0-d tensor (shape [], one element).
//  - Outputs are new contiguous tensors; no op writes into an existing storage, except `assign`,
//    which writes into the view it is given, and the optimizer and clipping ops, which update
//    their tensors in place (in stream order).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/loss.h"
#include "core/op_kinds.h"
#include "core/optim.h"
#include "core/rnn.h"
#include "core/tensor.h"

namespace rk::ops {

// Creation: filled on the calling thread, ready at once.
/** `data` holds `length` elements of `dtype`; the shape must have exactly that many. */
Tensor fromHost(const void* data, int64_t length, DType dtype, const Shape& shape, Device device);
Tensor full(const Shape& shape, double value, DType dtype, Device device);

/** A view sharing t's storage; every element it can reach must lie inside the storage. */
Tensor view(const Tensor& t, const Shape& shape, const Strides& strides, int64_t offset);
Tensor contiguous(const Tensor& t);
/** float32 -> int32 truncates toward zero, saturates at the int32 range, and maps NaN to 0. */
Tensor cast(const Tensor& t, DType dtype);
/**
 * A contiguous copy of t on `device` (any pair of devices): ordered after t's pending writes on
 * t's stream and before later work on `device`'s stream.
 */
Tensor toDevice(const Tensor& t, Device device);

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b);
Tensor unary(UnaryOp op, const Tensor& x);
/** `saved` is the forward output for tanh, sigmoid, exp; the forward input for neg, relu, log. */
Tensor unaryBackward(UnaryOp op, const Tensor& grad, const Tensor& saved);
/**
 * sum / mean / max over `axes`. max keeps x's dtype, propagates NaN (a group holding a NaN gives
 * NaN) and needs every reduced group to be non-empty.
 */
Tensor reduce(ReduceOp op, const Tensor& x, const std::vector<int64_t>& axes, bool keepDims);
/**
 * Gradient of reduce(Max, x, axes, keepDims): zeros shaped like x, except that each group's grad
 * element goes to the group's FIRST maximal element (row-major order over the reduced axes; a
 * group holding NaN sends it to its first NaN). `grad` has the forward output's shape.
 */
Tensor maxBackward(const Tensor& grad, const Tensor& x, const std::vector<int64_t>& axes,
                   bool keepDims);
Tensor softmax(const Tensor& x, int64_t axis, bool log);
Tensor softmaxBackward(const Tensor& grad, const Tensor& y, int64_t axis, bool log);
Tensor matmul(const Tensor& a, const Tensor& b);
Tensor concat(const std::vector<Tensor>& ts, int64_t axis);
Tensor gather(const Tensor& table, const Tensor& indices);
/**
 * Scatter-add of grad into zeros [numRows, ...]; with paddingIdx (in [0, numRows)), positions
 * whose index equals it add nothing, so that row's gradient stays zero (an embedding's padding).
 */
Tensor gatherBackward(const Tensor& grad, const Tensor& indices, int64_t numRows,
                      std::optional<int64_t> paddingIdx = std::nullopt);

struct DropoutResult {
  Tensor output;
  /** float32, x's shape, contiguous: 0 where dropped, 1/(1-p) where kept. */
  Tensor mask;
};
/**
 * Inverted dropout of float32 x: output = x * mask. Element i (row-major) is dropped with
 * probability p in [0, 1), decided by (seed, i) alone, so a seed always gives the same mask.
 */
DropoutResult dropout(const Tensor& x, double p, uint64_t seed);

struct CrossEntropyResult {
  Tensor loss;
  Tensor logProbs;
};
/** Cross-entropy of logits [..., C] against int32 targets [...]; see CrossEntropyOptions. */
CrossEntropyResult crossEntropy(const Tensor& logits, const Tensor& targets,
                                const CrossEntropyOptions& options);
Tensor crossEntropyBackward(const Tensor& gradLoss, const Tensor& logProbs, const Tensor& targets,
                            const CrossEntropyOptions& options);

/** Copies src into the existing view dst (same shape, dtype and device), in stream order. */
void assign(const Tensor& dst, const Tensor& src);

// Optimizers and clipping (ops_optim.cpp): in place, in stream order, one task per call.
/** Updates every param and its states in place as torch.optim's `kind` does. */
void optimizerStep(OptimizerKind kind, const OptimizerHyper& hyper,
                   const std::vector<ParamUpdate>& updates);
/**
 * Returns the total normType-norm of all tensors (rank-0 float32) and scales them in place by
 * min(1, maxNorm / (norm + 1e-6)), as torch.nn.utils.clip_grad_norm_; maxNorm = inf only measures.
 */
Tensor clipGradNorm(const std::vector<Tensor>& tensors, double maxNorm, double normType);
/** Clamps every element of every tensor to [min, max] in place (NaN stays NaN). */
void clampInPlace(const std::vector<Tensor>& tensors, double min, double max);

// The fused recurrent stack (PyTorch semantics; see lib/binding.ts rnnForward / rnnBackward).
/** Validates the config and returns its canonical flat weight layout on `device`. */
RnnLayout rnnLayout(const RnnConfig& config, Device device);

struct RnnForwardResult {
  RnnOutputs outputs;
  std::shared_ptr<RnnReserve> reserve;  // training only
};
/** `lengths`: none = every sequence has all T steps. */
RnnForwardResult rnnForward(const RnnConfig& config, const RnnInputs& in,
                            const std::optional<std::vector<int32_t>>& lengths, bool training,
                            uint64_t seed);
RnnInputGrads rnnBackward(const RnnConfig& config, const RnnInputs& in,
                          const std::optional<std::vector<int32_t>>& lengths,
                          std::shared_ptr<RnnReserve> reserve, const RnnGrads& grads);

/**
 * Called with the failure (or nothing) of a read or sync: on the stream's worker thread, or on
 * the calling thread before read/sync return when they ran inline (they return true then).
 */
using Completion = std::function<void(std::optional<Error>)>;

/**
 * Runs `body` at its place in the stream, unless an earlier task failed (it poisoned the stream,
 * or its device work recorded a failure): then `done` gets that failure. Errors of `body` itself
 * go to `done` too; they do not poison the stream. `work` (elements copied; kLongWork for never)
 * decides whether it may run inline; returns whether it did. Reads, syncs, generation and the
 * collectives use it. Storages `body` writes count a pending write until it has run.
 */
bool complete(Device device, const char* op, int64_t work, std::function<void()> body,
              Completion done, std::vector<std::shared_ptr<Storage>> written = {});

/**
 * Queues a copy of t's elements (row-major) into `host`, which must stay valid until `done`
 * runs. If the stream is poisoned when the read's turn comes, `done` gets that error instead
 * (and the poison is cleared). A small read of an idle host stream runs at once: then `done` has
 * run when it returns true.
 */
bool read(const Tensor& t, void* host, Completion done);
/**
 * Queues `done` after everything queued on `device` so far; it gets the poison, if any. On an idle
 * host stream it runs at once and returns true.
 */
bool sync(Device device, Completion done);
/** Test hook: queues a task that fails with RK_BACKEND `message`, poisoning the stream. */
void injectFault(Device device, const std::string& message);

}  // namespace rk::ops
