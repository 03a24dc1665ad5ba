// What the addon keeps per JS environment (main thread or worker thread).
#pragma once

#include <napi.h>

#include <memory>

#include "napi/completions.h"

namespace rk::napi {

struct AddonState {
  Napi::FunctionReference tensorClass;
  std::shared_ptr<Completions> completions;
};

inline AddonState& addonState(Napi::Env env) { return *env.GetInstanceData<AddonState>(); }

}  // namespace rk::napi
