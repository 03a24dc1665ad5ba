// The dropout masks of the CPU backend (the dropout op and the recurrent stack's dropout between
// layers): core/dropout_hash.h's counter-based generator, which the GPU shares, so element i's
// draw depends only on (seed, stream, i), not on the device, the thread count or the order of work.
#pragma once

#include <cstdint>

#include "core/dropout_hash.h"
#include "cpu/parallel.h"

namespace rk::cpu {

/**
 * mask[i] = 0 (dropped, probability p) or 1/(1-p) (kept), for i in [0, n), from (seed, stream, i)
 * alone: u_i = the top 53 bits of splitmix64(key + i) as a uniform in [0, 1), with
 * key = splitmix64(seed ^ splitmix64(stream + 1)); element i is dropped when u_i < p.
 * `stream` keeps independent users of one seed apart (the recurrent stack passes its layer).
 */
inline void fillDropoutMask(float* mask, int64_t n, double p, uint64_t seed, uint64_t stream) {
  const uint64_t key = dropoutKey(seed, stream);
  const float scale = static_cast<float>(1.0 / (1.0 - p));
#pragma omp parallel for schedule(static) if (worthThreads(n))
  for (int64_t i = 0; i < n; ++i) {
    mask[i] = dropoutDrops(key, static_cast<uint64_t>(i), p) ? 0.0f : scale;
  }
}

}  // namespace rk::cpu
