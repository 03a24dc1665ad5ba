// The fused recurrent stack (RNN-tanh, RNN-ReLU, LSTM with optional projection, GRU): its
// configuration, the canonical flat weight layout (PyTorch's parameter order, names and shapes)
// and the reserve a training forward leaves for its backward pass.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/shape.h"
#include "core/tensor.h"

namespace rk {

enum class RnnMode { RnnTanh, RnnRelu, Lstm, Gru };

const char* rnnModeName(RnnMode mode);
std::optional<RnnMode> parseRnnMode(const std::string& name);

/**
 * The math of the recurrent kernels. Parameters and activations stay float32 either way (they are
 * the optimizer's master weights); bf16/fp16 run cuDNN on half-width copies. tf32 lets float32
 * matrix products use TF32 tensor cores; fp32 forbids it. The CPU computes float32 for fp32/tf32.
 */
enum class RnnPrecision { Fp32, Tf32, Bf16, Fp16 };

const char* rnnPrecisionName(RnnPrecision precision);
std::optional<RnnPrecision> parseRnnPrecision(const std::string& name);

/** lib/binding.ts RnnConfig. Validated by validateRnnConfig before any use. */
struct RnnConfig {
  RnnMode mode = RnnMode::Lstm;
  int64_t inputSize = 0;
  int64_t hiddenSize = 0;
  int64_t projSize = 0;  // LSTM only; 0 = none
  int64_t numLayers = 1;
  bool bidirectional = false;
  bool bias = true;
  bool batchFirst = true;
  double dropout = 0;
  // LSTM only, 0 = none: as cuDNN, the cell state is clamped to [-cellClip, cellClip] where it is
  // read (c0 too) and inside h = o * tanh(c); the stored and returned c is not clamped.
  double cellClip = 0;
  RnnPrecision precision = RnnPrecision::Fp32;

  /** Gates per cell: 4 (LSTM), 3 (GRU), 1 (vanilla RNN). */
  int64_t gates() const;
  int64_t directions() const { return bidirectional ? 2 : 1; }
  /** Channels of h and of each direction's output: projSize || hiddenSize. */
  int64_t hiddenOut() const { return projSize > 0 ? projSize : hiddenSize; }
  /** Input channels of layer k. */
  int64_t layerInput(int64_t layer) const {
    return layer == 0 ? inputSize : directions() * hiddenOut();
  }

  bool operator==(const RnnConfig& other) const;
  bool operator!=(const RnnConfig& other) const { return !(*this == other); }
};

/**
 * Throws RK_ARGUMENT naming the field: "rnn: config.hiddenSize must be a positive integer, got 0".
 * `op` prefixes the message.
 */
void validateRnnConfig(const char* op, const RnnConfig& config);

/** One canonical parameter inside the flat weight buffer (elements). */
struct RnnParam {
  std::string name;
  Shape shape;
  int64_t offset;
};

/** Offsets (elements) of one layer and direction's parameters; -1 for an absent one. */
struct RnnParamOffsets {
  int64_t weightIh = -1;  // [G*H, inK]
  int64_t weightHh = -1;  // [G*H, hOut]
  int64_t biasIh = -1;    // [G*H]
  int64_t biasHh = -1;    // [G*H]
  int64_t weightHr = -1;  // [projSize, H]
};

/** The flat buffer: every parameter in PyTorch's order, consecutive, each row-major. */
struct RnnLayout {
  std::vector<RnnParam> params;
  std::vector<RnnParamOffsets> offsets;  // [layer * directions + direction]
  int64_t size = 0;
};

/** The layout of a validated config (the same for every device today). */
RnnLayout rnnLayout(const RnnConfig& config);

/** A call's shape: config, batch, time and each sequence's length (all `time` when equal). */
struct RnnProblem {
  RnnConfig config;
  Device device;
  int64_t batch = 0;
  int64_t time = 0;
  std::vector<int32_t> lengths;  // `batch` entries, each in 1..time

  bool operator==(const RnnProblem& other) const {
    return config == other.config && device == other.device && batch == other.batch &&
           time == other.time && lengths == other.lengths;
  }
};

/** A forward's tensors (validated: shapes, dtypes, devices). */
struct RnnInputs {
  Tensor x;                  // [B, T, inputSize] or [T, B, inputSize], any strides
  Tensor weights;            // the flat buffer, contiguous
  std::optional<Tensor> h0;  // [L*D, B, hOut], any strides; none = zeros
  std::optional<Tensor> c0;  // [L*D, B, hiddenSize] (LSTM)
};

/** Fresh contiguous outputs of a forward. */
struct RnnOutputs {
  Tensor output;            // like x with D*hOut channels
  Tensor h;                 // [L*D, B, hOut]
  std::optional<Tensor> c;  // [L*D, B, hiddenSize] (LSTM)
};

/** Incoming gradients of a backward (any strides); none = zeros. */
struct RnnGrads {
  std::optional<Tensor> dOutput;
  std::optional<Tensor> dh;
  std::optional<Tensor> dc;
};

/** Fresh contiguous outputs of a backward. */
struct RnnInputGrads {
  Tensor dx;
  Tensor dh0;
  std::optional<Tensor> dc0;
  Tensor dWeights;
};

/** What a backend keeps from a training forward for its backward pass (backend-defined). */
class RnnSaved {
 public:
  virtual ~RnnSaved() = default;
};

/**
 * The reserve of one training forward. Core makes it on the JS thread; the forward's task fills
 * `saved` (stream order puts every backward task after it). JS holds it through a handle and
 * queued backward tasks hold it too, so it lives until both let go. Its buffers are Storage
 * allocations, so memory() counts them.
 */
struct RnnReserve {
  explicit RnnReserve(RnnProblem problem) : problem(std::move(problem)) {}

  const RnnProblem problem;
  std::unique_ptr<RnnSaved> saved;  // null until the forward task ran (or when it failed)
};

}  // namespace rk
