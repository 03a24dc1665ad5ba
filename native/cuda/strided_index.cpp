#include "cuda/strided_index.h"

#include "core/error.h"

namespace rk::cuda {

template <int N>
StridedIndex<N> makeIndex(const Shape& shape, const std::array<Strides, N>& strides) {
  // Kept dims, innermost last; size-1 dims add no offset.
  Shape sizes;
  std::array<Strides, N> kept;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    sizes.push_back(shape[d]);
    for (int k = 0; k < N; ++k) kept[k].push_back(strides[k][d]);
  }
  // Merge dim d into d+1 when every operand steps over d as one run of d+1.
  Shape merged;
  std::array<Strides, N> mergedStrides;
  for (size_t d = 0; d < sizes.size(); ++d) {
    bool joins = !merged.empty();
    for (int k = 0; k < N && joins; ++k) {
      joins = mergedStrides[k].back() == kept[k][d] * sizes[d];
    }
    if (joins) {
      merged.back() *= sizes[d];
      for (int k = 0; k < N; ++k) mergedStrides[k].back() = kept[k][d];
    } else {
      merged.push_back(sizes[d]);
      for (int k = 0; k < N; ++k) mergedStrides[k].push_back(kept[k][d]);
    }
  }
  if (merged.size() > static_cast<size_t>(kMaxDims)) {
    fail(Error::Code::Shape, "the CUDA backend handles views of up to ", kMaxDims,
         " non-contiguous dims, got shape ", shapeToString(shape));
  }
  StridedIndex<N> index;
  index.rank = static_cast<int>(merged.size());
  for (size_t d = 0; d < merged.size(); ++d) {
    index.shape[d] = merged[d];
    for (int k = 0; k < N; ++k) index.strides[k][d] = mergedStrides[k][d];
  }
  return index;
}

template StridedIndex<1> makeIndex<1>(const Shape&, const std::array<Strides, 1>&);
template StridedIndex<2> makeIndex<2>(const Shape&, const std::array<Strides, 2>&);
template StridedIndex<3> makeIndex<3>(const Shape&, const std::array<Strides, 3>&);
template StridedIndex<4> makeIndex<4>(const Shape&, const std::array<Strides, 4>&);

}  // namespace rk::cuda
