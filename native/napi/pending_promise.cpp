#include "napi/pending_promise.h"

#include "napi/errors.h"

namespace rk::napi {

void PendingPromise::settle(Napi::Env env) {
  Napi::HandleScope scope(env);
  try {
    if (failure) {
      deferred.Reject(toJsError(env, *failure).Value());
    } else {
      deferred.Resolve(value(env));
    }
  } catch (const Napi::Error& e) {
    deferred.Reject(e.Value());
  }
}

void postSettle(Completions& completions, PendingPromise* raw) {
  completions.post([raw](Napi::Env env) {
    std::unique_ptr<PendingPromise> owned(raw);
    --addonState(env).promisesInFlight;
    owned->settle(env);
  });
}

}  // namespace rk::napi
