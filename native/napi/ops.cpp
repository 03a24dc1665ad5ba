// One entry point per op: unwrap the arguments, call core, wrap the result.
#include "core/ops.h"

#include "napi/args.h"
#include "napi/errors.h"
#include "napi/exports.h"
#include "napi/tensor_wrap.h"

namespace rk::napi {

namespace {

constexpr const char* kUnaryOps = "one of 'neg', 'tanh', 'sigmoid', 'relu', 'exp', 'log'";
constexpr const char* kReductions = "one of 'mean', 'sum', 'none'";

Napi::Value fromArray(const Napi::CallbackInfo& info) {
  Napi::Value data = info[0];
  if (!data.IsTypedArray()) failArgument("fromArray", "data", "a Float32Array or Int32Array", data);
  Napi::TypedArray array = data.As<Napi::TypedArray>();
  napi_typedarray_type type = array.TypedArrayType();
  if (type != napi_float32_array && type != napi_int32_array) {
    fail(Error::Code::DType, "fromArray: data must be a Float32Array or Int32Array");
  }
  Shape shape = integerListArg(info, 1, "fromArray", "shape");
  Device device = deviceArg(info, 2, "fromArray", "device");
  // Only now look at the data: reading `shape` can run JS (getters) that detaches the buffer,
  // and node-addon-api caches a typed array's length when first asked.
  auto upload = [&](auto typed, DType dtype) {
    int64_t length = static_cast<int64_t>(typed.ElementLength());
    return TensorWrap::create(info.Env(),
                              ops::fromHost(typed.Data(), length, dtype, shape, device));
  };
  if (type == napi_float32_array) return upload(data.As<Napi::Float32Array>(), DType::Float32);
  return upload(data.As<Napi::Int32Array>(), DType::Int32);
}

Napi::Value full(const Napi::CallbackInfo& info) {
  Shape shape = integerListArg(info, 0, "full", "shape");
  double value = numberArg(info, 1, "full", "value");
  DType dtype = dtypeArg(info, 2, "full", "dtype");
  Device device = deviceArg(info, 3, "full", "device");
  return TensorWrap::create(info.Env(), ops::full(shape, value, dtype, device));
}

Napi::Value view(const Napi::CallbackInfo& info) {
  const Tensor& t = tensorArg(info, 0, "view", "t");
  Shape shape = integerListArg(info, 1, "view", "shape");
  Strides strides = integerListArg(info, 2, "view", "strides");
  int64_t offset = integerArg(info, 3, "view", "offset");
  return TensorWrap::create(info.Env(), ops::view(t, shape, strides, offset));
}

Napi::Value contiguous(const Napi::CallbackInfo& info) {
  return TensorWrap::create(info.Env(), ops::contiguous(tensorArg(info, 0, "contiguous", "t")));
}

Napi::Value toDevice(const Napi::CallbackInfo& info) {
  const Tensor& t = tensorArg(info, 0, "toDevice", "t");
  Device device = deviceArg(info, 1, "toDevice", "device");
  return TensorWrap::create(info.Env(), ops::toDevice(t, device));
}

Napi::Value cast(const Napi::CallbackInfo& info) {
  const Tensor& t = tensorArg(info, 0, "cast", "t");
  DType dtype = dtypeArg(info, 1, "cast", "dtype");
  return TensorWrap::create(info.Env(), ops::cast(t, dtype));
}

Napi::Value binary(const Napi::CallbackInfo& info) {
  BinaryOp op =
      enumArg(info, 0, "binary", "op", parseBinaryOp, "one of 'add', 'sub', 'mul', 'div'");
  const Tensor& a = tensorArg(info, 1, opName(op), "a");
  const Tensor& b = tensorArg(info, 2, opName(op), "b");
  return TensorWrap::create(info.Env(), ops::binary(op, a, b));
}

Napi::Value unary(const Napi::CallbackInfo& info) {
  UnaryOp op = enumArg(info, 0, "unary", "op", parseUnaryOp, kUnaryOps);
  return TensorWrap::create(info.Env(), ops::unary(op, tensorArg(info, 1, opName(op), "x")));
}

Napi::Value unaryBackward(const Napi::CallbackInfo& info) {
  UnaryOp op = enumArg(info, 0, "unaryBackward", "op", parseUnaryOp, kUnaryOps);
  const Tensor& grad = tensorArg(info, 1, "unaryBackward", "grad");
  const Tensor& saved = tensorArg(info, 2, "unaryBackward", "saved");
  return TensorWrap::create(info.Env(), ops::unaryBackward(op, grad, saved));
}

Napi::Value reduce(const Napi::CallbackInfo& info) {
  ReduceOp op = enumArg(info, 0, "reduce", "op", parseReduceOp, "one of 'sum', 'mean', 'max'");
  const Tensor& x = tensorArg(info, 1, opName(op), "x");
  std::vector<int64_t> axes = integerListArg(info, 2, opName(op), "axes");
  bool keepDims = boolArg(info, 3, opName(op), "keepDims");
  return TensorWrap::create(info.Env(), ops::reduce(op, x, axes, keepDims));
}

Napi::Value maxBackward(const Napi::CallbackInfo& info) {
  const char* op = "maxBackward";
  const Tensor& grad = tensorArg(info, 0, op, "grad");
  const Tensor& x = tensorArg(info, 1, op, "x");
  std::vector<int64_t> axes = integerListArg(info, 2, op, "axes");
  bool keepDims = boolArg(info, 3, op, "keepDims");
  return TensorWrap::create(info.Env(), ops::maxBackward(grad, x, axes, keepDims));
}

Napi::Value dropout(const Napi::CallbackInfo& info) {
  const Tensor& x = tensorArg(info, 0, "dropout", "x");
  double p = numberArg(info, 1, "dropout", "p");
  uint64_t seed = seedArg(info, 2, "dropout");
  ops::DropoutResult result = ops::dropout(x, p, seed);
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("output", TensorWrap::create(env, std::move(result.output)));
  out.Set("mask", TensorWrap::create(env, std::move(result.mask)));
  return out;
}

Napi::Value softmax(const Napi::CallbackInfo& info) {
  const Tensor& x = tensorArg(info, 0, "softmax", "x");
  int64_t axis = integerArg(info, 1, "softmax", "axis");
  bool log = boolArg(info, 2, "softmax", "log");
  return TensorWrap::create(info.Env(), ops::softmax(x, axis, log));
}

Napi::Value softmaxBackward(const Napi::CallbackInfo& info) {
  const Tensor& grad = tensorArg(info, 0, "softmaxBackward", "grad");
  const Tensor& y = tensorArg(info, 1, "softmaxBackward", "y");
  int64_t axis = integerArg(info, 2, "softmaxBackward", "axis");
  bool log = boolArg(info, 3, "softmaxBackward", "log");
  return TensorWrap::create(info.Env(), ops::softmaxBackward(grad, y, axis, log));
}

Napi::Value matmul(const Napi::CallbackInfo& info) {
  const Tensor& a = tensorArg(info, 0, "matmul", "a");
  const Tensor& b = tensorArg(info, 1, "matmul", "b");
  return TensorWrap::create(info.Env(), ops::matmul(a, b));
}

Napi::Value concat(const Napi::CallbackInfo& info) {
  std::vector<Tensor> ts = tensorListArg(info, 0, "concat", "ts");
  int64_t axis = integerArg(info, 1, "concat", "axis");
  return TensorWrap::create(info.Env(), ops::concat(ts, axis));
}

Napi::Value gather(const Napi::CallbackInfo& info) {
  const Tensor& table = tensorArg(info, 0, "gather", "table");
  const Tensor& indices = tensorArg(info, 1, "gather", "indices");
  return TensorWrap::create(info.Env(), ops::gather(table, indices));
}

Napi::Value gatherBackward(const Napi::CallbackInfo& info) {
  const Tensor& grad = tensorArg(info, 0, "gatherBackward", "grad");
  const Tensor& indices = tensorArg(info, 1, "gatherBackward", "indices");
  int64_t numRows = integerArg(info, 2, "gatherBackward", "numRows");
  std::optional<int64_t> paddingIdx;
  if (!info[3].IsNull() && !info[3].IsUndefined()) {
    paddingIdx = integerArg(info, 3, "gatherBackward", "paddingIdx");
  }
  return TensorWrap::create(info.Env(), ops::gatherBackward(grad, indices, numRows, paddingIdx));
}

/** ignoreIndex, reduction, labelSmoothing, lengths: the arguments from `first` on. */
CrossEntropyOptions crossEntropyOptionsArg(const Napi::CallbackInfo& info, size_t first,
                                           const char* op) {
  CrossEntropyOptions options;
  options.ignoreIndex = integerArg(info, first, op, "ignoreIndex");
  options.reduction = enumArg(info, first + 1, op, "reduction", parseReduction, kReductions);
  options.labelSmoothing = numberArg(info, first + 2, op, "labelSmoothing");
  options.lengths = lengthsArg(info, first + 3, op);
  return options;
}

Napi::Value crossEntropy(const Napi::CallbackInfo& info) {
  const Tensor& logits = tensorArg(info, 0, "crossEntropy", "logits");
  const Tensor& targets = tensorArg(info, 1, "crossEntropy", "targets");
  CrossEntropyOptions options = crossEntropyOptionsArg(info, 2, "crossEntropy");
  ops::CrossEntropyResult result = ops::crossEntropy(logits, targets, options);
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("loss", TensorWrap::create(env, std::move(result.loss)));
  out.Set("logProbs", TensorWrap::create(env, std::move(result.logProbs)));
  return out;
}

Napi::Value crossEntropyBackward(const Napi::CallbackInfo& info) {
  const char* op = "crossEntropyBackward";
  const Tensor& gradLoss = tensorArg(info, 0, op, "gradLoss");
  const Tensor& logProbs = tensorArg(info, 1, op, "logProbs");
  const Tensor& targets = tensorArg(info, 2, op, "targets");
  CrossEntropyOptions options = crossEntropyOptionsArg(info, 3, op);
  return TensorWrap::create(info.Env(),
                            ops::crossEntropyBackward(gradLoss, logProbs, targets, options));
}

}  // namespace

void exportOps(Napi::Env env, Napi::Object exports) {
  auto add = [&](const char* name, Napi::Value (*fn)(const Napi::CallbackInfo&)) {
    exports.Set(name, Napi::Function::New(env, fn, name));
  };
  add("fromArray", guarded<fromArray>);
  add("full", guarded<full>);
  add("view", guarded<view>);
  add("contiguous", guarded<contiguous>);
  add("toDevice", guarded<toDevice>);
  add("cast", guarded<cast>);
  add("binary", guarded<binary>);
  add("unary", guarded<unary>);
  add("unaryBackward", guarded<unaryBackward>);
  add("reduce", guarded<reduce>);
  add("maxBackward", guarded<maxBackward>);
  add("dropout", guarded<dropout>);
  add("softmax", guarded<softmax>);
  add("softmaxBackward", guarded<softmaxBackward>);
  add("matmul", guarded<matmul>);
  add("concat", guarded<concat>);
  add("gather", guarded<gather>);
  add("gatherBackward", guarded<gatherBackward>);
  add("crossEntropy", guarded<crossEntropy>);
  add("crossEntropyBackward", guarded<crossEntropyBackward>);
}

}  // namespace rk::napi
