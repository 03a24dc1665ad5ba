// A promise that a stream task settles: made on the JS thread, settled there through the
// completions, in the order the tasks were queued (read.cpp, gloo.cpp).
#pragma once

#include "napi/addon_api.h"

#include <memory>
#include <optional>
#include <thread>

#include "core/error.h"
#include "core/ops.h"
#include "napi/addon_state.h"

namespace rk::napi {

struct PendingPromise {
  explicit PendingPromise(Napi::Env env) : deferred(Napi::Promise::Deferred::New(env)) {}
  virtual ~PendingPromise() = default;

  Napi::Promise::Deferred deferred;
  std::optional<Error> failure;

  /** Rejects with the failure, else resolves with value(). */
  void settle(Napi::Env env);
  /** What the promise resolves with (undefined by default). */
  virtual Napi::Value value(Napi::Env env) { return env.Undefined(); }
};

/** Settles `raw` on the JS thread through the completions, which deliver in posting order. */
void postSettle(Completions& completions, PendingPromise* raw);

/**
 * Starts `submit(done)` and returns a promise that `done` settles. When it ran inline (done ran
 * on this thread before submit returned) the promise settles at once, without a thread hop,
 * unless earlier promises still wait for their hop: promises settle in the order of their reads.
 */
template <class Submit>
Napi::Promise whenDone(Napi::Env env, std::unique_ptr<PendingPromise> pending, Submit submit) {
  AddonState& state = addonState(env);
  std::shared_ptr<Completions> completions = state.completions;
  PendingPromise* raw = pending.get();
  Napi::Promise promise = raw->deferred.Promise();
  std::thread::id caller = std::this_thread::get_id();
  bool ranInline = submit([completions, raw, caller](std::optional<Error> failure) {
    raw->failure = std::move(failure);
    if (std::this_thread::get_id() != caller) postSettle(*completions, raw);
  });
  if (ranInline && state.promisesInFlight == 0) {
    pending->settle(env);
    return promise;
  }
  // From here the completion owns the pending promise.
  pending.release();
  ++state.promisesInFlight;
  completions->expect(env);
  if (ranInline) postSettle(*completions, raw);
  return promise;
}

}  // namespace rk::napi
