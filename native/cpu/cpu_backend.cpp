#include "cpu/cpu_backend.h"

#include <omp.h>

#include <cstdlib>
#include <cstring>

#include "core/error.h"
#include "cpu/host_allocator.h"
#include "cpu/strided_loop.h"
#include "oneapi/dnnl/dnnl.hpp"

namespace rk {

Backend& cpuBackend() {
  static cpu::CpuBackend backend;
  return backend;
}

}  // namespace rk

namespace rk::cpu {

std::string CpuBackend::detail() const {
  const dnnl_version_t* v = dnnl_version();
  return str("oneDNN ", v->major, ".", v->minor, ".", v->patch, ", ", omp_get_max_threads(),
             " threads");
}

void* CpuBackend::allocate(size_t bytes) { return hostAllocate(bytes); }

void CpuBackend::deallocate(void* data, size_t bytes) noexcept { hostDeallocate(data, bytes); }

void CpuBackend::upload(const Tensor& dst, const void* host) {
  size_t bytes = static_cast<size_t>(dst.numel()) * dtypeSize(dst.dtype);
  if (bytes > 0) std::memcpy(dst.storage->data(), host, bytes);  // dst is fresh and contiguous
}

void CpuBackend::fill(const Tensor& dst, double value) {
  withDType(dst.dtype, [&](auto tag) {
    using T = decltype(tag);
    T v = static_cast<T>(value);
    mapElements(
        dst.shape, [v] { return v; }, Operand<T>{dst.data<T>(), dst.strides});
  });
}

void CpuBackend::download(const Tensor& src, void* host) {
  // A contiguous view is one memcpy: the strided loop's setup costs more than a small read.
  if (src.numel() == 0) return;
  if (src.isContiguous()) {
    std::memcpy(host, src.data<const uint32_t>(), static_cast<size_t>(src.numel()) * 4);
    return;
  }
  // Both dtypes are 4-byte words, so a download is a strided move of uint32.
  mapElements(
      src.shape, [](uint32_t x) { return x; },
      Operand<uint32_t>{static_cast<uint32_t*>(host), contiguousStrides(src.shape)},
      Operand<const uint32_t>{src.data<const uint32_t>(), src.strides});
}

}  // namespace rk::cpu
