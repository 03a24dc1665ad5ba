// Range checks for int32 index tensors (gather, gatherBackward, crossEntropy targets).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/index_bounds.h"
#include "core/tensor.h"

namespace rk {

/**
 * Checks that every element of `indices` lies in [0, limit) or equals `ignore`. With `lengths`
 * (indices [B, T]), positions [b, t] with t >= lengths[b] are not checked.
 *
 * When CPU indices are ready the check runs at once, on the calling (JS) thread, so a bad index
 * throws RK_INDEX synchronously. Otherwise (indices still being computed, or on a GPU)
 * runIfDeferred(), called at the start of the op's task, hands them to the backend's
 * checkIndices: on the CPU a bad index then poisons the stream; a GPU checks on the device without
 * waiting for it and reports the failure at the device's next read or sync.
 */
class IndexCheck {
 public:
  IndexCheck(std::string op, std::string arg, Tensor indices, int64_t limit,
             std::optional<int64_t> ignore = std::nullopt,
             std::optional<std::vector<int32_t>> lengths = std::nullopt);

  void runIfDeferred() const {
    if (deferred_) run();
  }

 private:
  void run() const;

  IndexBounds bounds_;
  Tensor indices_;
  bool deferred_;
};

}  // namespace rk
