// Entry points of the in-place optimizer and clipping ops: optimizerStep, clipGradNorm,
// clampInPlace (lib/binding.ts documents them).
#include <cmath>

#include "core/ops.h"
#include "napi/args.h"
#include "napi/errors.h"
#include "napi/exports.h"
#include "napi/tensor_wrap.h"

namespace rk::napi {

namespace {

constexpr const char* kKinds = "one of 'sgd', 'adam', 'adamw', 'rmsprop', 'adagrad'";

/** hyper[key] when present: a number (any; core checks the ranges). */
void numberField(Napi::Object hyper, const char* op, const char* key, double& out) {
  Napi::Value value = hyper.Get(key);
  if (value.IsUndefined()) return;
  if (!value.IsNumber()) failArgument(op, str("hyper.", key), "a number", value);
  out = value.As<Napi::Number>().DoubleValue();
}

void boolField(Napi::Object hyper, const char* op, const char* key, bool& out) {
  Napi::Value value = hyper.Get(key);
  if (value.IsUndefined()) return;
  if (!value.IsBoolean()) failArgument(op, str("hyper.", key), "a boolean", value);
  out = value.As<Napi::Boolean>().Value();
}

OptimizerHyper hyperArg(const Napi::CallbackInfo& info, size_t index, const char* op) {
  Napi::Value value = info[index];
  if (!value.IsObject() || value.IsArray()) failArgument(op, "hyper", "an object", value);
  Napi::Object hyper = value.As<Napi::Object>();
  OptimizerHyper h;
  Napi::Value lr = hyper.Get("lr");
  if (!lr.IsNumber()) failArgument(op, "hyper.lr", "a number", lr);
  h.lr = lr.As<Napi::Number>().DoubleValue();
  numberField(hyper, op, "weightDecay", h.weightDecay);
  numberField(hyper, op, "momentum", h.momentum);
  numberField(hyper, op, "dampening", h.dampening);
  boolField(hyper, op, "nesterov", h.nesterov);
  numberField(hyper, op, "beta1", h.beta1);
  numberField(hyper, op, "beta2", h.beta2);
  numberField(hyper, op, "eps", h.eps);
  numberField(hyper, op, "alpha", h.alpha);
  boolField(hyper, op, "centered", h.centered);
  numberField(hyper, op, "lrDecay", h.lrDecay);
  boolField(hyper, op, "maximize", h.maximize);
  return h;
}

Napi::Value optimizerStep(const Napi::CallbackInfo& info) {
  const char* op = "optimizerStep";
  OptimizerKind kind = enumArg(info, 0, op, "kind", parseOptimizerKind, kKinds);
  std::vector<Tensor> params = tensorListArg(info, 1, op, "params");
  std::vector<Tensor> grads = tensorListArg(info, 2, op, "grads");
  Napi::Value statesValue = info[3];
  if (!statesValue.IsArray())
    failArgument(op, "states", "an array of arrays of Tensors", statesValue);
  Napi::Array statesArray = statesValue.As<Napi::Array>();
  std::vector<std::vector<Tensor>> states;
  for (uint32_t i = 0; i < statesArray.Length(); ++i) {
    Napi::Value list = statesArray.Get(i);
    if (!list.IsArray()) failArgument(op, str("states[", i, "]"), "an array of Tensors", list);
    Napi::Array array = list.As<Napi::Array>();
    std::vector<Tensor> tensors;
    for (uint32_t k = 0; k < array.Length(); ++k) {
      Napi::Value item = array.Get(k);
      TensorWrap* wrap = TensorWrap::from(item);
      std::string name = str("states[", i, "][", k, "]");
      if (!wrap) failArgument(op, name, "a Tensor", item);
      if (wrap->disposed()) fail(Error::Code::Disposed, op, ": ", name, " was disposed");
      tensors.push_back(wrap->tensor());
    }
    states.push_back(std::move(tensors));
  }
  OptimizerHyper hyper = hyperArg(info, 4, op);
  std::vector<int64_t> steps = integerListArg(info, 5, op, "steps");
  if (grads.size() != params.size() || states.size() != params.size() ||
      steps.size() != params.size()) {
    fail(Error::Code::Argument, op,
         ": params, grads, states and steps must have the same length, got ", params.size(), ", ",
         grads.size(), ", ", states.size(), " and ", steps.size());
  }
  std::vector<ParamUpdate> updates(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    updates[i] = ParamUpdate{params[i], grads[i], std::move(states[i]), steps[i]};
  }
  ops::optimizerStep(kind, hyper, updates);
  return info.Env().Undefined();
}

Napi::Value clipGradNorm(const Napi::CallbackInfo& info) {
  std::vector<Tensor> tensors = tensorListArg(info, 0, "clipGradNorm", "tensors");
  double maxNorm = numberArg(info, 1, "clipGradNorm", "maxNorm");
  double normType = numberArg(info, 2, "clipGradNorm", "normType");
  return TensorWrap::create(info.Env(), ops::clipGradNorm(tensors, maxNorm, normType));
}

Napi::Value clampInPlace(const Napi::CallbackInfo& info) {
  std::vector<Tensor> tensors = tensorListArg(info, 0, "clampInPlace", "tensors");
  double min = numberArg(info, 1, "clampInPlace", "min");
  double max = numberArg(info, 2, "clampInPlace", "max");
  ops::clampInPlace(tensors, min, max);
  return info.Env().Undefined();
}

}  // namespace

void exportOptim(Napi::Env env, Napi::Object exports) {
  auto add = [&](const char* name, Napi::Value (*fn)(const Napi::CallbackInfo&)) {
    exports.Set(name, Napi::Function::New(env, fn, name));
  };
  add("optimizerStep", guarded<optimizerStep>);
  add("clipGradNorm", guarded<clipGradNorm>);
  add("clampInPlace", guarded<clampInPlace>);
}

}  // namespace rk::napi
