// gather (rows of a table picked by int32 indices) and its gradient. The gradient is a
// deterministic scatter-add without float atomics: the positions are sorted by index with CUB's
// (stable) radix sort, then each output element sums its rows' gradients in position order, the
// same order and the same float32 additions as the CPU.
#include <algorithm>
#include <climits>

#include <cub/device/device_radix_sort.cuh>

#include "cuda/device_buffer.h"
#include "cuda/kernels.h"
#include "cuda/launch.cuh"
#include "cuda/strided_index.h"

namespace rk::cuda {

namespace {

// indices: offsets over the index tensor; row: (out, table) offsets within a row. An index out
// of [0, rows) (the device's index check reports it later) gives a zero row.
__global__ void gatherKernel(StridedIndex<1> indices, StridedIndex<2> row, int64_t rowSize,
                             int64_t n, const int32_t* index, int64_t rows, int64_t tableStride,
                             const uint32_t* table, uint32_t* out) {
  RK_GRID_LOOP(e, n) {
    int64_t i = e / rowSize, j = e % rowSize;
    int64_t at[2];
    row.offsets(j, at);
    int64_t r = index[indices.offset(i)];
    out[i * rowSize + at[0]] = r >= 0 && r < rows ? table[r * tableStride + at[1]] : 0u;
  }
}

/**
 * Copies the (strided) indices into a contiguous array and numbers the positions. An index out
 * of [0, rows) (reported later by the device's index check) becomes the key `outside`, past the
 * last row, so it adds to no row and the keys stay within the bits the sort looks at.
 */
__global__ void keysKernel(StridedIndex<1> indices, int64_t n, const int32_t* index, int64_t rows,
                           int32_t outside, int32_t* keys, int64_t* positions) {
  RK_GRID_LOOP(i, n) {
    int32_t k = index[indices.offset(i)];
    keys[i] = k >= 0 && k < rows ? k : outside;
    positions[i] = i;
  }
}

/** First k in [0, n) with keys[k] >= value (keys sorted). */
__device__ int64_t lowerBound(const int32_t* keys, int64_t n, int64_t value) {
  int64_t lo = 0, hi = n;
  while (lo < hi) {
    int64_t mid = (lo + hi) / 2;
    if (keys[mid] < value)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

// lead: grad's offset of position p's row; row: grad's offset of element j within a row.
__global__ void scatterSumKernel(int64_t total, int64_t rowSize, const int32_t* keys,
                                 const int64_t* positions, int64_t count, StridedIndex<1> lead,
                                 StridedIndex<1> row, const float* grad, int64_t skip, float* out) {
  RK_GRID_LOOP(e, total) {
    int64_t r = e / rowSize, j = e % rowSize;
    float sum = 0.0f;
    if (r != skip) {
      int64_t begin = lowerBound(keys, count, r), end = lowerBound(keys, count, r + 1);
      int64_t within = row.offset(j);
      for (int64_t k = begin; k < end; ++k) sum += grad[lead.offset(positions[k]) + within];
    }
    out[e] = sum;
  }
}

/**
 * The key of an out-of-range index: `rows`, which no output row sums. (With more rows than int32
 * holds, only a negative index is out of range; it then joins the last row, still memory-safe.)
 */
int32_t outsideKey(int64_t rows) {
  return static_cast<int32_t>(std::min<int64_t>(rows, INT32_MAX));
}

/** Bits the radix sort must look at for keys in [0, outsideKey(rows)]. */
int keyBits(int64_t rows) {
  int bits = 1;
  while (bits < 31 && (int64_t{1} << bits) <= rows) ++bits;
  return bits;
}

}  // namespace

void gatherOp(CudaContext& context, const Tensor& table, const Tensor& indices, const Tensor& out) {
  int64_t n = out.numel();
  if (n == 0) return;
  Shape rowShape(table.shape.begin() + 1, table.shape.end());
  Strides tableRow(table.strides.begin() + 1, table.strides.end());
  int64_t rowSize = numel(rowShape);
  auto indexIx = makeIndex<1>(indices.shape, {indices.strides});
  auto rowIx = makeIndex<2>(rowShape, {contiguousStrides(rowShape), tableRow});
  // Both dtypes are 4-byte words: gather moves uint32.
  gatherKernel<<<gridFor(n), kBlock, 0, context.stream>>>(
      indexIx, rowIx, rowSize, n, indices.data<const int32_t>(), table.shape[0], table.strides[0],
      table.data<const uint32_t>(), out.data<uint32_t>());
  RK_CHECK_LAUNCH();
}

void gatherBackwardOp(CudaContext& context, const Tensor& grad, const Tensor& indices,
                      std::optional<int64_t> paddingIdx, const Tensor& out) {
  int64_t total = out.numel();
  if (total == 0) return;
  int64_t count = indices.numel();
  int64_t rows = out.shape[0];
  Shape rowShape(out.shape.begin() + 1, out.shape.end());
  int64_t rowSize = numel(rowShape);
  Strides gradLead(grad.strides.begin(),
                   grad.strides.begin() + static_cast<std::ptrdiff_t>(indices.rank()));
  Strides gradRow(grad.strides.begin() + static_cast<std::ptrdiff_t>(indices.rank()),
                  grad.strides.end());

  DeviceBuffer<int32_t> keys(context, count), sortedKeys(context, count);
  DeviceBuffer<int64_t> positions(context, count), sortedPositions(context, count);
  if (count > 0) {
    keysKernel<<<gridFor(count), kBlock, 0, context.stream>>>(
        makeIndex<1>(indices.shape, {indices.strides}), count, indices.data<const int32_t>(), rows,
        outsideKey(rows), keys.data(), positions.data());
    RK_CHECK_LAUNCH();
    size_t tempBytes = 0;
    CUDA_CHECK(cub::DeviceRadixSort::SortPairs(nullptr, tempBytes, keys.data(), sortedKeys.data(),
                                               positions.data(), sortedPositions.data(), count, 0,
                                               keyBits(rows), context.stream));
    DeviceBuffer<unsigned char> temp(context, tempBytes);
    CUDA_CHECK(cub::DeviceRadixSort::SortPairs(
        temp.data(), tempBytes, keys.data(), sortedKeys.data(), positions.data(),
        sortedPositions.data(), count, 0, keyBits(rows), context.stream));
  }
  scatterSumKernel<<<gridFor(total), kBlock, 0, context.stream>>>(
      total, rowSize, sortedKeys.data(), sortedPositions.data(), count,
      makeIndex<1>(indices.shape, {gradLead}), makeIndex<1>(rowShape, {gradRow}),
      grad.data<const float>(), paddingIdx.value_or(-1), out.data<float>());
  RK_CHECK_LAUNCH();
}

}  // namespace rk::cuda
