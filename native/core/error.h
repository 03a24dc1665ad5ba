// rk::Error: the one exception type native code throws on purpose. napi/errors.cpp maps its code
// to the JS `code` property ('RK_SHAPE', ...), which lib/errors.ts turns into a typed class.
#pragma once

#include <exception>
#include <sstream>
#include <string>
#include <utility>

// The CUDA backend is a separate shared module: its exceptions must be caught in the addon,
// which needs one visible type identity even when both are built with hidden visibility.
#define RK_VISIBLE __attribute__((visibility("default")))

namespace rk {

class RK_VISIBLE Error : public std::exception {
 public:
  enum class Code {
    Shape,
    DType,
    Device,
    OutOfMemory,
    Backend,
    Argument,
    Index,
    Disposed,
    Distributed,  // a collective or rendezvous failed: timeout, lost peer, mismatched call
  };

  Error(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  Code code() const noexcept { return code_; }
  const char* what() const noexcept override { return message_.c_str(); }
  const std::string& message() const noexcept { return message_; }

 private:
  Code code_;
  std::string message_;
};

/** "RK_SHAPE", "RK_DTYPE", ...: the codes lib/binding.ts lists as NativeErrorCode. */
const char* errorCodeName(Error::Code code);

/** Concatenates anything streamable into one string (for error messages). */
template <class... Parts>
std::string str(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}

/** Throws rk::Error(code, parts...). */
template <class... Parts>
[[noreturn]] void fail(Error::Code code, const Parts&... parts) {
  throw Error(code, str(parts...));
}

/** A backend library failed: the message carries the source location, for bug reports. */
[[noreturn]] void failBackend(const char* file, int line, const std::string& what);

/**
 * Turns whatever was thrown (rk::Error, std::bad_alloc, any std::exception) into an rk::Error
 * whose message starts with `op` ("matmul: ..."). Call inside a catch block.
 */
Error currentExceptionAsError(const char* op);

}  // namespace rk
