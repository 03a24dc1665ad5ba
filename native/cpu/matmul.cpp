// Batched matmul on oneDNN. Memory descriptors carry the tensors' real strides, so transposed
// and sliced views run without a copy; only when oneDNN has no kernel for a stride pattern are
// the operands copied to contiguous memory first.
#include <algorithm>

#include "cpu/cpu_backend.h"
#include "cpu/dnnl_check.h"
#include "cpu/dnnl_context.h"
#include "cpu/parallel.h"

namespace rk::cpu {

namespace {

using dnnl::memory;

/**
 * t as a oneDNN descriptor of rank `rank`: missing batch dims become leading 1s (oneDNN
 * broadcasts size-1 batch dims). The stride of a size-1 dim never matters for addressing, but
 * oneDNN checks it, so it gets the span of the whole view.
 */
memory::desc describe(const Tensor& t, size_t rank) {
  memory::dims dims(rank, 1), strides(rank, 0);
  size_t lead = rank - t.rank();
  int64_t span = 1;
  for (size_t d = 0; d < t.rank(); ++d) {
    dims[lead + d] = t.shape[d];
    strides[lead + d] = t.strides[d];
    if (t.shape[d] > 1) span = std::max(span, t.shape[d] * t.strides[d]);
  }
  for (size_t d = 0; d < rank; ++d) {
    if (dims[d] == 1) strides[d] = span;
  }
  return memory::desc(dims, memory::data_type::f32, strides);
}

void runMatmul(const Tensor& a, const Tensor& b, const Tensor& out) {
  size_t rank = out.rank();
  memory::desc aDesc = describe(a, rank), bDesc = describe(b, rank), outDesc = describe(out, rank);
  dnnl::engine& engine = dnnlEngine();
  dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(aDesc, bDesc, outDesc), engine);
  memory aMem(aDesc, engine, const_cast<float*>(a.data<const float>()));
  memory bMem(bDesc, engine, const_cast<float*>(b.data<const float>()));
  memory outMem(outDesc, engine, out.data<float>());
  dnnl::matmul(pd).execute(
      dnnlStream(), {{DNNL_ARG_SRC, aMem}, {DNNL_ARG_WEIGHTS, bMem}, {DNNL_ARG_DST, outMem}});
  dnnlStream().wait();
}

}  // namespace

void CpuBackend::matmul(const Tensor& a, const Tensor& b, const Tensor& out) {
  if (out.numel() == 0) return;
  if (a.shape.back() == 0) {  // empty sum: zeros (oneDNN rejects zero-sized dims)
    fill(out, 0.0);
    return;
  }
  // Small products (a head over one row) stay on this thread: see parallel.h.
  const ThreadsFor threads(out.numel() * a.shape.back() / kGemmMultiplyAddsPerWork);
  try {
    runMatmul(a, b, out);
    return;
  } catch (const dnnl::error& e) {
    if (e.status != dnnl_unimplemented && e.status != dnnl_invalid_arguments) DNNL_RETHROW(e);
  }
  // No oneDNN kernel for these strides: retry on contiguous copies of the strided operands.
  auto contiguousCopy = [this](const Tensor& t) {
    if (t.isContiguous()) return t;
    Tensor c = emptyTensor(t.device, t.dtype, t.shape);
    copy(t, c);
    return c;
  };
  DNNL_CHECK(runMatmul(contiguousCopy(a), contiguousCopy(b), out));
}

}  // namespace rk::cpu
