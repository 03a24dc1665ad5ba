#include "napi/completions.h"

#include <memory>

namespace rk::napi {

Completions::Completions(Napi::Env env) {
  tsfn_ = Tsfn::New(env, "rnnkit.completions", 0, 1, this);
  tsfn_.Unref(env);
}

void Completions::expect(Napi::Env env) {
  if (pending_++ == 0) tsfn_.Ref(env);
}

void Completions::post(Callback callback) {
  auto owned = std::make_unique<Callback>(std::move(callback));
  std::lock_guard<std::mutex> lock(mutex_);
  if (closed_) return;
  if (tsfn_.NonBlockingCall(owned.get()) == napi_ok) owned.release();
}

void Completions::close() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (closed_) return;
  closed_ = true;
  tsfn_.Release();
}

void Completions::deliver(Napi::Env env, Napi::Function, Completions* self, Callback* callback) {
  std::unique_ptr<Callback> owned(callback);
  if (env == nullptr) return;  // the TSFN is being torn down
  if (--self->pending_ == 0) self->tsfn_.Unref(env);
  (*owned)(env);
}

}  // namespace rk::napi
