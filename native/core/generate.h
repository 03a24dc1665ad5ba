// Text generation in one stream task: the prompts run through the recurrent stack at once, then
// each step embeds the drawn ids, takes one recurrent step from the carried state, computes the
// logits (h · Wᵀ + b) and draws the next ids on the host. Only the logits' download waits for the
// device, and no step waits for JS: the tokens go to a sink that the caller drains.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "core/error.h"
#include "core/rnn.h"
#include "core/sampler.h"
#include "core/tensor.h"

namespace rk {

/** A language model's tensors and what to generate (validated by ops::generate). */
struct GenerateRequest {
  RnnConfig config;                // unidirectional; dropout is ignored (evaluation)
  Tensor weights;                  // the recurrent stack's flat buffer
  Tensor table;                    // the embedding [vocab, inputSize]
  Tensor headWeight;               // [vocab, hOut]: logits = h · headWeightᵀ + headBias
  std::optional<Tensor> headBias;  // [vocab]
  std::vector<int32_t> promptIds;  // [batch, time] row-major, each row padded after its length
  std::vector<int32_t> lengths;    // [batch], each in 1..time
  int64_t maxTokens = 0;           // tokens per row
  SamplingOptions sampling;
  std::vector<uint32_t> seeds;    // [batch]: row i draws from Mulberry32(seeds[i])
  std::vector<int32_t> excluded;  // ids never drawn
};

/** Receives a generation's tokens on the stream's worker thread. */
class TokenSink {
 public:
  virtual ~TokenSink() = default;
  /** Checked before every step: true stops the loop (at most one step late). */
  virtual bool cancelled() const = 0;
  /** One step: row b drew ids[b] from logits[b * vocab, (b + 1) * vocab). */
  virtual void step(const std::vector<int32_t>& ids, const float* logits, int64_t vocab) = 0;
  /** Called once, last: nothing (maxTokens reached or cancelled) or the failure. */
  virtual void finish(std::optional<Error> failure) = 0;
};

namespace ops {

/**
 * Validates `request` on the calling thread (RK_* errors naming the argument), then queues the
 * generation as one task on the device's stream. A failure inside the task (a poisoned stream, a
 * NaN logit, a backend error) goes to sink->finish and does not poison the stream; the model's
 * tensors are only read.
 */
void generate(GenerateRequest request, std::shared_ptr<TokenSink> sink);

}  // namespace ops

}  // namespace rk
