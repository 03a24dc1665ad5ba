// What the addon keeps per JS environment (main thread or worker thread).
#pragma once

#include "napi/addon_api.h"

#include <memory>

#include "core/tensor.h"
#include "napi/completions.h"

namespace rk::napi {

struct AddonState {
  Napi::FunctionReference tensorClass;
  Napi::FunctionReference rnnReserveClass;
  std::shared_ptr<Completions> completions;
  int promisesInFlight = 0;    // read/sync promises waiting for their completion (napi/read.cpp)
  Tensor* adopting = nullptr;  // the tensor TensorWrap::create hands to the constructor
  bool active = true;          // false once the environment is exiting
};

inline AddonState& addonState(Napi::Env env) { return *env.GetInstanceData<AddonState>(); }

}  // namespace rk::napi
