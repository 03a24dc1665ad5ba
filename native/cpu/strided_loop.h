// The one N-d iterator behind every CPU kernel that walks strided views (elementwise ops, casts,
// copies, reductions, softmax lines, gather rows).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <tuple>
#include <utility>

#include "core/shape.h"
#include "cpu/parallel.h"

namespace rk::cpu {

template <size_t N>
using Offsets = std::array<int64_t, N>;

/** Elements per OpenMP work item, scaled down by the cost of one element. */
constexpr int64_t kGrain = 1 << 14;

/**
 * Visits every position of `shape` for N operands, each with its own element strides. Size-1
 * dims are dropped and neighbouring dims merged where every operand steps evenly across them,
 * so the innermost run is as long as possible (one run for contiguous operands).
 */
template <size_t N>
class StridedLoop {
 public:
  StridedLoop(const Shape& shape, const std::array<Strides, N>& strides)
      : numel_(rk::numel(shape)) {
    // Walk dims from innermost to outermost, merging each into the run so far when possible.
    for (size_t d = shape.size(); d-- > 0;) {
      if (shape[d] == 1) continue;
      bool merge = !sizes_.empty();
      for (size_t k = 0; merge && k < N; ++k) {
        merge = strides[k][d] == strides_[k].back() * sizes_.back();
      }
      if (merge) {
        sizes_.back() *= shape[d];
      } else {
        sizes_.push_back(shape[d]);
        for (size_t k = 0; k < N; ++k) strides_[k].push_back(strides[k][d]);
      }
    }
    std::reverse(sizes_.begin(), sizes_.end());
    for (auto& s : strides_) std::reverse(s.begin(), s.end());
  }

  int64_t numel() const { return numel_; }

  /**
   * Calls body(start, count, step) for runs that together cover every position once: operand k
   * of the run's i-th element is at start[k] + i * step[k]. Runs go to OpenMP threads when the
   * work (numel * costPerElement) is large and allowParallel is set, so body must only write
   * what its run owns.
   */
  template <class Body>
  void forEachRun(Body&& body, int64_t costPerElement = 1, bool allowParallel = true) const {
    Plan plan = planRuns(costPerElement);
    bool parallel = allowParallel && worthThreads(numel_ * costPerElement);
#pragma omp parallel for schedule(static) if (parallel)
    for (int64_t item = 0; item < plan.items; ++item) runItem(plan, item, body);
  }

  /** Like forEachRun, but sums what body returns for each run (a parallel reduction). */
  template <class Acc, class Body>
  Acc sumRuns(Body&& body, bool allowParallel) const {
    Plan plan = planRuns(1);
    bool parallel = allowParallel && worthThreads(numel_);
    Acc total = 0;
#pragma omp parallel for schedule(static) reduction(+ : total) if (parallel)
    for (int64_t item = 0; item < plan.items; ++item) total += runItem(plan, item, body);
    return total;
  }

 private:
  struct Plan {
    int64_t inner;   // length of a full run
    int64_t chunk;   // elements per work item
    int64_t perRow;  // work items per run
    int64_t items;
  };

  Plan planRuns(int64_t costPerElement) const {
    Plan p;
    p.inner = sizes_.empty() ? 1 : sizes_.back();
    p.chunk = std::max<int64_t>(1, kGrain / std::max<int64_t>(1, costPerElement));
    p.perRow = p.inner == 0 ? 0 : (p.inner + p.chunk - 1) / p.chunk;
    p.items = numel_ == 0 ? 0 : (numel_ / p.inner) * p.perRow;
    return p;
  }

  template <class Body>
  auto runItem(const Plan& p, int64_t item, Body& body) const {
    int64_t row = item / p.perRow;
    int64_t begin = (item % p.perRow) * p.chunk;
    Offsets<N> start{}, step{};
    // Unravel the run index over the outer dims (all but the innermost).
    for (size_t d = sizes_.size() > 0 ? sizes_.size() - 1 : 0; d-- > 0;) {
      int64_t index = row % sizes_[d];
      row /= sizes_[d];
      for (size_t k = 0; k < N; ++k) start[k] += index * strides_[k][d];
    }
    for (size_t k = 0; k < N; ++k) {
      step[k] = sizes_.empty() ? 0 : strides_[k].back();
      start[k] += begin * step[k];
    }
    return body(start, std::min(p.chunk, p.inner - begin), step);
  }

  int64_t numel_;
  Shape sizes_;  // merged dims, outermost first
  std::array<Strides, N> strides_;
};

/**
 * Calls body(first) for every line of `shape` along `axis`, on OpenMP threads when the work is
 * large: operand k's j-th element of the line is at first[k] + j * strides[k][axis].
 */
template <size_t N, class Body>
void forEachLine(const Shape& shape, size_t axis, const std::array<Strides, N>& strides,
                 Body&& body) {
  Shape outer = shape;
  outer.erase(outer.begin() + axis);
  std::array<Strides, N> outerStrides = strides;
  for (auto& s : outerStrides) s.erase(s.begin() + axis);
  StridedLoop<N> loop(outer, outerStrides);
  loop.forEachRun(
      [&](const Offsets<N>& start, int64_t count, const Offsets<N>& step) {
        for (int64_t i = 0; i < count; ++i) {
          Offsets<N> first;
          for (size_t k = 0; k < N; ++k) first[k] = start[k] + i * step[k];
          body(first);
        }
      },
      std::max<int64_t>(1, shape[axis]));
}

/** A typed base pointer with strides laid over the loop's shape. */
template <class T>
struct Operand {
  T* data;
  Strides strides;
};

namespace detail {

// One run of mapElements: operand k's elements start at base + start[k], step[k] apart.
template <class F, size_t... I, class Out, class... In>
void mapRun(F& f, std::index_sequence<I...>, const Offsets<1 + sizeof...(In)>& start, int64_t count,
            const Offsets<1 + sizeof...(In)>& step, Out* out, In*... in) {
  Out* o = out + start[0];
  std::tuple<In*...> p{(in + start[I + 1])...};
  if (step[0] == 1 && ((step[I + 1] == 1) && ...)) {
    for (int64_t i = 0; i < count; ++i) o[i] = f(std::get<I>(p)[i]...);
  } else {
    for (int64_t i = 0; i < count; ++i) o[i * step[0]] = f(std::get<I>(p)[i * step[I + 1]]...);
  }
}

}  // namespace detail

/**
 * out = f(in...) elementwise over `shape`. The inner loop is a plain indexed loop when every
 * operand is contiguous along it, so the compiler can vectorise it.
 */
template <class Out, class... In, class F>
void mapElements(const Shape& shape, F f, const Operand<Out>& out, const Operand<In>&... in) {
  constexpr size_t N = 1 + sizeof...(In);
  StridedLoop<N> loop(shape, {out.strides, in.strides...});
  loop.forEachRun([&](const Offsets<N>& start, int64_t count, const Offsets<N>& step) {
    detail::mapRun(f, std::index_sequence_for<In...>{}, start, count, step, out.data, in.data...);
  });
}

}  // namespace rk::cpu
