// An NVTX range for the lifetime of a scope ("matmul", "adam.step"), so Nsight Systems shows
// each op. Header-only NVTX3: without a profiler attached a push costs a few nanoseconds.
#pragma once

#include <nvtx3/nvToolsExt.h>

namespace rk::cuda {

class NvtxRange {
 public:
  explicit NvtxRange(const char* name) { nvtxRangePushA(name); }
  ~NvtxRange() { nvtxRangePop(); }
  NvtxRange(const NvtxRange&) = delete;
  NvtxRange& operator=(const NvtxRange&) = delete;
};

}  // namespace rk::cuda
