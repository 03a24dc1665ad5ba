// Batched matmul on cuBLAS: out[..., M, N] = a[..., M, K] b[..., K, N] with broadcast batch dims.
// Row-major C = A B is column-major C^T = B^T A^T, so each operand is handed to cuBLAS as it is
// stored (transposed or not) whenever its last two dims have a unit stride; a batch whose
// elements sit at one fixed stride (0 for a broadcast operand) runs as one strided-batched GEMM.
// Other views are first copied contiguous. Math mode CUBLAS_DEFAULT_MATH: plain FP32, no TF32.
#include <cublas_v2.h>

#include <algorithm>

#include "cuda/cuda_check.h"
#include "cuda/kernels.h"

namespace rk::cuda {

namespace {

/** How cuBLAS reads a row-major R x C matrix X as the column-major C x R matrix X^T. */
struct GemmOperand {
  const float* data;
  cublasOperation_t op;
  int64_t ld;
  int64_t batchStride;
};

/** The last two dims of t as cuBLAS can read them in place, or false. */
bool asGemmMatrix(const Tensor& t, int64_t& ld, cublasOperation_t& op) {
  size_t r = t.rank();
  int64_t rows = t.shape[r - 2], cols = t.shape[r - 1];
  int64_t rowStride = rows == 1 ? cols : t.strides[r - 2];
  int64_t colStride = cols == 1 ? 1 : t.strides[r - 1];
  if (colStride == 1 && rowStride >= std::max<int64_t>(1, cols)) {
    op = CUBLAS_OP_N;  // X^T is column-major with leading dim rowStride
    ld = rowStride;
    return true;
  }
  if (rowStride == 1 && colStride >= std::max<int64_t>(1, rows)) {
    op = CUBLAS_OP_T;  // X is column-major with leading dim colStride
    ld = colStride;
    return true;
  }
  return false;
}

/** The one stride s with batch element b at b * s (over batch dims `shape`), or false. */
bool batchStride(const Shape& shape, const Strides& strides, int64_t& stride) {
  int64_t inner = 1;  // batch elements inside dim d
  bool found = false;
  stride = 0;
  for (size_t d = shape.size(); d-- > 0;) {
    if (shape[d] == 1) continue;
    if (!found) {
      stride = strides[d];
      found = true;
    } else if (strides[d] != stride * inner) {
      return false;
    }
    inner *= shape[d];
  }
  return true;
}

/**
 * t broadcast to the output's batch dims, as cuBLAS reads it: in place when possible, else
 * through a contiguous copy (kept alive in `copies`).
 */
GemmOperand operand(CudaContext& context, const Tensor& t, const Shape& batch,
                    std::vector<Tensor>& copies) {
  size_t r = t.rank();
  Shape own(t.shape.begin(), t.shape.end() - 2);
  Strides ownStrides(t.strides.begin(), t.strides.end() - 2);
  Strides strides = broadcastStrides(own, ownStrides, batch);
  GemmOperand g{t.data<const float>(), CUBLAS_OP_N, 0, 0};
  if (asGemmMatrix(t, g.ld, g.op) && batchStride(batch, strides, g.batchStride)) return g;
  // A contiguous copy of t broadcast to every batch element.
  Shape full = batch;
  full.push_back(t.shape[r - 2]);
  full.push_back(t.shape[r - 1]);
  Tensor source = t;
  source.shape = full;
  source.strides = strides;
  source.strides.push_back(t.strides[r - 2]);
  source.strides.push_back(t.strides[r - 1]);
  copies.push_back(emptyTensor(t.device, DType::Float32, full));
  copyTensor(context, source, copies.back());
  g.data = copies.back().data<const float>();
  asGemmMatrix(copies.back(), g.ld, g.op);  // contiguous: always readable in place
  g.batchStride = t.shape[r - 2] * t.shape[r - 1];
  return g;
}

}  // namespace

void matmulOp(CudaContext& context, const Tensor& a, const Tensor& b, const Tensor& out) {
  size_t r = out.rank();
  int64_t m = out.shape[r - 2], n = out.shape[r - 1], k = a.shape[a.rank() - 1];
  int64_t count = out.numel() == 0 ? 0 : out.numel() / (m * n);
  if (count == 0) return;
  if (k == 0) {  // an empty sum: zeros
    CUDA_CHECK(cudaMemsetAsync(out.data<float>(), 0, out.numel() * sizeof(float), context.stream));
    return;
  }
  Shape batch(out.shape.begin(), out.shape.end() - 2);
  std::vector<Tensor> copies;
  GemmOperand ga = operand(context, a, batch, copies);
  GemmOperand gb = operand(context, b, batch, copies);
  const float alpha = 1.0f, beta = 0.0f;
  // C^T (N x M, column-major, ld N) = op(B^T) (N x K) * op(A^T) (K x M).
  CUBLAS_CHECK_ALLOCATING(
      context, cublasSgemmStridedBatched_64(context.cublas, gb.op, ga.op, n, m, k, &alpha, gb.data,
                                            gb.ld, gb.batchStride, ga.data, ga.ld, ga.batchStride,
                                            &beta, out.data<float>(), n, m * n, count));
}

}  // namespace rk::cuda
