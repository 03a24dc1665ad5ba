// Host-to-device copies through pinned (page-locked) host memory. From pageable memory the CUDA
// driver may wait for the stream to reach the copy before cudaMemcpyAsync returns, so an upload
// on the JS thread could block the event loop while the GPU drains. Here the caller's bytes are
// copied into a ring of pinned memory (a memcpy on the calling thread), the GPU copies them from
// there in stream order, and a ring span is reused once the event recorded after its copy has
// fired (queried on reuse; nothing waits for the GPU while the ring has room).
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <deque>
#include <mutex>
#include <vector>

namespace rk::cuda {

class PinnedStaging {
 public:
  /** Pinned bytes per device, allocated on first use; uploads larger than kChunk go in chunks. */
  static constexpr size_t kCapacity = size_t{32} << 20;
  static constexpr size_t kChunk = kCapacity / 4;

  PinnedStaging() = default;
  ~PinnedStaging();  // waits for the copies still in flight, then frees the ring
  PinnedStaging(const PinnedStaging&) = delete;
  PinnedStaging& operator=(const PinnedStaging&) = delete;

  /**
   * Queues the copy of `bytes` from `host` to the device memory `device` on `stream` and returns
   * once `host` has been read, so the caller may free or overwrite it at once. Waits for the GPU
   * only while more than kCapacity bytes of earlier copies have not run yet. Thread-safe (the JS
   * thread and the stream's worker both upload).
   */
  void copyToDevice(void* device, const void* host, size_t bytes, cudaStream_t stream);

 private:
  /** Ring bytes [begin, end) whose copy `done` follows. */
  struct Span {
    size_t begin;
    size_t end;
    cudaEvent_t done;
  };

  /** The start of `bytes` (<= kCapacity) free ring bytes; waits for the oldest span while full. */
  size_t reserve(size_t bytes);
  /** Drops the spans at the front whose copies have finished. */
  void retireFinished();
  void retireFront();
  cudaEvent_t takeEvent();

  std::mutex mutex_;
  char* ring_ = nullptr;
  size_t head_ = 0;         // where the next span starts (unless it wraps to 0)
  std::deque<Span> spans_;  // in flight, oldest first, back to back around the ring
  std::vector<cudaEvent_t> spareEvents_;
};

}  // namespace rk::cuda
