// The JS side of one ops::generate call: a TokenSink that queues the tokens the stream's worker
// draws and hands them to JS in batches. next() takes everything queued so far; when nothing is,
// it waits, and the worker posts one completion as its next step (or its end) arrives, at most
// once per kWakeInterval while steps come faster than that. So the
// worker never waits for JS, and a slow consumer gets larger batches instead of more posts.
#pragma once

#include "napi/addon_api.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "core/generate.h"
#include "napi/completions.h"

namespace rk::napi {

class Generation final : public TokenSink, public std::enable_shared_from_this<Generation> {
 public:
  explicit Generation(std::shared_ptr<Completions> completions);

  // Worker thread.
  bool cancelled() const override { return cancelled_.load(std::memory_order_relaxed); }
  void step(const std::vector<int32_t>& ids, const float* logits, int64_t vocab) override;
  void finish(std::optional<Error> failure) override;

  // JS thread (cancel: any thread).
  /** A promise of { rows, ids, logits } (the tokens queued so far), or null after the last. */
  Napi::Value next(Napi::Env env);
  void cancel() { cancelled_.store(true, std::memory_order_relaxed); }

 private:
  /** What next() hands over: tokens, or the end (with its failure, reported once). */
  struct Taken {
    std::vector<int32_t> rows, ids;
    std::vector<float> logits;
    std::optional<Error> failure;
  };

  Taken take();  // under mutex_
  void wakeIfWaiting(std::unique_lock<std::mutex>& lock);
  void settle(Napi::Env env, Napi::Promise::Deferred deferred, Taken taken);

  const std::shared_ptr<Completions> completions_;
  std::atomic<bool> cancelled_{false};

  std::mutex mutex_;
  std::vector<int32_t> rows_, ids_;  // guarded by mutex_, as the fields below
  std::vector<float> logits_;
  bool finished_ = false;
  std::optional<Error> failure_;
  bool waiting_ = false;  // JS waits in next() and expects one completion
  std::chrono::steady_clock::time_point lastWake_{};

  static constexpr std::chrono::microseconds kWakeInterval{500};

  std::optional<Napi::Promise::Deferred> waiter_;  // JS thread only
};

/** Registers `generation` so that the environment's exit cancels it (see exportGenerate). */
void trackGeneration(napi_env env, const std::shared_ptr<Generation>& generation);
/** Cancels every generation of `env` still running. */
void cancelGenerations(napi_env env);

}  // namespace rk::napi
