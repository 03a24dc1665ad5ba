// The float32 weight space (where the parameters live) and the half-width copy of it that cuDNN
// reads and writes in a bf16 / fp16 call: which runs of elements correspond, and the conversion
// from one space to the other.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <cudnn.h>

#include "core/rnn.h"
#include "cuda/cuda_context.h"

namespace rk::cuda {

/** A run of elements at the same place in the float32 and the half-width weight spaces. */
struct WeightRun {
  int64_t full = 0;  // offset in the float32 space (elements)
  int64_t half = 0;  // offset in the half-width space (elements)
  int64_t count = 0;
};

/** The parameters' runs between the two spaces, merged where they continue each other. */
std::vector<WeightRun> weightRuns(const RnnLayout& full, const RnnLayout& half);

/**
 * Fills the weight space `to` (`toBytes`, of `toType`) from `from` (of `fromType`; one of the two
 * is float32): zeroes all of it, then converts each run. The runs need not cover a space: cuDNN
 * may pad between its blocks, and those bytes must hold zeros, never stale memory.
 */
void convertWeightSpace(CudaContext& context, const std::vector<WeightRun>& runs, const void* from,
                        cudnnDataType_t fromType, void* to, cudnnDataType_t toType, size_t toBytes);

}  // namespace rk::cuda
