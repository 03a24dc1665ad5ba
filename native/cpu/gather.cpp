// gather (rows of a table picked by int32 indices) and its gradient, a scatter-add that can
// leave out a padding row.
#include <omp.h>

#include <vector>

#include "cpu/cpu_backend.h"
#include "cpu/strided_loop.h"

namespace rk::cpu {

namespace {

/** Row-major copy of an int32 index tensor (indices may be any view). */
std::vector<int32_t> indexValues(Backend& backend, const Tensor& indices) {
  std::vector<int32_t> values(static_cast<size_t>(indices.numel()));
  backend.download(indices, values.data());
  return values;
}

/** Offset in `t` of the start of row `flat` of its leading dims `lead`. */
int64_t leadingOffset(int64_t flat, const Shape& lead, const Strides& strides) {
  int64_t offset = 0;
  for (size_t d = lead.size(); d-- > 0;) {
    offset += (flat % lead[d]) * strides[d];
    flat /= lead[d];
  }
  return offset;
}

}  // namespace

void CpuBackend::gather(const Tensor& table, const Tensor& indices, const Tensor& out) {
  std::vector<int32_t> rows = indexValues(*this, indices);
  Shape rowShape(table.shape.begin() + 1, table.shape.end());
  Strides tableRowStrides(table.strides.begin() + 1, table.strides.end());
  int64_t rowSize = numel(rowShape);
  StridedLoop<2> rowLoop(rowShape, {contiguousStrides(rowShape), tableRowStrides});
  // Both dtypes are 4-byte words: gather moves uint32.
  const uint32_t* src = table.data<const uint32_t>();
  uint32_t* dst = out.data<uint32_t>();
  int64_t count = static_cast<int64_t>(rows.size());
#pragma omp parallel for schedule(static) if (worthThreads(count * rowSize))
  for (int64_t i = 0; i < count; ++i) {
    const uint32_t* from = src + rows[i] * table.strides[0];
    uint32_t* to = dst + i * rowSize;
    rowLoop.forEachRun(
        [&](const Offsets<2>& start, int64_t n, const Offsets<2>& step) {
          for (int64_t j = 0; j < n; ++j) to[start[0] + j * step[0]] = from[start[1] + j * step[1]];
        },
        1, false);
  }
}

void CpuBackend::gatherBackward(const Tensor& grad, const Tensor& indices,
                                std::optional<int64_t> paddingIdx, const Tensor& out) {
  std::vector<int32_t> rows = indexValues(*this, indices);
  Shape rowShape(out.shape.begin() + 1, out.shape.end());
  Strides gradRowStrides(grad.strides.begin() + indices.rank(), grad.strides.end());
  int64_t rowSize = numel(rowShape);
  StridedLoop<2> rowLoop(rowShape, {contiguousStrides(rowShape), gradRowStrides});
  const float* src = grad.data<const float>();
  float* dst = out.data<float>();
  std::fill(dst, dst + out.numel(), 0.0f);
  int64_t count = static_cast<int64_t>(rows.size());
  const int64_t skip = paddingIdx.value_or(-1);  // indices are >= 0: -1 skips nothing
  // Thread t owns the output rows r with r % threads == t, so rows never race and every row
  // adds its contributions in index order: the result does not depend on the thread count.
#pragma omp parallel if (worthThreads(count * rowSize))
  {
    int threads = omp_get_num_threads(), me = omp_get_thread_num();
    for (int64_t i = 0; i < count; ++i) {
      if (rows[i] % threads != me || rows[i] == skip) continue;
      const float* from = src + leadingOffset(i, indices.shape, grad.strides);
      float* to = dst + rows[i] * rowSize;
      rowLoop.forEachRun(
          [&](const Offsets<2>& start, int64_t n, const Offsets<2>& step) {
            for (int64_t j = 0; j < n; ++j)
              to[start[0] + j * step[0]] += from[start[1] + j * step[1]];
          },
          1, false);
    }
  }
}

}  // namespace rk::cpu
