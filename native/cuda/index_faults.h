// Index range checks on the GPU (Backend::checkIndices) without waiting for it. A check queues a
// scan of the indices on the stream that records the first bad element (lowest row-major
// position, with its value) in a small device-side slot; the slot is read back only when a read
// or sync waits for the stream anyway (Backend::takeDeviceFailure), and then turned into the same
// RK_INDEX error the CPU throws. Only the first failing check counts until the slot is taken:
// later checks skip their scan, as later failures of a poisoned stream are dropped.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/error.h"
#include "core/index_bounds.h"
#include "core/tensor.h"
#include "cuda/cuda_context.h"

namespace rk::cuda {

/** The device-side slot; every field all-ones (kNone) when nothing failed. */
struct IndexFault {
  uint64_t position;  // row-major position of the first bad element
  int32_t value;      // its value
  int32_t check;      // which of the pending checks found it
};

class IndexFaults {
 public:
  IndexFaults() = default;
  ~IndexFaults();
  IndexFaults(const IndexFaults&) = delete;
  IndexFaults& operator=(const IndexFaults&) = delete;

  /** Queues the check of `indices` against `bounds` on context's stream; never waits. */
  void check(CudaContext& context, const Tensor& indices, const IndexBounds& bounds);

  /**
   * The first failure found by the checks queued since the last take, cleared, or nothing.
   * Waits for the stream when checks are pending; returns at once otherwise.
   */
  std::optional<Error> take(CudaContext& context);

 private:
  /** What a failing check's message needs (its bounds but the lengths, and the shape). */
  struct Described {
    IndexBounds bounds;
    Shape shape;
  };

  /** The id of (bounds, shape) among the pending checks, which repeat every training step. */
  int32_t describe(const IndexBounds& bounds, const Shape& shape);

  std::mutex mutex_;
  IndexFault* slot_ = nullptr;    // device memory, made on the first check
  IndexFault* mirror_ = nullptr;  // pinned host memory the slot is copied into
  std::vector<Described> pending_;
  std::unordered_map<std::string, int32_t> ids_;  // describe()'s key -> index into pending_
};

}  // namespace rk::cuda
