#include "cuda/pinned_staging.h"

#include <algorithm>
#include <cstring>

#include "cuda/cuda_check.h"

namespace rk::cuda {

namespace {

// Spans start on 256-byte boundaries (the DMA engines' preferred alignment).
size_t aligned(size_t bytes) { return (bytes + 255) & ~size_t{255}; }

/** Whether the work before `event` has finished (never waits). */
bool finished(cudaEvent_t event) {
  cudaError_t status = cudaEventQuery(event);
  if (status == cudaErrorNotReady) {
    cudaGetLastError();  // "not ready" is no failure: keep it from a later launch check
    return false;
  }
  CUDA_CHECK(status);
  return true;
}

}  // namespace

PinnedStaging::~PinnedStaging() {
  // The driver may still be reading the ring; failures here have no one to report to.
  for (const Span& span : spans_) {
    cudaEventSynchronize(span.done);
    cudaEventDestroy(span.done);
  }
  for (cudaEvent_t event : spareEvents_) cudaEventDestroy(event);
  if (ring_) cudaFreeHost(ring_);
  cudaGetLastError();
}

void PinnedStaging::copyToDevice(void* device, const void* host, size_t bytes,
                                 cudaStream_t stream) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!ring_) CUDA_CHECK(cudaMallocHost(reinterpret_cast<void**>(&ring_), kCapacity));
  for (size_t done = 0; done < bytes;) {
    size_t n = std::min(bytes - done, kChunk);
    size_t begin = reserve(aligned(n));
    std::memcpy(ring_ + begin, static_cast<const char*>(host) + done, n);
    CUDA_CHECK(cudaMemcpyAsync(static_cast<char*>(device) + done, ring_ + begin, n,
                               cudaMemcpyHostToDevice, stream));
    cudaEvent_t event = takeEvent();
    spans_.push_back(Span{begin, begin + aligned(n), event});
    head_ = begin + aligned(n);
    cudaError_t recorded = cudaEventRecord(event, stream);
    if (recorded != cudaSuccess) {
      // A never-recorded event reads as finished: wait until the queued copy has read the span.
      cudaStreamSynchronize(stream);
      CUDA_CHECK(recorded);
    }
    done += n;
  }
}

size_t PinnedStaging::reserve(size_t bytes) {
  for (;;) {
    retireFinished();
    if (spans_.empty()) return 0;
    size_t tail = spans_.front().begin;
    if (head_ > tail) {  // in use: [tail, head_)
      if (kCapacity - head_ >= bytes) return head_;
      if (tail >= bytes) return 0;       // wrap; [head_, kCapacity) stays unused until the wrap
    } else if (tail - head_ >= bytes) {  // in use: [tail, kCapacity) and [0, head_)
      return head_;
    }
    // Full (head_ == tail with spans in flight, or no gap big enough): wait for the oldest copy.
    CUDA_CHECK(cudaEventSynchronize(spans_.front().done));
    retireFront();
  }
}

void PinnedStaging::retireFinished() {
  while (!spans_.empty() && finished(spans_.front().done)) retireFront();
}

void PinnedStaging::retireFront() {
  spareEvents_.push_back(spans_.front().done);
  spans_.pop_front();
}

cudaEvent_t PinnedStaging::takeEvent() {
  if (spareEvents_.empty()) {
    cudaEvent_t event;
    CUDA_CHECK(cudaEventCreateWithFlags(&event, cudaEventDisableTiming));
    return event;
  }
  cudaEvent_t event = spareEvents_.back();
  spareEvents_.pop_back();
  return event;
}

}  // namespace rk::cuda
