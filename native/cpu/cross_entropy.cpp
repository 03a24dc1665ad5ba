// Cross-entropy from logits over the last dim, with ignored rows, and its gradient.
#include <cmath>
#include <limits>
#include <vector>

#include "cpu/cpu_backend.h"
#include "cpu/strided_loop.h"

namespace rk::cpu {

namespace {

/** `strides` of a tensor over the leading dims, extended by a 0 stride for the class dim. */
Strides withClassDim(Strides strides) {
  strides.push_back(0);
  return strides;
}

int64_t countCounted(Backend& backend, const Tensor& targets, int64_t ignoreIndex) {
  std::vector<int32_t> values(static_cast<size_t>(targets.numel()));
  backend.download(targets, values.data());
  int64_t count = 0;
  for (int32_t t : values) count += t != ignoreIndex;
  return count;
}

}  // namespace

void CpuBackend::crossEntropy(const Tensor& logits, const Tensor& targets, int64_t ignoreIndex,
                              Reduction reduction, const Tensor& loss, const Tensor& logProbs) {
  size_t classDim = logits.rank() - 1;
  int64_t classes = logits.shape[classDim];
  int64_t ls = logits.strides[classDim], os = logProbs.strides[classDim];
  Shape rowShape(logits.shape.begin(), logits.shape.end() - 1);
  // Each row's loss (0 on ignored rows), in row-major order; reduced serially afterwards so the
  // result does not depend on the thread count.
  std::vector<double> rowLoss(static_cast<size_t>(numel(rowShape)));
  const float* x = logits.data<const float>();
  float* lp = logProbs.data<float>();
  const int32_t* target = targets.data<const int32_t>();
  forEachLine<4>(logits.shape, classDim,
                 {logits.strides, logProbs.strides, withClassDim(targets.strides),
                  withClassDim(contiguousStrides(rowShape))},
                 [&](const Offsets<4>& first) {
                   const float* in = x + first[0];
                   float* o = lp + first[1];
                   float max = -std::numeric_limits<float>::infinity();
                   for (int64_t j = 0; j < classes; ++j) max = std::max(max, in[j * ls]);
                   double sum = 0;
                   for (int64_t j = 0; j < classes; ++j) sum += std::exp(double(in[j * ls]) - max);
                   double logSum = max + std::log(sum);
                   for (int64_t j = 0; j < classes; ++j) {
                     o[j * os] = static_cast<float>(in[j * ls] - logSum);
                   }
                   int32_t t = target[first[2]];
                   rowLoss[first[3]] = t == ignoreIndex ? 0.0 : logSum - in[t * ls];
                 });
  float* l = loss.data<float>();
  if (reduction == Reduction::None) {
    for (size_t r = 0; r < rowLoss.size(); ++r) l[r] = static_cast<float>(rowLoss[r]);
    return;
  }
  double total = 0;
  for (double v : rowLoss) total += v;
  if (reduction == Reduction::Mean) {
    total /= static_cast<double>(countCounted(*this, targets, ignoreIndex));  // none: NaN
  }
  l[0] = static_cast<float>(total);
}

void CpuBackend::crossEntropyBackward(const Tensor& gradLoss, const Tensor& logProbs,
                                      const Tensor& targets, int64_t ignoreIndex,
                                      Reduction reduction, const Tensor& out) {
  size_t classDim = logProbs.rank() - 1;
  int64_t classes = logProbs.shape[classDim];
  int64_t ps = logProbs.strides[classDim], os = out.strides[classDim];
  // Per-row scale: gradLoss[row] for 'none'; the scalar gradLoss (over the counted rows for
  // 'mean') otherwise, read through stride-0 offsets.
  double factor = 1.0;
  Strides gradStrides = withClassDim(gradLoss.strides);
  if (reduction != Reduction::None) {
    gradStrides.assign(logProbs.rank(), 0);
    if (reduction == Reduction::Mean) {
      factor = 1.0 / static_cast<double>(countCounted(*this, targets, ignoreIndex));
    }
  }
  const float* lp = logProbs.data<const float>();
  const float* g = gradLoss.data<const float>();
  const int32_t* target = targets.data<const int32_t>();
  float* dx = out.data<float>();
  forEachLine<4>(logProbs.shape, classDim,
                 {logProbs.strides, out.strides, withClassDim(targets.strides), gradStrides},
                 [&](const Offsets<4>& first) {
                   const float* p = lp + first[0];
                   float* o = dx + first[1];
                   int32_t t = target[first[2]];
                   double scale = t == ignoreIndex ? 0.0 : g[first[3]] * factor;
                   for (int64_t j = 0; j < classes; ++j) {
                     double onehot = j == t ? 1.0 : 0.0;
                     o[j * os] = static_cast<float>((std::exp(double(p[j * ps])) - onehot) * scale);
                   }
                 });
}

}  // namespace rk::cpu
