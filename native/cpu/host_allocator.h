// A caching allocator for host memory. Training repeats the same allocations every step (layer
// buffers, workspaces, gradients); served fresh by malloc, each large block is a new mmap whose
// pages the kernel faults in and zeroes on first touch, which cost a quarter of an LSTM step's
// time. Freed large blocks are kept by size class and handed out again instead.
#pragma once

#include <cstddef>
#include <cstdint>

namespace rk::cpu {

/** 64-byte aligned memory for `bytes` (RK_OUT_OF_MEMORY when none can be had). Thread-safe. */
void* hostAllocate(size_t bytes);
/** Returns a block from hostAllocate of the same `bytes`. Thread-safe. */
void hostDeallocate(void* data, size_t bytes) noexcept;
/** Frees every cached block (also done before an allocation fails). */
void hostEmptyCache() noexcept;
/** Bytes held in the cache, not in use. */
int64_t hostCachedBytes() noexcept;

}  // namespace rk::cpu
