#include "cuda/rnn_weight_space.h"

#include <algorithm>

#include "cuda/cuda_check.h"
#include "cuda/rnn_cudnn_kernels.h"

namespace rk::cuda {

std::vector<WeightRun> weightRuns(const RnnLayout& full, const RnnLayout& half) {
  std::vector<WeightRun> runs;
  for (size_t i = 0; i < full.params.size(); ++i) {
    runs.push_back({full.params[i].offset, half.params[i].offset, numel(full.params[i].shape)});
  }
  std::sort(runs.begin(), runs.end(),
            [](const WeightRun& a, const WeightRun& b) { return a.full < b.full; });
  std::vector<WeightRun> merged;
  for (const WeightRun& run : runs) {
    if (!merged.empty() && merged.back().full + merged.back().count == run.full &&
        merged.back().half + merged.back().count == run.half) {
      merged.back().count += run.count;
    } else {
      merged.push_back(run);
    }
  }
  return merged;
}

void convertWeightSpace(CudaContext& context, const std::vector<WeightRun>& runs, const void* from,
                        cudnnDataType_t fromType, void* to, cudnnDataType_t toType,
                        size_t toBytes) {
  CUDA_CHECK(cudaMemsetAsync(to, 0, toBytes, context.stream));
  const bool toHalf = toType != CUDNN_DATA_FLOAT;
  for (const WeightRun& run : runs) {
    StridedView view;
    int64_t src = toHalf ? run.full : run.half, dst = toHalf ? run.half : run.full;
    view.data = static_cast<const char*>(from) + src * static_cast<int64_t>(typeBytes(fromType));
    view.shape[2] = run.count;
    view.strides[2] = 1;
    copyConvert(context.stream, view, fromType,
                static_cast<char*>(to) + dst * static_cast<int64_t>(typeBytes(toType)), toType);
  }
}

}  // namespace rk::cuda
