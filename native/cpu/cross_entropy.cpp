// Cross-entropy from logits over the last dim, with ignored rows (ignoreIndex, or past each
// sequence's length), optional label smoothing, and its gradient.
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

/** Which rows (row-major over targets' shape) count, and how many do. */
struct CountedRows {
  std::vector<uint8_t> counted;
  int64_t count = 0;
};

CountedRows countedRows(Backend& backend, const Tensor& targets, const CrossEntropyOptions& o) {
  std::vector<int32_t> values(static_cast<size_t>(targets.numel()));
  backend.download(targets, values.data());
  CountedRows rows;
  rows.counted.resize(values.size());
  // With lengths, targets are [B, T] (core checked): row r is position [r / T, r % T].
  int64_t time = o.lengths ? targets.shape[1] : 1;
  for (size_t r = 0; r < values.size(); ++r) {
    bool counts = values[r] != o.ignoreIndex;
    if (o.lengths) {
      int64_t b = static_cast<int64_t>(r) / time, t = static_cast<int64_t>(r) % time;
      counts = counts && t < (*o.lengths)[static_cast<size_t>(b)];
    }
    rows.counted[r] = counts;
    rows.count += counts;
  }
  return rows;
}

}  // namespace

void CpuBackend::crossEntropy(const Tensor& logits, const Tensor& targets,
                              const CrossEntropyOptions& options, const Tensor& loss,
                              const Tensor& logProbs) {
  size_t classDim = logits.rank() - 1;
  int64_t classes = logits.shape[classDim];
  int64_t ls = logits.strides[classDim], os = logProbs.strides[classDim];
  Shape rowShape(logits.shape.begin(), logits.shape.end() - 1);
  CountedRows rows = countedRows(*this, targets, options);
  const double eps = options.labelSmoothing;
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
                   double sum = 0, sumX = 0;
                   for (int64_t j = 0; j < classes; ++j) {
                     sum += std::exp(double(in[j * ls]) - max);
                     sumX += in[j * ls];
                   }
                   double logSum = max + std::log(sum);
                   for (int64_t j = 0; j < classes; ++j) {
                     o[j * os] = static_cast<float>(in[j * ls] - logSum);
                   }
                   int64_t row = first[3];
                   if (!rows.counted[static_cast<size_t>(row)]) {
                     rowLoss[row] = 0.0;
                     return;
                   }
                   double nll = logSum - in[target[first[2]] * ls];
                   // mean_c(-logp[c]) = logSum - mean_c(x[c])
                   double smooth = eps == 0 ? 0.0 : logSum - sumX / double(classes);
                   rowLoss[row] = eps == 0 ? nll : (1 - eps) * nll + eps * smooth;
                 });
  float* l = loss.data<float>();
  if (options.reduction == Reduction::None) {
    for (size_t r = 0; r < rowLoss.size(); ++r) l[r] = static_cast<float>(rowLoss[r]);
    return;
  }
  double total = 0;
  for (double v : rowLoss) total += v;
  if (options.reduction == Reduction::Mean) total /= static_cast<double>(rows.count);  // none: NaN
  l[0] = static_cast<float>(total);
}

void CpuBackend::crossEntropyBackward(const Tensor& gradLoss, const Tensor& logProbs,
                                      const Tensor& targets, const CrossEntropyOptions& options,
                                      const Tensor& out) {
  size_t classDim = logProbs.rank() - 1;
  int64_t classes = logProbs.shape[classDim];
  int64_t ps = logProbs.strides[classDim], os = out.strides[classDim];
  Shape rowShape(logProbs.shape.begin(), logProbs.shape.end() - 1);
  CountedRows rows = countedRows(*this, targets, options);
  // d loss_row / d x_j = softmax_j - (1 - eps) [j == target] - eps / C.
  const double eps = options.labelSmoothing;
  const double onTarget = 1 - eps, uniform = eps / static_cast<double>(classes);
  // Per-row scale: gradLoss[row] for 'none'; the scalar gradLoss (over the counted rows for
  // 'mean') otherwise, read through stride-0 offsets.
  double factor = 1.0;
  Strides gradStrides = withClassDim(gradLoss.strides);
  if (options.reduction != Reduction::None) {
    gradStrides.assign(logProbs.rank(), 0);
    if (options.reduction == Reduction::Mean) factor = 1.0 / static_cast<double>(rows.count);
  }
  const float* lp = logProbs.data<const float>();
  const float* g = gradLoss.data<const float>();
  const int32_t* target = targets.data<const int32_t>();
  float* dx = out.data<float>();
  forEachLine<5>(logProbs.shape, classDim,
                 {logProbs.strides, out.strides, withClassDim(targets.strides), gradStrides,
                  withClassDim(contiguousStrides(rowShape))},
                 [&](const Offsets<5>& first) {
                   float* o = dx + first[1];
                   if (!rows.counted[static_cast<size_t>(first[4])]) {
                     for (int64_t j = 0; j < classes; ++j) o[j * os] = 0.0f;
                     return;
                   }
                   const float* p = lp + first[0];
                   int32_t t = target[first[2]];
                   double scale = g[first[3]] * factor;
                   for (int64_t j = 0; j < classes; ++j) {
                     double shift = (j == t ? onTarget : 0.0) + uniform;
                     o[j * os] = static_cast<float>((std::exp(double(p[j * ps])) - shift) * scale);
                   }
                 });
}

}  // namespace rk::cpu
