#include "core/error.h"

#include <new>

namespace rk {

const char* errorCodeName(Error::Code code) {
  switch (code) {
    case Error::Code::Shape:
      return "RK_SHAPE";
    case Error::Code::DType:
      return "RK_DTYPE";
    case Error::Code::Device:
      return "RK_DEVICE";
    case Error::Code::OutOfMemory:
      return "RK_OUT_OF_MEMORY";
    case Error::Code::Backend:
      return "RK_BACKEND";
    case Error::Code::Argument:
      return "RK_ARGUMENT";
    case Error::Code::Index:
      return "RK_INDEX";
    case Error::Code::Disposed:
      return "RK_DISPOSED";
    case Error::Code::Distributed:
      return "RK_DISTRIBUTED";
  }
  return "RK_BACKEND";
}

void failBackend(const char* file, int line, const std::string& what) {
  fail(Error::Code::Backend, what, " (at ", file, ":", line, ")");
}

static std::string withOpPrefix(const char* op, const std::string& message) {
  std::string prefix = str(op, ": ");
  if (message.compare(0, prefix.size(), prefix) == 0) return message;
  return prefix + message;
}

Error currentExceptionAsError(const char* op) {
  try {
    throw;
  } catch (const Error& e) {
    return Error(e.code(), withOpPrefix(op, e.message()));
  } catch (const std::bad_alloc&) {
    return Error(Error::Code::OutOfMemory, withOpPrefix(op, "out of memory"));
  } catch (const std::exception& e) {
    return Error(Error::Code::Backend, withOpPrefix(op, e.what()));
  } catch (...) {
    return Error(Error::Code::Backend, withOpPrefix(op, "unknown failure"));
  }
}

}  // namespace rk
