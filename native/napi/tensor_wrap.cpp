#include "napi/tensor_wrap.h"

#include <atomic>

#include "napi/addon_state.h"
#include "napi/errors.h"

namespace rk::napi {

namespace {

std::atomic<int64_t> gLiveHandles[kDeviceSlots];

// Marks our Tensor objects, so another addon's wrapped object is never taken for one.
constexpr napi_type_tag kTensorTag = {0x726e6e6b69745f74ULL, 0x656e736f72763031ULL};

Napi::Array toArray(Napi::Env env, const std::vector<int64_t>& values) {
  Napi::Array array = Napi::Array::New(env, values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    array.Set(static_cast<uint32_t>(i), Napi::Number::New(env, static_cast<double>(values[i])));
  }
  return array;
}

}  // namespace

Napi::Function TensorWrap::defineClass(Napi::Env env) {
  return DefineClass(env, "Tensor",
                     {
                         InstanceAccessor<&TensorWrap::shape>("shape"),
                         InstanceAccessor<&TensorWrap::strides>("strides"),
                         InstanceAccessor<&TensorWrap::offset>("offset"),
                         InstanceAccessor<&TensorWrap::dtype>("dtype"),
                         InstanceAccessor<&TensorWrap::device>("device"),
                         InstanceAccessor<&TensorWrap::storageSize>("storageSize"),
                         InstanceAccessor<&TensorWrap::isDisposed>("disposed"),
                         InstanceMethod<&TensorWrap::dispose>("dispose"),
                     });
}

Napi::Object TensorWrap::create(Napi::Env env, Tensor tensor) {
  // The constructor takes the tensor from the env's state, where only this function puts one: a
  // `new` from JS finds none. (Cheaper than handing it over in an External.)
  AddonState& state = addonState(env);
  state.adopting = &tensor;
  try {
    Napi::Object object = state.tensorClass.New({});
    state.adopting = nullptr;
    return object;
  } catch (...) {
    state.adopting = nullptr;
    throw;
  }
}

TensorWrap* TensorWrap::from(Napi::Value value) {
  if (!value.IsObject()) return nullptr;
  Napi::Object object = value.As<Napi::Object>();
  if (!object.CheckTypeTag(&kTensorTag)) return nullptr;
  return Unwrap(object);
}

TensorWrap::TensorWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TensorWrap>(info) {
  AddonState& state = addonState(info.Env());
  if (state.adopting == nullptr) {
    throw toJsError(info.Env(),
                    Error(Error::Code::Argument,
                          "Tensor: handles are made by rnnkit ops, not by new Tensor()"));
  }
  tensor_ = std::move(*state.adopting);
  state.adopting = nullptr;
  storageSize_ = tensor_.storage->numel();
  info.This().As<Napi::Object>().TypeTag(&kTensorTag);
  ++gLiveHandles[tensor_.device.slot()];
}

TensorWrap::~TensorWrap() { release(); }

void TensorWrap::release() {
  if (!tensor_.storage) return;
  tensor_.storage.reset();
  --gLiveHandles[tensor_.device.slot()];
}

Napi::Value TensorWrap::shape(const Napi::CallbackInfo& info) {
  return toArray(info.Env(), tensor_.shape);
}

Napi::Value TensorWrap::strides(const Napi::CallbackInfo& info) {
  return toArray(info.Env(), tensor_.strides);
}

Napi::Value TensorWrap::offset(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(tensor_.offset));
}

Napi::Value TensorWrap::dtype(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), dtypeName(tensor_.dtype));
}

Napi::Value TensorWrap::device(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), deviceName(tensor_.device));
}

Napi::Value TensorWrap::storageSize(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(storageSize_));
}

Napi::Value TensorWrap::isDisposed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), disposed());
}

Napi::Value TensorWrap::dispose(const Napi::CallbackInfo& info) {
  release();
  return info.Env().Undefined();
}

int64_t liveTensorHandles(Device device) { return gLiveHandles[device.slot()].load(); }

}  // namespace rk::napi
