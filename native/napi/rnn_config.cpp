#include "napi/rnn_config.h"

#include <cmath>

#include "core/error.h"
#include "napi/args.h"

namespace rk::napi {

namespace {

// Config errors say "rnn: ..." whichever entry point found them.
constexpr const char* kRnn = "rnn";

Napi::Value field(Napi::Object config, const char* name) { return config.Get(name); }

int64_t sizeField(Napi::Object config, const char* name, bool allowZero) {
  Napi::Value value = field(config, name);
  const char* expected = allowZero ? "a non-negative integer" : "a positive integer";
  if (!value.IsNumber()) failArgument(kRnn, str("config.", name), expected, value);
  double number = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(number) || std::trunc(number) != number ||
      std::fabs(number) > 9007199254740991.0) {
    failArgument(kRnn, str("config.", name), expected, value);
  }
  return static_cast<int64_t>(number);  // core checks the range
}

bool boolField(Napi::Object config, const char* name) {
  Napi::Value value = field(config, name);
  if (!value.IsBoolean()) failArgument(kRnn, str("config.", name), "a boolean", value);
  return value.As<Napi::Boolean>().Value();
}

}  // namespace

RnnConfig configArg(const Napi::CallbackInfo& info, size_t index) {
  Napi::Value value = info[index];
  if (!value.IsObject() || value.IsArray())
    failArgument(kRnn, "config", "an RnnConfig object", value);
  Napi::Object object = value.As<Napi::Object>();
  RnnConfig config;
  Napi::Value mode = field(object, "mode");
  std::optional<RnnMode> parsed;
  if (mode.IsString()) parsed = parseRnnMode(mode.As<Napi::String>().Utf8Value());
  if (!parsed) {
    failArgument(kRnn, "config.mode", "one of 'rnn_tanh', 'rnn_relu', 'lstm', 'gru'", mode);
  }
  config.mode = *parsed;
  config.inputSize = sizeField(object, "inputSize", false);
  config.hiddenSize = sizeField(object, "hiddenSize", false);
  config.projSize = sizeField(object, "projSize", true);
  config.numLayers = sizeField(object, "numLayers", false);
  config.bidirectional = boolField(object, "bidirectional");
  config.bias = boolField(object, "bias");
  config.batchFirst = boolField(object, "batchFirst");
  Napi::Value dropout = field(object, "dropout");
  if (!dropout.IsNumber()) failArgument(kRnn, "config.dropout", "a number in [0, 1)", dropout);
  config.dropout = dropout.As<Napi::Number>().DoubleValue();
  // Older callers may leave cellClip out (no clipping); core checks the range.
  Napi::Value cellClip = field(object, "cellClip");
  if (!cellClip.IsUndefined()) {
    if (!cellClip.IsNumber()) {
      failArgument(kRnn, "config.cellClip", "a finite number >= 0 (0: no clipping)", cellClip);
    }
    config.cellClip = cellClip.As<Napi::Number>().DoubleValue();
  }
  Napi::Value precision = field(object, "precision");
  std::optional<RnnPrecision> parsedPrecision;
  if (precision.IsString())
    parsedPrecision = parseRnnPrecision(precision.As<Napi::String>().Utf8Value());
  if (!parsedPrecision) {
    failArgument(kRnn, "config.precision", "one of 'fp32', 'tf32', 'bf16', 'fp16'", precision);
  }
  config.precision = *parsedPrecision;
  return config;
}

}  // namespace rk::napi
