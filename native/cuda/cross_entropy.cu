// Fused softmax-cross-entropy over the last dim and its gradient, with ignored rows (ignoreIndex,
// or past each sequence's length), label smoothing and mean/sum/none reductions: the CPU's
// cross_entropy.cpp row by row (one block per row, sums in double), then one block that adds the
// rows' losses in a fixed order.
#include <vector>

#include "cuda/device_buffer.h"
#include "cuda/kernels.h"
#include "cuda/launch.cuh"
#include "cuda/strided_index.h"

namespace rk::cuda {

namespace {

/** Which rows count: not ignoreIndex, and (with lengths over [B, T]) inside their sequence. */
struct RowFilter {
  int64_t ignoreIndex;
  const int32_t* lengths;  // null: no lengths
  int64_t time;

  __device__ bool counts(int64_t row, int32_t target) const {
    if (target == ignoreIndex) return false;
    return !lengths || row % time < lengths[row / time];
  }
};

// rows: (logits, logProbs, targets) offsets of each row; ls/os: strides along the classes.
__global__ void crossEntropyRowsKernel(StridedIndex<3> rows, int64_t count, int64_t classes,
                                       int64_t ls, int64_t os, const float* logits,
                                       const int32_t* targets, RowFilter filter, double eps,
                                       float* logProbs, double* rowLoss, float* lossNone) {
  for (int64_t row = blockIdx.x; row < count; row += gridDim.x) {
    int64_t at[3];
    rows.offsets(row, at);
    const float* in = logits + at[0];
    float* o = logProbs + at[1];
    double max = -INFINITY;
    for (int64_t j = threadIdx.x; j < classes; j += blockDim.x)
      max = MaxNanOp{}(max, double(in[j * ls]));
    max = blockReduce(max, MaxNanOp{});
    double sum = 0, sumX = 0;
    for (int64_t j = threadIdx.x; j < classes; j += blockDim.x) {
      sum += exp(double(in[j * ls]) - max);
      sumX += in[j * ls];
    }
    sum = blockReduce(sum, SumOp{});
    sumX = blockReduce(sumX, SumOp{});
    double logSum = max + log(sum);
    for (int64_t j = threadIdx.x; j < classes; j += blockDim.x) {
      o[j * os] = static_cast<float>(in[j * ls] - logSum);
    }
    if (threadIdx.x == 0) {
      int32_t target = targets[at[2]];
      double loss = 0.0;
      if (filter.counts(row, target)) {
        // A target out of range (the device's index check reports it later) reads nothing.
        double nll = target >= 0 && target < classes ? logSum - in[target * ls] : double(NAN);
        // mean_c(-logp[c]) = logSum - mean_c(x[c])
        loss = eps == 0 ? nll : (1 - eps) * nll + eps * (logSum - sumX / double(classes));
      }
      rowLoss[row] = loss;
      if (lossNone) lossNone[row] = static_cast<float>(loss);
    }
  }
}

/** The counted rows' number, for 'mean' (one block). */
__global__ void countRowsKernel(StridedIndex<1> targetIx, int64_t count, const int32_t* targets,
                                RowFilter filter, double* counted) {
  double n = 0;
  for (int64_t row = threadIdx.x; row < count; row += blockDim.x) {
    n += filter.counts(row, targets[targetIx.offset(row)]) ? 1.0 : 0.0;
  }
  n = blockReduce(n, SumOp{});
  if (threadIdx.x == 0) *counted = n;
}

/** loss = sum of the rows' losses, divided by the counted rows for 'mean' (one block). */
__global__ void totalLossKernel(const double* rowLoss, int64_t count, const double* counted,
                                float* loss) {
  double total = 0;
  for (int64_t row = threadIdx.x; row < count; row += blockDim.x) total += rowLoss[row];
  total = blockReduce(total, SumOp{});
  if (threadIdx.x == 0)
    *loss = static_cast<float>(counted ? total / *counted : total);  // 0/0 = NaN
}

// rows: (logProbs, out, targets, gradLoss) offsets; ps/os: strides along the classes.
__global__ void crossEntropyBackwardKernel(StridedIndex<4> rows, int64_t count, int64_t classes,
                                           int64_t ps, int64_t os, const float* logProbs,
                                           const int32_t* targets, const float* gradLoss,
                                           RowFilter filter, double eps, const double* counted,
                                           float* out) {
  const double onTarget = 1 - eps, uniform = eps / static_cast<double>(classes);
  for (int64_t row = blockIdx.x; row < count; row += gridDim.x) {
    int64_t at[4];
    rows.offsets(row, at);
    float* o = out + at[1];
    int32_t target = targets[at[2]];
    if (!filter.counts(row, target)) {
      for (int64_t j = threadIdx.x; j < classes; j += blockDim.x) o[j * os] = 0.0f;
      continue;
    }
    // d loss_row / d x_j = softmax_j - (1 - eps) [j == target] - eps / C, times the row's scale.
    double scale = gradLoss[at[3]] * (counted ? 1.0 / *counted : 1.0);
    const float* p = logProbs + at[0];
    for (int64_t j = threadIdx.x; j < classes; j += blockDim.x) {
      double shift = (j == target ? onTarget : 0.0) + uniform;
      o[j * os] = static_cast<float>((exp(double(p[j * ps])) - shift) * scale);
    }
  }
}

/** Strides over the rows (the leading dims) of a [..., C] tensor. */
Strides leading(const Strides& strides) { return Strides(strides.begin(), strides.end() - 1); }

unsigned rowBlocks(int64_t rows) {
  return static_cast<unsigned>(rows < 65535 * 4 ? (rows < 1 ? 1 : rows) : 65535 * 4);
}

/** The lengths on the device (when given); the filter reads them. */
struct Filter {
  Filter(CudaContext& context, const Tensor& targets, const CrossEntropyOptions& options)
      : lengths(context, options.lengths ? options.lengths->size() : 0) {
    filter = RowFilter{options.ignoreIndex, nullptr, 1};
    if (options.lengths) {
      const std::vector<int32_t>& host = *options.lengths;
      context.copyToDevice(lengths.data(), host.data(), host.size() * sizeof(int32_t));
      filter = RowFilter{options.ignoreIndex, lengths.data(), targets.shape[1]};
    }
  }
  DeviceBuffer<int32_t> lengths;
  RowFilter filter;
};

/** Writes into `counted` (on the device) how many of targets' rows count, for 'mean'. */
void countRows(CudaContext& context, const Shape& rowShape, const Tensor& targets,
               const RowFilter& filter, double* counted) {
  countRowsKernel<<<1, kBlock, 0, context.stream>>>(makeIndex<1>(rowShape, {targets.strides}),
                                                    numel(rowShape), targets.data<const int32_t>(),
                                                    filter, counted);
  RK_CHECK_LAUNCH();
}

}  // namespace

void crossEntropyOp(CudaContext& context, const Tensor& logits, const Tensor& targets,
                    const CrossEntropyOptions& options, const Tensor& loss,
                    const Tensor& logProbs) {
  Shape rowShape(logits.shape.begin(), logits.shape.end() - 1);
  int64_t count = numel(rowShape), classes = logits.shape.back();
  Filter filter(context, targets, options);
  DeviceBuffer<double> rowLoss(context, count), counted(context, 1);
  bool none = options.reduction == Reduction::None;
  if (count > 0) {
    auto rows = makeIndex<3>(rowShape,
                             {leading(logits.strides), leading(logProbs.strides), targets.strides});
    crossEntropyRowsKernel<<<rowBlocks(count), kBlock, 0, context.stream>>>(
        rows, count, classes, logits.strides.back(), logProbs.strides.back(),
        logits.data<const float>(), targets.data<const int32_t>(), filter.filter,
        options.labelSmoothing, logProbs.data<float>(), rowLoss.data(),
        none ? loss.data<float>() : nullptr);
    RK_CHECK_LAUNCH();
  }
  if (none) return;
  bool mean = options.reduction == Reduction::Mean;
  if (mean) {
    countRows(context, rowShape, targets, filter.filter, counted.data());
  }
  totalLossKernel<<<1, kBlock, 0, context.stream>>>(
      rowLoss.data(), count, mean ? counted.data() : nullptr, loss.data<float>());
  RK_CHECK_LAUNCH();
}

void crossEntropyBackwardOp(CudaContext& context, const Tensor& gradLoss, const Tensor& logProbs,
                            const Tensor& targets, const CrossEntropyOptions& options,
                            const Tensor& out) {
  Shape rowShape(logProbs.shape.begin(), logProbs.shape.end() - 1);
  int64_t count = numel(rowShape), classes = logProbs.shape.back();
  if (count == 0) return;
  Filter filter(context, targets, options);
  DeviceBuffer<double> counted(context, 1);
  bool mean = options.reduction == Reduction::Mean;
  if (mean) {
    countRows(context, rowShape, targets, filter.filter, counted.data());
  }
  // 'none' scales each row by its own gradLoss element; 'mean'/'sum' by the scalar (stride 0).
  Strides gradStrides =
      options.reduction == Reduction::None ? gradLoss.strides : Strides(rowShape.size(), 0);
  auto rows = makeIndex<4>(
      rowShape, {leading(logProbs.strides), leading(out.strides), targets.strides, gradStrides});
  crossEntropyBackwardKernel<<<rowBlocks(count), kBlock, 0, context.stream>>>(
      rows, count, classes, logProbs.strides.back(), out.strides.back(),
      logProbs.data<const float>(), targets.data<const int32_t>(), gradLoss.data<const float>(),
      filter.filter, options.labelSmoothing, mean ? counted.data() : nullptr, out.data<float>());
  RK_CHECK_LAUNCH();
}

}  // namespace rk::cuda
