// sum / mean / max over a set of axes, and max's gradient: one block per output element, each
// thread walking part of its group. float sums accumulate in double and int32 sums in int64 (then
// wrap), as on the CPU; max keeps NaN and its gradient goes to each group's first maximum.
#include <cstdint>

#include "cuda/kernels.h"
#include "cuda/launch.cuh"
#include "cuda/strided_index.h"

namespace rk::cuda {

namespace {

/** A candidate maximum: its value and its row-major position in the group (-1: none yet). */
struct Best {
  double value;
  int64_t at;
};

/** The better of two candidates: any NaN first, then the larger, then the earlier. */
struct BetterOp {
  __device__ Best operator()(Best a, Best b) const {
    if (a.at < 0) return b;
    if (b.at < 0) return a;
    bool aNan = a.value != a.value, bNan = b.value != b.value;
    if (aNan != bNan) return aNan ? a : b;
    if (!aNan && a.value != b.value) return a.value > b.value ? a : b;
    return a.at < b.at ? a : b;
  }
};

/**
 * The first maximum of the group whose x offset starts at `base`: its position in the group.
 * Every thread of the block returns it.
 */
template <class T>
__device__ int64_t firstMax(const StridedIndex<2>& group, int64_t count, const T* x, int64_t base) {
  Best best{0.0, -1};
  BetterOp better;
  for (int64_t g = threadIdx.x; g < count; g += blockDim.x) {
    best = better(best, Best{static_cast<double>(x[base + group.offset(g)]), g});
  }
  return blockReduce(best, better).at;
}

// kept: (x, out) offsets of each output element; group: x's offsets within a group.
template <class T, class Acc>
__global__ void reduceKernel(ReduceOp op, StridedIndex<2> kept, int64_t outputs,
                             StridedIndex<2> group, int64_t count, const T* x, T* out) {
  for (int64_t o = blockIdx.x; o < outputs; o += gridDim.x) {
    int64_t at[2];
    kept.offsets(o, at);
    if (op == ReduceOp::Max) {
      int64_t g = firstMax(group, count, x, at[0]);
      if (threadIdx.x == 0) out[at[1]] = x[at[0] + group.offset(g)];
      continue;
    }
    Acc acc = 0;
    for (int64_t g = threadIdx.x; g < count; g += blockDim.x) acc += x[at[0] + group.offset(g)];
    acc = blockReduce(acc, SumOp{});
    if (threadIdx.x == 0) {
      out[at[1]] = op == ReduceOp::Mean
                       ? static_cast<T>(static_cast<double>(acc) / static_cast<double>(count))
                       : static_cast<T>(acc);  // int64 -> int32 wraps
    }
  }
}

// Many small groups (a sum over a short last dim): one thread per output, walking its group in
// order, instead of a mostly idle block.
template <class T, class Acc>
__global__ void reduceSmallGroupsKernel(ReduceOp op, StridedIndex<2> kept, int64_t outputs,
                                        StridedIndex<2> group, int64_t count, const T* x, T* out) {
  RK_GRID_LOOP(o, outputs) {
    int64_t at[2];
    kept.offsets(o, at);
    if (op == ReduceOp::Max) {
      Best best{0.0, -1};
      for (int64_t g = 0; g < count; ++g) {
        best = BetterOp{}(best, Best{static_cast<double>(x[at[0] + group.offset(g)]), g});
      }
      out[at[1]] = x[at[0] + group.offset(best.at)];
      continue;
    }
    Acc acc = 0;
    for (int64_t g = 0; g < count; ++g) acc += x[at[0] + group.offset(g)];
    out[at[1]] = op == ReduceOp::Mean
                     ? static_cast<T>(static_cast<double>(acc) / static_cast<double>(count))
                     : static_cast<T>(acc);
  }
}

// kept: (x, grad, out) offsets; group: (x, out) offsets within a group. out was zeroed.
__global__ void maxBackwardKernel(StridedIndex<3> kept, int64_t outputs, StridedIndex<2> group,
                                  int64_t count, const float* x, const float* grad, float* out) {
  for (int64_t o = blockIdx.x; o < outputs; o += gridDim.x) {
    int64_t at[3];
    kept.offsets(o, at);
    int64_t g = firstMax(group, count, x, at[0]);
    if (threadIdx.x == 0) {
      int64_t within[2];
      group.offsets(g, within);
      out[at[2] + within[1]] = grad[at[1]];
    }
  }
}

/** x's dims split into kept ones (one output each) and reduced ones (a group). */
struct Split {
  Shape keptShape, groupShape;
  Strides keptX, groupX, keptOut, groupOut;
};

/** `outStrides`: another operand with x's shape (maxBackward's out), split the same way. */
Split splitAxes(const Tensor& x, const std::vector<bool>& reduced, const Strides& outStrides) {
  Split s;
  for (size_t d = 0; d < x.rank(); ++d) {
    if (reduced[d]) {
      s.groupShape.push_back(x.shape[d]);
      s.groupX.push_back(x.strides[d]);
      s.groupOut.push_back(outStrides[d]);
    } else {
      s.keptShape.push_back(x.shape[d]);
      s.keptX.push_back(x.strides[d]);
      s.keptOut.push_back(outStrides[d]);
    }
  }
  return s;
}

unsigned blocksFor(int64_t outputs) {
  return static_cast<unsigned>(outputs < 65535 * 4 ? (outputs < 1 ? 1 : outputs) : 65535 * 4);
}

}  // namespace

void reduceOp(CudaContext& context, ReduceOp op, const Tensor& x, const std::vector<bool>& reduced,
              const Tensor& out) {
  int64_t outputs = out.numel();
  if (outputs == 0) return;
  Split s = splitAxes(x, reduced, x.strides);
  // out holds the kept dims in order (with or without size-1 reduced ones): contiguous strides.
  auto kept = makeIndex<2>(s.keptShape, {s.keptX, contiguousStrides(s.keptShape)});
  auto group = makeIndex<2>(s.groupShape, {s.groupX, s.groupX});
  int64_t count = numel(s.groupShape);
  // Groups this small leave a block mostly idle; max needs a non-empty group (core checked).
  if (count <= 32 && outputs >= 1024 && (count > 0 || op != ReduceOp::Max)) {
    if (x.dtype == DType::Float32) {
      reduceSmallGroupsKernel<float, double><<<gridFor(outputs), kBlock, 0, context.stream>>>(
          op, kept, outputs, group, count, x.data<const float>(), out.data<float>());
    } else {
      reduceSmallGroupsKernel<int32_t, long long><<<gridFor(outputs), kBlock, 0, context.stream>>>(
          op, kept, outputs, group, count, x.data<const int32_t>(), out.data<int32_t>());
    }
    RK_CHECK_LAUNCH();
    return;
  }
  if (x.dtype == DType::Float32) {
    reduceKernel<float, double><<<blocksFor(outputs), kBlock, 0, context.stream>>>(
        op, kept, outputs, group, count, x.data<const float>(), out.data<float>());
  } else {
    reduceKernel<int32_t, long long><<<blocksFor(outputs), kBlock, 0, context.stream>>>(
        op, kept, outputs, group, count, x.data<const int32_t>(), out.data<int32_t>());
  }
  RK_CHECK_LAUNCH();
}

void maxBackwardOp(CudaContext& context, const Tensor& grad, const Tensor& x,
                   const std::vector<bool>& reduced, const Tensor& out) {
  CUDA_CHECK(cudaMemsetAsync(out.data<float>(), 0, out.numel() * sizeof(float), context.stream));
  int64_t outputs = numel(grad.shape);
  if (outputs == 0 || x.numel() == 0) return;
  Split s = splitAxes(x, reduced, contiguousStrides(x.shape));
  Strides gradKept = keptGradStrides(grad.strides, x.rank(), reduced);
  auto kept = makeIndex<3>(s.keptShape, {s.keptX, gradKept, s.keptOut});
  auto group = makeIndex<2>(s.groupShape, {s.groupX, s.groupOut});
  maxBackwardKernel<<<blocksFor(outputs), kBlock, 0, context.stream>>>(
      kept, outputs, group, numel(s.groupShape), x.data<const float>(), grad.data<const float>(),
      out.data<float>());
  RK_CHECK_LAUNCH();
}

}  // namespace rk::cuda
