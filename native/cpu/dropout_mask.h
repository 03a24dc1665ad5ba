// The dropout masks of the CPU backend (the dropout op and the recurrent stack's dropout between
// layers): a counter-based generator, so element i's draw depends only on (seed, stream, i) and
// not on the thread count or the order of work.
#pragma once

#include <cstdint>

#include "cpu/strided_loop.h"

namespace rk::cpu {

/** SplitMix64's output function: a well-mixed 64-bit value from a counter. */
inline uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/**
 * mask[i] = 0 (dropped, probability p) or 1/(1-p) (kept), for i in [0, n), from (seed, stream, i)
 * alone: u_i = the top 53 bits of splitmix64(key + i) as a uniform in [0, 1), with
 * key = splitmix64(seed ^ splitmix64(stream + 1)); element i is dropped when u_i < p.
 * `stream` keeps independent users of one seed apart (the recurrent stack passes its layer).
 */
inline void fillDropoutMask(float* mask, int64_t n, double p, uint64_t seed, uint64_t stream) {
  const uint64_t key = splitmix64(seed ^ splitmix64(stream + 1));
  const float scale = static_cast<float>(1.0 / (1.0 - p));
#pragma omp parallel for schedule(static) if (n >= kParallelThreshold)
  for (int64_t i = 0; i < n; ++i) {
    double u = static_cast<double>(splitmix64(key + static_cast<uint64_t>(i)) >> 11) * 0x1.0p-53;
    mask[i] = u < p ? 0.0f : scale;
  }
}

}  // namespace rk::cpu
