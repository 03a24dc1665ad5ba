// The JS "Tensor" handle: an ObjectWrap holding one reference to a native tensor's storage.
#pragma once

#include "napi/addon_api.h"

#include "core/tensor.h"

namespace rk::napi {

class TensorWrap : public Napi::ObjectWrap<TensorWrap> {
 public:
  /** The class, for the env's AddonState. Not exported: only ops make handles. */
  static Napi::Function defineClass(Napi::Env env);
  /** A new JS handle for `tensor`. */
  static Napi::Object create(Napi::Env env, Tensor tensor);
  /** The handle behind `value`, or nullptr when value is not one of our Tensor objects. */
  static TensorWrap* from(Napi::Value value);

  explicit TensorWrap(const Napi::CallbackInfo& info);
  ~TensorWrap() override;  // the GC finalizer: releases like dispose()

  bool disposed() const { return !tensor_.storage; }
  /** The tensor; its storage is null once disposed. */
  const Tensor& tensor() const { return tensor_; }

 private:
  Napi::Value shape(const Napi::CallbackInfo& info);
  Napi::Value strides(const Napi::CallbackInfo& info);
  Napi::Value offset(const Napi::CallbackInfo& info);
  Napi::Value dtype(const Napi::CallbackInfo& info);
  Napi::Value device(const Napi::CallbackInfo& info);
  Napi::Value storageSize(const Napi::CallbackInfo& info);
  Napi::Value isDisposed(const Napi::CallbackInfo& info);
  Napi::Value dispose(const Napi::CallbackInfo& info);
  void release();

  Tensor tensor_;
  int64_t storageSize_ = 0;  // kept so the getter still answers after dispose
};

/** Live (not disposed, not collected) handles on `device`. */
int64_t liveTensorHandles(Device device);

}  // namespace rk::napi
