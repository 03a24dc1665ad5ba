// sum/mean over a set of axes. float32 accumulates in double, int32 in int64 (then wraps).
#include <omp.h>

#include "cpu/cpu_backend.h"
#include "cpu/strided_loop.h"

namespace rk::cpu {

void CpuBackend::reduce(ReduceOp op, const Tensor& x, const std::vector<bool>& reduced,
                        const Tensor& out) {
  // Split x's dims into kept ones (one output element per position) and reduced ones.
  Shape keptShape, reducedShape;
  Strides keptStrides, reducedStrides;
  for (size_t d = 0; d < x.rank(); ++d) {
    (reduced[d] ? reducedShape : keptShape).push_back(x.shape[d]);
    (reduced[d] ? reducedStrides : keptStrides).push_back(x.strides[d]);
  }
  int64_t count = numel(reducedShape);
  StridedLoop<2> outer(keptShape, {keptStrides, contiguousStrides(keptShape)});
  StridedLoop<1> inner(reducedShape, {reducedStrides});
  bool parallelOuter = outer.numel() >= omp_get_max_threads();

  withDType(x.dtype, [&](auto tag) {
    using T = decltype(tag);
    using Acc = std::conditional_t<std::is_same_v<T, float>, double, int64_t>;
    const T* src = x.data<const T>();
    T* dst = out.data<T>();
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

}  // namespace rk::cpu
