#include "cpu/host_allocator.h"

#include <cstdlib>
#include <map>
#include <mutex>
#include <vector>

#include "core/error.h"

namespace rk::cpu {

namespace {

constexpr size_t kAlignment = 64;  // a cache line; what AVX-512 loads like
// Below this, malloc's own bins reuse memory without faulting pages in again.
constexpr size_t kCachedFrom = size_t(256) << 10;
// The cache never holds more than this; a block freed past it goes back to the system.
constexpr size_t kCacheLimit = size_t(4) << 30;

/** Size classes: powers of two with four steps between them (at most 25% rounded up). */
size_t sizeClass(size_t bytes) {
  if (bytes < kCachedFrom)
    return (std::max<size_t>(bytes, 1) + kAlignment - 1) / kAlignment * kAlignment;
  size_t power = kCachedFrom;
  while (power * 2 <= bytes) power *= 2;
  size_t step = power / 4;
  return (bytes + step - 1) / step * step;
}

struct Cache {
  std::mutex mutex;
  std::map<size_t, std::vector<void*>> free;  // size class -> blocks
  size_t cached = 0;
};

Cache& cache() {
  static Cache* instance = new Cache();  // never destroyed: blocks may be freed during exit
  return *instance;
}

}  // namespace

void* hostAllocate(size_t bytes) {
  size_t size = sizeClass(bytes);
  if (size >= kCachedFrom) {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    auto it = c.free.find(size);
    if (it != c.free.end() && !it->second.empty()) {
      void* data = it->second.back();
      it->second.pop_back();
      c.cached -= size;
      return data;
    }
  }
  void* data = std::aligned_alloc(kAlignment, size);
  if (!data) {
    hostEmptyCache();
    data = std::aligned_alloc(kAlignment, size);
  }
  if (!data) fail(Error::Code::OutOfMemory, "cannot allocate ", bytes, " bytes of CPU memory");
  return data;
}

void hostDeallocate(void* data, size_t bytes) noexcept {
  size_t size = sizeClass(bytes);
  if (size >= kCachedFrom) {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    if (c.cached + size <= kCacheLimit) {
      try {
        c.free[size].push_back(data);
        c.cached += size;
        return;
      } catch (...) {
        // No memory for the bookkeeping: free the block instead.
      }
    }
  }
  std::free(data);
}

void hostEmptyCache() noexcept {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  for (auto& [size, blocks] : c.free) {
    for (void* block : blocks) std::free(block);
  }
  c.free.clear();
  c.cached = 0;
}

int64_t hostCachedBytes() noexcept {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  return static_cast<int64_t>(c.cached);
}

}  // namespace rk::cpu
