// The dropout decision shared by every backend (host and CUDA device code): element i of a mask
// depends only on (seed, stream, i), so the CPU and the GPU drop the same elements for a seed.
#pragma once

#include <cstdint>

#if defined(__CUDACC__)
#define RK_HOST_DEVICE __host__ __device__
#else
#define RK_HOST_DEVICE
#endif

namespace rk {

/** The dropout op's mask stream: apart from the recurrent stack's, which are its layer numbers. */
constexpr uint64_t kDropoutOpStream = uint64_t{1} << 63;

/** SplitMix64's output function: a well-mixed 64-bit value from a counter. */
RK_HOST_DEVICE inline uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/** The key of one mask: key = splitmix64(seed ^ splitmix64(stream + 1)). */
RK_HOST_DEVICE inline uint64_t dropoutKey(uint64_t seed, uint64_t stream) {
  return splitmix64(seed ^ splitmix64(stream + 1));
}

/** Element i is dropped when u_i < p, u_i = the top 53 bits of splitmix64(key + i) in [0, 1). */
RK_HOST_DEVICE inline bool dropoutDrops(uint64_t key, uint64_t i, double p) {
  double u = static_cast<double>(splitmix64(key + i) >> 11) * 0x1.0p-53;
  return u < p;
}

}  // namespace rk
