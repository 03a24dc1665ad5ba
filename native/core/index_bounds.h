// What an index range check asks of an int32 index tensor, and the RK_INDEX error it raises.
// Shared by core's check on the host (IndexCheck, the CPU backend) and the CUDA backend's check
// on the device, which builds the same error once it has read the first bad element back.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/shape.h"

namespace rk {

/**
 * Every element must lie in [0, limit) or equal `ignore`. With `lengths` (indices [B, T]),
 * positions [b, t] with t >= lengths[b] are padding and not checked.
 */
struct IndexBounds {
  std::string op;   // "gather", for the message
  std::string arg;  // "indices"
  int64_t limit = 0;
  std::optional<int64_t> ignore;
  std::optional<std::vector<int32_t>> lengths;

  /** Whether `value` may sit at row-major position `flat` of indices of shape `shape`. */
  bool allows(const Shape& shape, int64_t flat, int64_t value) const;

  /**
   * RK_INDEX "<op>: <arg>[1, 0] = 12 is out of range [0, 10)", plus " and is not ignoreIndex
   * (-100)" with `ignore`, for the element at row-major position `flat`.
   */
  Error error(const Shape& shape, int64_t flat, int64_t value) const;

  /** Throws error() for the first of `values` (row-major over `shape`) that allows() refuses. */
  void check(const Shape& shape, const int32_t* values) const;
};

}  // namespace rk
