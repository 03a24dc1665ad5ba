// sum/mean/max over a set of axes, and max's gradient. float32 sums accumulate in double, int32
// in int64 (then wrap). max propagates NaN.
#include <omp.h>

#include <cmath>

#include "cpu/cpu_backend.h"
#include "cpu/strided_loop.h"

namespace rk::cpu {

namespace {

/** x's dims split into kept ones (one output element per position) and reduced ones. */
struct Split {
  Shape keptShape, reducedShape;
  Strides keptStrides, reducedStrides;
};

Split splitAxes(const Tensor& x, const std::vector<bool>& reduced) {
  Split s;
  for (size_t d = 0; d < x.rank(); ++d) {
    (reduced[d] ? s.reducedShape : s.keptShape).push_back(x.shape[d]);
    (reduced[d] ? s.reducedStrides : s.keptStrides).push_back(x.strides[d]);
  }
  return s;
}

template <class T>
bool isNaN(T v) {
  if constexpr (std::is_floating_point_v<T>) return std::isnan(v);
  return false;
}

/** The reduced dims of a group, row-major, with their strides in x and in a second operand. */
struct Group {
  Shape shape;
  Strides x, second;
};

/**
 * The offsets (into x, and into the second operand) of the first maximal element of the group
 * at `base`, walking the reduced dims in row-major order; the first NaN wins over everything.
 * Serial on purpose (the first maximum is an order question). The group is not empty.
 */
template <class T>
std::pair<int64_t, int64_t> firstMax(const Group& group, const T* src, int64_t base) {
  const size_t r = group.shape.size();
  if (r == 0) return {base, 0};
  const int64_t inner = group.shape[r - 1];
  const int64_t xs = group.x[r - 1], ss = group.second[r - 1];
  const int64_t runs = inner == 0 ? 0 : numel(group.shape) / inner;
  int64_t best = -1, bestSecond = -1;
  T bestValue{};
  for (int64_t run = 0; run < runs; ++run) {
    int64_t xo = base, so = 0, rest = run;
    for (size_t d = r - 1; d-- > 0;) {
      int64_t i = rest % group.shape[d];
      rest /= group.shape[d];
      xo += i * group.x[d];
      so += i * group.second[d];
    }
    for (int64_t i = 0; i < inner; ++i) {
      T v = src[xo + i * xs];
      if (best < 0 || v > bestValue || isNaN(v)) {
        best = xo + i * xs;
        bestSecond = so + i * ss;
        bestValue = v;
        if (isNaN(v)) return {best, bestSecond};
      }
    }
  }
  return {best, bestSecond};
}

}  // namespace

void CpuBackend::reduce(ReduceOp op, const Tensor& x, const std::vector<bool>& reduced,
                        const Tensor& out) {
  Split s = splitAxes(x, reduced);
  int64_t count = numel(s.reducedShape);
  StridedLoop<2> outer(s.keptShape, {s.keptStrides, contiguousStrides(s.keptShape)});
  bool parallelOuter = outer.numel() >= omp_get_max_threads();

  withDType(x.dtype, [&](auto tag) {
    using T = decltype(tag);
    using Acc = std::conditional_t<std::is_same_v<T, float>, double, int64_t>;
    const T* src = x.data<const T>();
    T* dst = out.data<T>();
    if (op == ReduceOp::Max) {
      // Serial within a group; groups in parallel.
      Group group{s.reducedShape, s.reducedStrides, Strides(s.reducedShape.size(), 0)};
      outer.forEachRun(
          [&](const Offsets<2>& start, int64_t n, const Offsets<2>& step) {
            for (int64_t i = 0; i < n; ++i) {
              int64_t at = firstMax(group, src, start[0] + i * step[0]).first;
              dst[start[1] + i * step[1]] = src[at];
            }
          },
          std::max<int64_t>(1, count));
      return;
    }
    StridedLoop<1> inner(s.reducedShape, {s.reducedStrides});
    auto sumAt = [&](int64_t base) {
      return inner.sumRuns<Acc>(
          [&](const Offsets<1>& start, int64_t n, const Offsets<1>& step) {
            Acc acc = 0;
            const T* p = src + base + start[0];
            for (int64_t i = 0; i < n; ++i) acc += p[i * step[0]];
            return acc;
          },
          !parallelOuter);
    };
    auto body = [&](const Offsets<2>& start, int64_t n, const Offsets<2>& step) {
      for (int64_t i = 0; i < n; ++i) {
        Acc acc = sumAt(start[0] + i * step[0]);
        T& o = dst[start[1] + i * step[1]];
        if (op == ReduceOp::Mean) {
          o = static_cast<T>(static_cast<double>(acc) / static_cast<double>(count));  // 0/0 = NaN
        } else {
          o = static_cast<T>(acc);
        }
      }
    };
    // With few outputs (a full reduction) the outer loop stays serial and sumAt spreads each
    // output's sum over the threads instead.
    outer.forEachRun(body, std::max<int64_t>(1, count), parallelOuter);
  });
}

void CpuBackend::maxBackward(const Tensor& grad, const Tensor& x, const std::vector<bool>& reduced,
                             const Tensor& out) {
  Split s = splitAxes(x, reduced);
  // out is contiguous with x's shape: its strides split the same way.
  Strides outStrides = contiguousStrides(x.shape), outKept, outReduced;
  for (size_t d = 0; d < x.rank(); ++d)
    (reduced[d] ? outReduced : outKept).push_back(outStrides[d]);
  Strides gradKept = keptGradStrides(grad.strides, x.rank(), reduced);
  float* dst = out.data<float>();
  std::fill(dst, dst + out.numel(), 0.0f);
  const float* src = x.data<const float>();
  const float* g = grad.data<const float>();
  int64_t count = numel(s.reducedShape);
  StridedLoop<3> outer(s.keptShape, {s.keptStrides, gradKept, outKept});
  Group group{s.reducedShape, s.reducedStrides, outReduced};
  outer.forEachRun(
      [&](const Offsets<3>& start, int64_t n, const Offsets<3>& step) {
        for (int64_t i = 0; i < n; ++i) {
          int64_t within = firstMax(group, src, start[0] + i * step[0]).second;
          dst[start[2] + i * step[2] + within] = g[start[1] + i * step[1]];
        }
      },
      std::max<int64_t>(1, count));
}

}  // namespace rk::cpu
