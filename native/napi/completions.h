// Hands work finished on a stream's worker thread back to the JS thread, through one
// thread-safe function per JS environment. The TSFN holds the event loop open only while a
// completion is pending, so an idle program exits.
#pragma once

#include "napi/addon_api.h"

#include <functional>
#include <mutex>

namespace rk::napi {

class Completions {
 public:
  using Callback = std::function<void(Napi::Env)>;

  explicit Completions(Napi::Env env);

  /** JS thread: one more completion will be posted; keeps the event loop alive until then. */
  void expect(Napi::Env env);
  /**
   * Any thread: runs `callback` on the JS thread. After close() the callback is dropped without
   * running (the environment is going away; whatever it owned is left to process exit).
   */
  void post(Callback callback);
  /** JS thread, at environment cleanup: no more deliveries. */
  void close();

 private:
  static void deliver(Napi::Env env, Napi::Function, Completions* self, Callback* callback);
  using Tsfn = Napi::TypedThreadSafeFunction<Completions, Callback, &Completions::deliver>;

  std::mutex mutex_;
  bool closed_ = false;  // guarded by mutex_
  Tsfn tsfn_;
  int pending_ = 0;  // JS thread only
};

}  // namespace rk::napi
