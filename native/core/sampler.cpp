#include "core/sampler.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace rk {

// Math.imul and >>> in lib/random.ts are uint32 arithmetic modulo 2^32.
double Mulberry32::next() {
  state_ += 0x6d2b79f5u;
  uint32_t t = state_;
  t = (t ^ (t >> 15)) * (t | 1u);
  t ^= t + (t ^ (t >> 7)) * (t | 61u);
  return static_cast<double>(t ^ (t >> 14)) / 4294967296.0;
}

Sampler::Sampler(SamplingOptions options, const std::vector<int32_t>& excluded, int64_t vocab)
    : options_(options), excluded_(static_cast<size_t>(vocab), false) {
  for (int32_t id : excluded) {
    if (id >= 0 && id < vocab) excluded_[static_cast<size_t>(id)] = true;
  }
  order_.reserve(static_cast<size_t>(vocab));
  probs_.reserve(static_cast<size_t>(vocab));
}

void Sampler::rank(const float* logits, size_t ranked) {
  order_.clear();
  for (size_t id = 0; id < excluded_.size(); ++id) {
    float v = logits[id];
    if (std::isnan(v))
      fail(Error::Code::Argument, "generate: the model's logit for token ", id, " is NaN");
    if (v != -INFINITY && !excluded_[id]) order_.push_back(static_cast<int32_t>(id));
  }
  if (order_.empty()) {
    fail(Error::Code::Argument,
         "generate: no token can be drawn (every logit is -Infinity or excluded)");
  }
  // A total order (no NaN is left), so a partial sort ranks the same ids as a full one.
  auto better = [logits](int32_t a, int32_t b) {
    return logits[a] != logits[b] ? logits[a] > logits[b] : a < b;
  };
  auto last = order_.begin() + static_cast<std::ptrdiff_t>(std::min(ranked, order_.size()));
  std::partial_sort(order_.begin(), last, order_.end(), better);
}

static void normalise(std::vector<double>& probs, size_t n) {
  double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += probs[i];
  for (size_t i = 0; i < n; ++i) probs[i] /= sum;
}

int32_t Sampler::draw(const float* logits, Mulberry32& random) {
  const SamplingOptions& o = options_;
  size_t all = excluded_.size();
  size_t kept = o.topK > 0 ? std::min(static_cast<size_t>(o.topK), all) : all;
  rank(logits, o.temperature == 0 ? 1 : kept);
  if (o.temperature == 0) return order_[0];
  kept = std::min(kept, order_.size());
  double top = logits[order_[0]];
  probs_.resize(kept);
  for (size_t i = 0; i < kept; ++i) {
    probs_[i] = std::exp((static_cast<double>(logits[order_[i]]) - top) / o.temperature);
  }
  normalise(probs_, kept);
  size_t n = kept;
  if (o.topP < 1) {
    double sum = 0;
    n = 0;
    while (n < kept && sum < o.topP) sum += probs_[n++];
    normalise(probs_, n);
  }
  if (n == 1) return order_[0];
  double u = random.next();
  double sum = 0;
  for (size_t i = 0; i < n; ++i) {
    sum += probs_[i];
    if (u < sum) return order_[i];
  }
  return order_[n - 1];  // u within rounding of 1
}

}  // namespace rk
