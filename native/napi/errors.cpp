#include "napi/errors.h"

#include <new>

namespace rk::napi {

Napi::Error toJsError(Napi::Env env, const Error& error) {
  Napi::Error js = Napi::Error::New(env, error.message());
  js.Set("code", Napi::String::New(env, errorCodeName(error.code())));
  return js;
}

Napi::Error currentExceptionAsJsError(Napi::Env env) {
  try {
    throw;
  } catch (const Error& e) {
    return toJsError(env, e);
  } catch (const std::bad_alloc&) {
    return toJsError(env, Error(Error::Code::OutOfMemory, "out of memory"));
  } catch (const std::exception& e) {
    return toJsError(env, Error(Error::Code::Backend, e.what()));
  } catch (...) {
    return toJsError(env, Error(Error::Code::Backend, "unknown native failure"));
  }
}

}  // namespace rk::napi
