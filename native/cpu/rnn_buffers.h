// The CPU recurrent stack's float32 buffers (Storage-backed, so memory() counts them), the tensor
// views and oneDNN memories over them, and the copy loops the rnn_*.cpp files share.
#pragma once

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "core/backend.h"
#include "cpu/dnnl_context.h"
#include "cpu/strided_loop.h"

namespace rk::cpu::rnn {

using dnnl::memory;

/** float32 scratch or saved memory, allocated as a Storage so memory() counts it. */
struct Buffer {
  std::shared_ptr<Storage> storage;
  float* data() const { return static_cast<float*>(storage->data()); }
};

inline Buffer newBuffer(Device device, int64_t numel) {
  return Buffer{Storage::allocate(device, DType::Float32, std::max<int64_t>(numel, 1))};
}

/** A oneDNN memory of `desc` over a new cached host Buffer, which `keep` holds alive. */
inline memory hostMemory(const memory::desc& desc, std::vector<Buffer>& keep) {
  keep.push_back(
      newBuffer(Device{DeviceKind::Cpu}, static_cast<int64_t>(desc.get_size() / sizeof(float))));
  return memory(desc, dnnlEngine(), keep.back().data());
}

inline Buffer zeros(Device device, int64_t numel) {
  Buffer b = newBuffer(device, numel);
  std::memset(b.data(), 0, static_cast<size_t>(numel) * sizeof(float));
  return b;
}

/** A Tensor over `buffer` (for the strided copy kernel). */
inline Tensor over(const Buffer& buffer, Device device, const Shape& shape, const Strides& strides,
                   int64_t offset = 0) {
  Tensor t;
  t.storage = buffer.storage;
  t.offset = offset;
  t.shape = shape;
  t.strides = strides;
  t.device = device;
  return t;
}

/** An optional [rows, batch, width] state as a contiguous buffer; zeros when absent. */
inline Buffer stateBuffer(const std::optional<Tensor>& state, Device device, int64_t rows,
                          int64_t batch, int64_t width) {
  Buffer buffer = zeros(device, rows * batch * width);
  Shape shape{rows, batch, width};
  if (state) cpuBackend().copy(*state, over(buffer, device, shape, contiguousStrides(shape)));
  return buffer;
}

/** A [B, T, C] / [T, B, C] view of a tnc buffer [T, B, C] (the caller's layout). */
inline Tensor tncAs(const Buffer& buffer, Device device, bool batchFirst, int64_t batch,
                    int64_t time, int64_t channels) {
  if (batchFirst) {
    return over(buffer, device, {batch, time, channels}, {channels, batch * channels, 1});
  }
  return over(buffer, device, {time, batch, channels}, {batch * channels, channels, 1});
}

/** Runs f(s, j) for s < steps, j < rows; on OpenMP threads when `width` floats each is enough. */
template <class F>
void forRows(int64_t steps, int64_t rows, int64_t width, F f) {
  bool parallel = worthThreads(steps * rows * width);
#pragma omp parallel for collapse(2) schedule(static) if (parallel)
  for (int64_t s = 0; s < steps; ++s) {
    for (int64_t j = 0; j < rows; ++j) f(s, j);
  }
}

inline void copyFloats(float* dst, const float* src, int64_t n) {
  std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}

}  // namespace rk::cpu::rnn
