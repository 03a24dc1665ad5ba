#include "core/rnn.h"

#include <algorithm>
#include <climits>
#include <cmath>

#include "core/error.h"

namespace rk {

const char* rnnModeName(RnnMode mode) {
  switch (mode) {
    case RnnMode::RnnTanh:
      return "rnn_tanh";
    case RnnMode::RnnRelu:
      return "rnn_relu";
    case RnnMode::Lstm:
      return "lstm";
    case RnnMode::Gru:
      return "gru";
  }
  return "lstm";
}

std::optional<RnnMode> parseRnnMode(const std::string& name) {
  for (RnnMode mode : {RnnMode::RnnTanh, RnnMode::RnnRelu, RnnMode::Lstm, RnnMode::Gru}) {
    if (name == rnnModeName(mode)) return mode;
  }
  return std::nullopt;
}

const char* rnnPrecisionName(RnnPrecision precision) {
  switch (precision) {
    case RnnPrecision::Fp32:
      return "fp32";
    case RnnPrecision::Tf32:
      return "tf32";
    case RnnPrecision::Bf16:
      return "bf16";
    case RnnPrecision::Fp16:
      return "fp16";
  }
  return "fp32";
}

std::optional<RnnPrecision> parseRnnPrecision(const std::string& name) {
  for (RnnPrecision precision :
       {RnnPrecision::Fp32, RnnPrecision::Tf32, RnnPrecision::Bf16, RnnPrecision::Fp16}) {
    if (name == rnnPrecisionName(precision)) return precision;
  }
  return std::nullopt;
}

int64_t RnnConfig::gates() const {
  switch (mode) {
    case RnnMode::Lstm:
      return 4;
    case RnnMode::Gru:
      return 3;
    default:
      return 1;
  }
}

bool RnnConfig::operator==(const RnnConfig& o) const {
  return mode == o.mode && inputSize == o.inputSize && hiddenSize == o.hiddenSize &&
         projSize == o.projSize && numLayers == o.numLayers && bidirectional == o.bidirectional &&
         bias == o.bias && batchFirst == o.batchFirst && dropout == o.dropout &&
         cellClip == o.cellClip && precision == o.precision;
}

// Sizes stay below 2^31 so every product the kernels form fits comfortably in int64.
constexpr int64_t kMaxRnnLayers = 4096;

static void requireSize(const char* op, const char* field, int64_t value, int64_t min) {
  if (value < min || value > INT32_MAX) {
    fail(Error::Code::Argument, op, ": config.", field, " must be ",
         min == 0 ? "a non-negative" : "a positive", " integer",
         value > INT32_MAX ? " below 2^31" : "", ", got ", value);
  }
}

void validateRnnConfig(const char* op, const RnnConfig& config) {
  requireSize(op, "inputSize", config.inputSize, 1);
  requireSize(op, "hiddenSize", config.hiddenSize, 1);
  requireSize(op, "numLayers", config.numLayers, 1);
  requireSize(op, "projSize", config.projSize, 0);
  if (config.projSize > 0) {
    if (config.mode != RnnMode::Lstm) {
      fail(Error::Code::Argument, op, ": config.projSize must be 0 for mode '",
           rnnModeName(config.mode), "' (projection is LSTM only), got ", config.projSize);
    }
    if (config.projSize >= config.hiddenSize) {
      fail(Error::Code::Argument, op, ": config.projSize must be smaller than config.hiddenSize (",
           config.hiddenSize, "), got ", config.projSize);
    }
  }
  if (!(config.dropout >= 0 && config.dropout < 1)) {
    fail(Error::Code::Argument, op, ": config.dropout must be in [0, 1), got ", config.dropout);
  }
  if (!(std::isfinite(config.cellClip) && config.cellClip >= 0)) {
    fail(Error::Code::Argument, op,
         ": config.cellClip must be a finite number >= 0 (0: no clipping), got ", config.cellClip);
  }
  if (config.cellClip > 0 && config.mode != RnnMode::Lstm) {
    fail(Error::Code::Argument, op, ": config.cellClip is only for an LSTM (mode '",
         rnnModeName(config.mode), "' has no cell state), got ", config.cellClip);
  }
  if (config.numLayers > kMaxRnnLayers) {
    fail(Error::Code::Argument, op, ": config.numLayers must be at most ", kMaxRnnLayers, ", got ",
         config.numLayers);
  }
  // An upper bound of the flat buffer's size, before rnnLayout adds it up in int64.
  long double gh = (long double)config.gates() * config.hiddenSize;
  long double in = std::max<long double>(config.inputSize, 2.0L * config.hiddenSize);
  long double perLayer =
      gh * (in + config.hiddenSize + 2) + (long double)config.projSize * config.hiddenSize;
  if (perLayer * config.directions() * config.numLayers > (long double)(int64_t(1) << 48)) {
    fail(Error::Code::Argument, op,
         ": the weight buffer of this config would have more than 2^48 elements");
  }
}

RnnLayout rnnLayout(const RnnConfig& config) {
  RnnLayout layout;
  int64_t gh = config.gates() * config.hiddenSize;
  int64_t offset = 0;
  auto add = [&](std::string name, Shape shape) {
    int64_t at = offset;
    // Sizes are below 2^31 and layers few enough that this cannot overflow before the check.
    offset += numel(shape);
    layout.params.push_back(RnnParam{std::move(name), std::move(shape), at});
    return at;
  };
  for (int64_t k = 0; k < config.numLayers; ++k) {
    for (int64_t d = 0; d < config.directions(); ++d) {
      std::string sfx = str("_l", k, d == 1 ? "_reverse" : "");
      RnnParamOffsets at;
      at.weightIh = add("weight_ih" + sfx, {gh, config.layerInput(k)});
      at.weightHh = add("weight_hh" + sfx, {gh, config.hiddenOut()});
      if (config.bias) {
        at.biasIh = add("bias_ih" + sfx, {gh});
        at.biasHh = add("bias_hh" + sfx, {gh});
      }
      if (config.projSize > 0)
        at.weightHr = add("weight_hr" + sfx, {config.projSize, config.hiddenSize});
      layout.offsets.push_back(at);
    }
  }
  layout.size = offset;
  return layout;
}

}  // namespace rk
