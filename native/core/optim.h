// Fused optimizer steps and gradient clipping: the kinds, their hyperparameters and the per
// parameter work one step does. core/ops_optim.cpp validates; backends update in place.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace rk {

enum class OptimizerKind { Sgd, Adam, AdamW, RmsProp, Adagrad };

const char* optimizerKindName(OptimizerKind kind);
std::optional<OptimizerKind> parseOptimizerKind(const std::string& name);

/** torch.optim's hyperparameters; each kind reads only its own (the rest keep these values). */
struct OptimizerHyper {
  double lr = 0;
  double weightDecay = 0;
  /** SGD, RMSprop. */
  double momentum = 0;
  /** SGD. */
  double dampening = 0;
  bool nesterov = false;
  /** Adam, AdamW. */
  double beta1 = 0.9;
  double beta2 = 0.999;
  /** Adam, AdamW, RMSprop, Adagrad. */
  double eps = 1e-8;
  /** RMSprop. */
  double alpha = 0.99;
  bool centered = false;
  /** Adagrad. */
  double lrDecay = 0;
  /** Every kind: ascend the gradient instead. */
  bool maximize = false;
};

/**
 * The state tensors a kind keeps per parameter, in the order optimizerStep takes them (torch's
 * names): sgd [momentum_buffer] when momentum != 0, else none; adam/adamw [exp_avg, exp_avg_sq];
 * rmsprop [square_avg, momentum_buffer (momentum > 0), grad_avg (centered)]; adagrad [sum].
 */
std::vector<const char*> optimizerStateNames(OptimizerKind kind, const OptimizerHyper& hyper);

/** One parameter's share of a step: param and states contiguous float32 of the same shape. */
struct ParamUpdate {
  Tensor param;
  /** Same shape, any strides. */
  Tensor grad;
  std::vector<Tensor> states;
  /** This parameter's step count including this step (1 on its first): bias corrections. */
  int64_t step = 1;
};

}  // namespace rk
