// Next-token sampling for generation, ported from lib/text/sample.ts and lib/random.ts so that a
// seed gives the same draws as the JS loop did: mulberry32, then temperature, top-k and top-p
// (Hugging Face's order) over one row of logits in float64.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace rk {

/** lib/random.ts Random: uniform values in [0, 1) from a 32-bit state. */
class Mulberry32 {
 public:
  explicit Mulberry32(uint32_t seed) : state_(seed) {}
  double next();

 private:
  uint32_t state_;
};

struct SamplingOptions {
  /** Divides the logits; 0 picks the most likely token (greedy). */
  double temperature = 1;
  /** Keep only the k most likely tokens; 0 keeps all. */
  int64_t topK = 0;
  /** Keep the fewest most likely tokens whose probabilities reach topP; 1 keeps all. */
  double topP = 1;
};

/**
 * Draws token ids from rows of `vocab` logits. Excluded ids (padding, OOV) and -Infinity logits
 * are never drawn; ties rank the lower id first. A NaN logit, or no id left to draw, throws
 * RK_ARGUMENT. Holds its scratch buffers, so a draw allocates nothing.
 */
class Sampler {
 public:
  Sampler(SamplingOptions options, const std::vector<int32_t>& excluded, int64_t vocab);

  /** One id; consumes one value of `random` unless a single candidate is left. */
  int32_t draw(const float* logits, Mulberry32& random);

 private:
  /** Fills order_ with the drawable ids; the first `ranked` of them sorted best first. */
  void rank(const float* logits, size_t ranked);

  SamplingOptions options_;
  std::vector<bool> excluded_;
  std::vector<int32_t> order_;
  std::vector<double> probs_;
};

}  // namespace rk
