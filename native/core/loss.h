// The options of the cross-entropy loss, shared by core (validation) and the backends (kernels).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/op_kinds.h"

namespace rk {

/**
 * A row (one position of targets) is ignored when its target equals ignoreIndex or, with
 * lengths, when it lies past its sequence's end. Ignored rows add nothing to the loss or the
 * gradient and are not counted by 'mean'; their targets need not be valid class indices.
 */
struct CrossEntropyOptions {
  int64_t ignoreIndex = -100;
  Reduction reduction = Reduction::Mean;
  /**
   * epsilon in [0, 1]: a counted row's loss is (1 - eps) * -logp[target] + eps * mean_c(-logp[c])
   * (PyTorch's label_smoothing).
   */
  double labelSmoothing = 0;
  /**
   * For logits [B, T, C] and targets [B, T]: lengths[b] in 1..T, and position [b, t] is ignored
   * when t >= lengths[b]. None: every position counts (unless its target is ignoreIndex).
   */
  std::optional<std::vector<int32_t>> lengths;
};

}  // namespace rk
