// The napi boundary for failures: every native exception becomes a JS Error with a `code`
// ('RK_SHAPE', ... as lib/binding.ts NativeErrorCode lists).
#pragma once

#include "napi/addon_api.h"

#include "core/error.h"

namespace rk::napi {

Napi::Error toJsError(Napi::Env env, const Error& error);

/**
 * The exception being handled as a JS error: rk::Error keeps its code, std::bad_alloc becomes
 * RK_OUT_OF_MEMORY, any other std::exception RK_BACKEND. Call inside a catch block.
 */
Napi::Error currentExceptionAsJsError(Napi::Env env);

/** Wraps an entry point so no C++ exception escapes into node without a `code`. */
template <Napi::Value (*Fn)(const Napi::CallbackInfo&)>
Napi::Value guarded(const Napi::CallbackInfo& info) {
  try {
    return Fn(info);
  } catch (const Napi::Error&) {
    throw;  // already a JS exception
  } catch (...) {
    throw currentExceptionAsJsError(info.Env());
  }
}

}  // namespace rk::napi
