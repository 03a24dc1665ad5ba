#include "napi/args.h"

#include <cmath>
#include <cstring>

#include "core/error.h"
#include "napi/tensor_wrap.h"

namespace rk::napi {

namespace {

constexpr double kMaxSafeInteger = 9007199254740991.0;  // Number.MAX_SAFE_INTEGER

/** A short description of a JS value for messages: "undefined", "string 'x'", "1.5", ... */
std::string describe(Napi::Value value) {
  if (value.IsUndefined()) return "undefined";
  if (value.IsNull()) return "null";
  if (value.IsNumber()) return str(value.As<Napi::Number>().DoubleValue());
  if (value.IsBoolean()) return value.As<Napi::Boolean>().Value() ? "true" : "false";
  if (value.IsString()) {
    std::string text = value.As<Napi::String>().Utf8Value();
    if (text.size() > 40) text = text.substr(0, 40) + "...";
    return str("'", text, "'");
  }
  if (value.IsArray()) return "an array";
  if (value.IsTypedArray()) return "a typed array";
  if (value.IsFunction()) return "a function";
  return "an object";
}

const Tensor& tensorValue(Napi::Value value, const char* op, const std::string& name) {
  TensorWrap* wrap = TensorWrap::from(value);
  if (!wrap) failArgument(op, name, "a Tensor", value);
  if (wrap->disposed()) fail(Error::Code::Disposed, op, ": ", name, " was disposed");
  return wrap->tensor();
}

int64_t integerValue(Napi::Value value, const char* op, const std::string& name) {
  if (!value.IsNumber()) failArgument(op, name, "an integer", value);
  double number = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(number) || std::trunc(number) != number ||
      std::fabs(number) > kMaxSafeInteger) {
    failArgument(op, name, "a safe integer", value);
  }
  return static_cast<int64_t>(number);
}

Napi::Array arrayArg(const Napi::CallbackInfo& info, size_t index, const char* op, const char* name,
                     const char* expected) {
  Napi::Value value = info[index];
  if (!value.IsArray()) failArgument(op, name, expected, value);
  return value.As<Napi::Array>();
}

}  // namespace

void failArgument(const char* op, const std::string& name, const char* expected, Napi::Value got) {
  fail(Error::Code::Argument, op, ": ", name, " must be ", expected, ", got ", describe(got));
}

Tensor tensorArg(const Napi::CallbackInfo& info, size_t index, const char* op, const char* name) {
  return tensorValue(info[index], op, name);
}

std::vector<Tensor> tensorListArg(const Napi::CallbackInfo& info, size_t index, const char* op,
                                  const char* name) {
  Napi::Array array = arrayArg(info, index, op, name, "an array of Tensors");
  std::vector<Tensor> tensors;
  for (uint32_t i = 0; i < array.Length(); ++i) {
    tensors.push_back(tensorValue(array.Get(i), op, str(name, "[", i, "]")));
  }
  return tensors;
}

int64_t integerArg(const Napi::CallbackInfo& info, size_t index, const char* op, const char* name) {
  return integerValue(info[index], op, name);
}

std::vector<int64_t> integerListArg(const Napi::CallbackInfo& info, size_t index, const char* op,
                                    const char* name) {
  Napi::Array array = arrayArg(info, index, op, name, "an array of integers");
  std::vector<int64_t> values;
  for (uint32_t i = 0; i < array.Length(); ++i) {
    values.push_back(integerValue(array.Get(i), op, str(name, "[", i, "]")));
  }
  return values;
}

double numberArg(const Napi::CallbackInfo& info, size_t index, const char* op, const char* name) {
  Napi::Value value = info[index];
  if (!value.IsNumber()) failArgument(op, name, "a number", value);
  return value.As<Napi::Number>().DoubleValue();
}

bool boolArg(const Napi::CallbackInfo& info, size_t index, const char* op, const char* name) {
  Napi::Value value = info[index];
  if (!value.IsBoolean()) failArgument(op, name, "a boolean", value);
  return value.As<Napi::Boolean>().Value();
}

std::string stringArg(const Napi::CallbackInfo& info, size_t index, const char* op,
                      const char* name) {
  Napi::Value value = info[index];
  if (!value.IsString()) failArgument(op, name, "a string", value);
  return value.As<Napi::String>().Utf8Value();
}

DType dtypeArg(const Napi::CallbackInfo& info, size_t index, const char* op, const char* name) {
  return enumArg(info, index, op, name, parseDType, "'float32' or 'int32'");
}

Device deviceArg(const Napi::CallbackInfo& info, size_t index, const char* op, const char* name) {
  std::string text = stringArg(info, index, op, name);
  try {
    return parseDevice(text);
  } catch (const Error& e) {
    fail(e.code(), op, ": ", e.message());
  }
}

/** Copied at once, so later JS cannot change what the op uses. */
std::optional<std::vector<int32_t>> lengthsArg(const Napi::CallbackInfo& info, size_t index,
                                               const char* op) {
  Napi::Value value = info[index];
  if (value.IsNull() || value.IsUndefined()) return std::nullopt;
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    failArgument(op, "lengths", "an Int32Array or null", value);
  }
  Napi::Int32Array array = value.As<Napi::Int32Array>();
  std::vector<int32_t> lengths(array.ElementLength());
  if (!lengths.empty()) std::memcpy(lengths.data(), array.Data(), lengths.size() * sizeof(int32_t));
  return lengths;
}

/** Any finite number: integers map to themselves (mod 2^64), fractions by their bits. */
uint64_t seedArg(const Napi::CallbackInfo& info, size_t index, const char* op) {
  double seed = numberArg(info, index, op, "seed");
  if (!std::isfinite(seed)) failArgument(op, "seed", "a finite number", info[index]);
  if (std::trunc(seed) == seed && std::fabs(seed) < 9.2e18) {
    return static_cast<uint64_t>(static_cast<int64_t>(seed));
  }
  uint64_t bits;
  std::memcpy(&bits, &seed, sizeof bits);
  return bits;
}

}  // namespace rk::napi
