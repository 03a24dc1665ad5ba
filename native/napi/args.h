// Unwrapping JS arguments. Every helper names the op and the argument in its error:
// RK_ARGUMENT for a wrong type or value, RK_DISPOSED for a disposed tensor.
#pragma once

#include "napi/addon_api.h"

#include <optional>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/dtype.h"
#include "core/tensor.h"

namespace rk::napi {

/**
 * The live tensor behind info[index], by value: later argument unwrapping can run JS (array
 * getters) that disposes the handle, and the op must still hold the storage.
 */
Tensor tensorArg(const Napi::CallbackInfo& info, size_t index, const char* op, const char* name);
/** A JS array of live tensors. */
std::vector<Tensor> tensorListArg(const Napi::CallbackInfo& info, size_t index, const char* op,
                                  const char* name);
/** A safe integer (|n| < 2^53). */
int64_t integerArg(const Napi::CallbackInfo& info, size_t index, const char* op, const char* name);
/** A JS array of safe integers. */
std::vector<int64_t> integerListArg(const Napi::CallbackInfo& info, size_t index, const char* op,
                                    const char* name);
/** Any number, NaN and infinities included. */
double numberArg(const Napi::CallbackInfo& info, size_t index, const char* op, const char* name);
bool boolArg(const Napi::CallbackInfo& info, size_t index, const char* op, const char* name);
std::string stringArg(const Napi::CallbackInfo& info, size_t index, const char* op,
                      const char* name);
/** An Int32Array of sequence lengths, or null / undefined; copied at once, so later JS cannot
 * change what the op uses. */
std::optional<std::vector<int32_t>> lengthsArg(const Napi::CallbackInfo& info, size_t index,
                                               const char* op);
/** A generator seed: any finite number; integers map to themselves (mod 2^64), fractions by
 * their bits. */
uint64_t seedArg(const Napi::CallbackInfo& info, size_t index, const char* op);
DType dtypeArg(const Napi::CallbackInfo& info, size_t index, const char* op, const char* name);
Device deviceArg(const Napi::CallbackInfo& info, size_t index, const char* op, const char* name);

/** A string naming one of an enum's values; `allowed` lists them for the error message. */
template <class Enum>
Enum enumArg(const Napi::CallbackInfo& info, size_t index, const char* op, const char* name,
             std::optional<Enum> (*parse)(const std::string&), const char* allowed);

/** Throws RK_ARGUMENT "<op>: <name> must be <expected>, got <what value is>". */
[[noreturn]] void failArgument(const char* op, const std::string& name, const char* expected,
                               Napi::Value got);

template <class Enum>
Enum enumArg(const Napi::CallbackInfo& info, size_t index, const char* op, const char* name,
             std::optional<Enum> (*parse)(const std::string&), const char* allowed) {
  Napi::Value value = info[index];
  if (value.IsString()) {
    if (std::optional<Enum> parsed = parse(value.As<Napi::String>().Utf8Value())) return *parsed;
  }
  failArgument(op, name, allowed, value);
}

}  // namespace rk::napi
