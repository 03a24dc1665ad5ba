#include "napi/generation.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "napi/errors.h"

namespace rk::napi {

Generation::Generation(std::shared_ptr<Completions> completions)
    : completions_(std::move(completions)) {}

void Generation::step(const std::vector<int32_t>& ids, const float* logits, int64_t vocab) {
  std::unique_lock<std::mutex> lock(mutex_);
  for (size_t row = 0; row < ids.size(); ++row) rows_.push_back(static_cast<int32_t>(row));
  ids_.insert(ids_.end(), ids.begin(), ids.end());
  logits_.insert(logits_.end(), logits, logits + ids.size() * static_cast<size_t>(vocab));
  // Fast steps are handed over at most once per kWakeInterval: a JS wake-up per token would cost
  // more than the token (an event-loop turn, a promise, fresh arrays) and take a core from the
  // worker on a small machine.
  if (std::chrono::steady_clock::now() - lastWake_ >= kWakeInterval) wakeIfWaiting(lock);
}

void Generation::finish(std::optional<Error> failure) {
  std::unique_lock<std::mutex> lock(mutex_);
  finished_ = true;
  failure_ = std::move(failure);
  wakeIfWaiting(lock);
}

void Generation::wakeIfWaiting(std::unique_lock<std::mutex>& lock) {
  if (!waiting_) return;
  waiting_ = false;
  lastWake_ = std::chrono::steady_clock::now();
  lock.unlock();
  completions_->post([self = shared_from_this()](Napi::Env env) {
    Napi::HandleScope scope(env);
    Taken taken;
    {
      std::lock_guard<std::mutex> guard(self->mutex_);
      taken = self->take();
    }
    Napi::Promise::Deferred deferred = *self->waiter_;
    self->waiter_.reset();
    self->settle(env, deferred, std::move(taken));
  });
}

Generation::Taken Generation::take() {
  Taken taken;
  taken.rows.swap(rows_);
  taken.ids.swap(ids_);
  taken.logits.swap(logits_);
  if (taken.ids.empty()) taken.failure = std::exchange(failure_, std::nullopt);
  return taken;
}

Napi::Value Generation::next(Napi::Env env) {
  Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
  std::unique_lock<std::mutex> lock(mutex_);
  if (waiter_)
    fail(Error::Code::Argument, "generate: next() was called again before its promise settled");
  if (ids_.empty() && !finished_) {
    waiter_ = deferred;
    waiting_ = true;
    completions_->expect(env);
    return deferred.Promise();
  }
  Taken taken = take();
  lock.unlock();
  settle(env, deferred, std::move(taken));
  return deferred.Promise();
}

namespace {

template <class Array, class T>
Array copyOut(Napi::Env env, const std::vector<T>& values) {
  Array array = Array::New(env, values.size());
  if (!values.empty()) std::memcpy(array.Data(), values.data(), values.size() * sizeof(T));
  return array;
}

}  // namespace

void Generation::settle(Napi::Env env, Napi::Promise::Deferred deferred, Taken taken) {
  try {
    if (taken.failure) {
      deferred.Reject(toJsError(env, *taken.failure).Value());
    } else if (taken.ids.empty()) {
      deferred.Resolve(env.Null());
    } else {
      Napi::Object batch = Napi::Object::New(env);
      batch.Set("rows", copyOut<Napi::Int32Array>(env, taken.rows));
      batch.Set("ids", copyOut<Napi::Int32Array>(env, taken.ids));
      batch.Set("logits", copyOut<Napi::Float32Array>(env, taken.logits));
      deferred.Resolve(batch);
    }
  } catch (const Napi::Error& e) {
    deferred.Reject(e.Value());
  }
}

namespace {

std::mutex gLiveMutex;
std::vector<std::pair<napi_env, std::weak_ptr<Generation>>> gLive;  // guarded by gLiveMutex

}  // namespace

void trackGeneration(napi_env env, const std::shared_ptr<Generation>& generation) {
  std::lock_guard<std::mutex> lock(gLiveMutex);
  gLive.erase(std::remove_if(gLive.begin(), gLive.end(),
                             [](const auto& entry) { return entry.second.expired(); }),
              gLive.end());
  gLive.emplace_back(env, generation);
}

void cancelGenerations(napi_env env) {
  std::lock_guard<std::mutex> lock(gLiveMutex);
  for (const auto& [owner, weak] : gLive) {
    if (owner != env) continue;
    if (std::shared_ptr<Generation> generation = weak.lock()) generation->cancel();
  }
}

}  // namespace rk::napi
