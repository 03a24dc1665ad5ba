// The decoding loop of ops::generate, run inside its stream task over buffers allocated once.
#pragma once

#include <optional>

#include "core/backend.h"
#include "core/generate.h"

namespace rk {

/** What a generation writes, allocated on the JS thread before the task is queued. */
struct GenerateBuffers {
  Tensor promptIds;              // int32 [B, T]
  Tensor promptX;                // [B, T, E]
  Tensor promptOut;              // the prompt pass's output (unused, but rnnForward writes it)
  Tensor stepX;                  // [B, 1, E]
  Tensor stepOut;                // [B, 1, hOut] (or time-major)
  Tensor h[2];                   // [L, B, hOut]: the state in, then out, swapped every step
  std::optional<Tensor> c[2];    // [L, B, hiddenSize] (LSTM)
  Tensor product;                // [B, V]: h · Wᵀ
  std::optional<Tensor> logits;  // [B, V]: product + bias (none without a bias)
};

GenerateBuffers allocateBuffers(const GenerateRequest& request);

/** Runs the prompts, then maxTokens steps or until the sink cancels; throws what fails. */
void runGeneration(const GenerateRequest& request, const GenerateBuffers& buffers, Backend& backend,
                   TokenSink& sink);

}  // namespace rk
