// The recurrent stack's entry points (rnnLayout, rnnForward, rnnBackward), assign, and the JS
// "RnnReserve" handle: an ObjectWrap holding one reference to a training forward's reserve.
#include "core/ops.h"
#include "napi/addon_state.h"
#include "napi/args.h"
#include "napi/errors.h"
#include "napi/exports.h"
#include "napi/rnn_config.h"
#include "napi/tensor_wrap.h"

namespace rk::napi {

namespace {

// Marks our RnnReserve objects (as TensorWrap's tag marks tensors).
constexpr napi_type_tag kReserveTag = {0x726e6e6b69745f72ULL, 0x6e6e726573763031ULL};

class RnnReserveWrap : public Napi::ObjectWrap<RnnReserveWrap> {
 public:
  static Napi::Function defineClass(Napi::Env env) {
    return DefineClass(env, "RnnReserve",
                       {
                           InstanceAccessor<&RnnReserveWrap::isDisposed>("disposed"),
                           InstanceMethod<&RnnReserveWrap::dispose>("dispose"),
                       });
  }

  static Napi::Object create(Napi::Env env, std::shared_ptr<RnnReserve> reserve) {
    Napi::External<std::shared_ptr<RnnReserve>> external =
        Napi::External<std::shared_ptr<RnnReserve>>::New(env, &reserve);
    return addonState(env).rnnReserveClass.New({external});
  }

  static RnnReserveWrap* from(Napi::Value value) {
    if (!value.IsObject()) return nullptr;
    Napi::Object object = value.As<Napi::Object>();
    if (!object.CheckTypeTag(&kReserveTag)) return nullptr;
    return Unwrap(object);
  }

  explicit RnnReserveWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<RnnReserveWrap>(info) {
    if (info.Length() != 1 || !info[0].IsExternal()) {
      throw toJsError(info.Env(),
                      Error(Error::Code::Argument,
                            "RnnReserve: handles are made by rnnForward, not by new RnnReserve()"));
    }
    reserve_ = std::move(*info[0].As<Napi::External<std::shared_ptr<RnnReserve>>>().Data());
    info.This().As<Napi::Object>().TypeTag(&kReserveTag);
  }

  /** Null once disposed. The GC finalizer (the destructor) releases it too. */
  const std::shared_ptr<RnnReserve>& reserve() const { return reserve_; }

 private:
  Napi::Value isDisposed(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), !reserve_);
  }
  Napi::Value dispose(const Napi::CallbackInfo& info) {
    reserve_.reset();  // queued backward tasks keep their own reference
    return info.Env().Undefined();
  }

  std::shared_ptr<RnnReserve> reserve_;
};

std::optional<Tensor> optionalTensorArg(const Napi::CallbackInfo& info, size_t index,
                                        const char* op, const char* name) {
  if (info[index].IsNull() || info[index].IsUndefined()) return std::nullopt;
  return tensorArg(info, index, op, name);
}

Napi::Value tensorOrNull(Napi::Env env, const std::optional<Tensor>& t) {
  return t ? Napi::Value(TensorWrap::create(env, *t)) : env.Null();
}

Napi::Value rnnLayout(const Napi::CallbackInfo& info) {
  RnnConfig config = configArg(info, 0);
  Device device = deviceArg(info, 1, "rnnLayout", "device");
  RnnLayout layout = ops::rnnLayout(config, device);
  Napi::Env env = info.Env();
  Napi::Array params = Napi::Array::New(env, layout.params.size());
  for (size_t i = 0; i < layout.params.size(); ++i) {
    const RnnParam& p = layout.params[i];
    Napi::Object entry = Napi::Object::New(env);
    entry.Set("name", p.name);
    Napi::Array shape = Napi::Array::New(env, p.shape.size());
    for (size_t d = 0; d < p.shape.size(); ++d) {
      shape.Set(static_cast<uint32_t>(d), Napi::Number::New(env, static_cast<double>(p.shape[d])));
    }
    entry.Set("shape", shape);
    entry.Set("offset", Napi::Number::New(env, static_cast<double>(p.offset)));
    params.Set(static_cast<uint32_t>(i), entry);
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("params", params);
  result.Set("size", Napi::Number::New(env, static_cast<double>(layout.size)));
  return result;
}

RnnInputs inputsArg(const Napi::CallbackInfo& info, const char* op) {
  RnnInputs in;
  in.x = tensorArg(info, 1, op, "x");
  in.weights = tensorArg(info, 2, op, "weights");
  in.h0 = optionalTensorArg(info, 3, op, "h0");
  in.c0 = optionalTensorArg(info, 4, op, "c0");
  return in;
}

Napi::Value rnnForward(const Napi::CallbackInfo& info) {
  const char* op = "rnnForward";
  RnnConfig config = configArg(info, 0);
  RnnInputs in = inputsArg(info, op);
  std::optional<std::vector<int32_t>> lengths = lengthsArg(info, 5, op);
  bool training = boolArg(info, 6, op, "training");
  uint64_t seed = seedArg(info, 7, op);
  ops::RnnForwardResult result = ops::rnnForward(config, in, lengths, training, seed);
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("output", TensorWrap::create(env, result.outputs.output));
  out.Set("h", TensorWrap::create(env, result.outputs.h));
  out.Set("c", tensorOrNull(env, result.outputs.c));
  out.Set("reserve",
          result.reserve ? Napi::Value(RnnReserveWrap::create(env, result.reserve)) : env.Null());
  return out;
}

Napi::Value rnnBackward(const Napi::CallbackInfo& info) {
  const char* op = "rnnBackward";
  RnnConfig config = configArg(info, 0);
  RnnInputs in = inputsArg(info, op);
  std::optional<std::vector<int32_t>> lengths = lengthsArg(info, 5, op);
  RnnReserveWrap* wrap = RnnReserveWrap::from(info[6]);
  if (!wrap) failArgument(op, "reserve", "an RnnReserve (from a training rnnForward)", info[6]);
  if (!wrap->reserve()) fail(Error::Code::Disposed, op, ": reserve was disposed");
  std::shared_ptr<RnnReserve> reserve = wrap->reserve();
  RnnGrads grads;
  grads.dOutput = optionalTensorArg(info, 7, op, "dOutput");
  grads.dh = optionalTensorArg(info, 8, op, "dh");
  grads.dc = optionalTensorArg(info, 9, op, "dc");
  RnnInputGrads result = ops::rnnBackward(config, in, lengths, reserve, grads);
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("dx", TensorWrap::create(env, result.dx));
  out.Set("dh0", TensorWrap::create(env, result.dh0));
  out.Set("dc0", tensorOrNull(env, result.dc0));
  out.Set("dWeights", TensorWrap::create(env, result.dWeights));
  return out;
}

Napi::Value assign(const Napi::CallbackInfo& info) {
  Tensor dst = tensorArg(info, 0, "assign", "dst");
  Tensor src = tensorArg(info, 1, "assign", "src");
  ops::assign(dst, src);
  return info.Env().Undefined();
}

}  // namespace

void exportRnn(Napi::Env env, Napi::Object exports) {
  addonState(env).rnnReserveClass = Napi::Persistent(RnnReserveWrap::defineClass(env));
  auto add = [&](const char* name, Napi::Value (*fn)(const Napi::CallbackInfo&)) {
    exports.Set(name, Napi::Function::New(env, fn, name));
  };
  add("rnnLayout", guarded<rnnLayout>);
  add("rnnForward", guarded<rnnForward>);
  add("rnnBackward", guarded<rnnBackward>);
  add("assign", guarded<assign>);
}

}  // namespace rk::napi
