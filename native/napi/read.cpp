// read / readSync / sync: the only points where JS waits for a device's stream.
#include <condition_variable>
#include <memory>
#include <mutex>

#include "core/ops.h"
#include "napi/addon_state.h"
#include "napi/args.h"
#include "napi/errors.h"
#include "napi/exports.h"
#include "napi/pending_promise.h"

namespace rk::napi {

namespace {

Napi::Value typedArrayOver(Napi::Env env, DType dtype, size_t length, Napi::ArrayBuffer buffer) {
  if (dtype == DType::Float32) return Napi::Float32Array::New(env, length, buffer, 0);
  return Napi::Int32Array::New(env, length, buffer, 0);
}

/**
 * A read's destination: a fresh ArrayBuffer made on the JS thread. The worker writes into it at
 * the read's place in the stream, so later queued work cannot leak into the result.
 */
struct ReadTarget {
  ReadTarget(Napi::Env env, const Tensor& t)
      : dtype(t.dtype),
        length(static_cast<size_t>(t.numel())),
        buffer(Napi::ArrayBuffer::New(env, length * dtypeSize(dtype))) {}

  DType dtype;
  size_t length;
  Napi::ArrayBuffer buffer;
};

/** A read's promise: resolves with a typed array over the read's buffer. */
struct PendingRead : PendingPromise {
  using PendingPromise::PendingPromise;

  Napi::Reference<Napi::ArrayBuffer> buffer;
  DType dtype = DType::Float32;
  size_t length = 0;

  Napi::Value value(Napi::Env env) override {
    return typedArrayOver(env, dtype, length, buffer.Value());
  }
};

Napi::Value read(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Tensor& t = tensorArg(info, 0, "read", "t");
  ReadTarget target(env, t);
  auto pending = std::make_unique<PendingRead>(env);
  pending->buffer = Napi::Persistent(target.buffer);
  pending->dtype = target.dtype;
  pending->length = target.length;
  void* host = target.buffer.Data();
  return whenDone(env, std::move(pending),
                  [&](ops::Completion done) { return ops::read(t, host, std::move(done)); });
}

Napi::Value readSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Tensor& t = tensorArg(info, 0, "readSync", "t");
  ReadTarget target(env, t);
  // Waits on the stack (no allocation): a read that ran inline is done before the wait.
  std::mutex mutex;
  std::condition_variable finished;
  bool done = false;
  std::optional<Error> failure;
  ops::read(t, target.buffer.Data(), [&](std::optional<Error> result) {
    std::lock_guard<std::mutex> lock(mutex);
    failure = std::move(result);
    done = true;
    finished.notify_one();
  });
  {
    std::unique_lock<std::mutex> lock(mutex);
    finished.wait(lock, [&] { return done; });
  }
  if (failure) throw *failure;
  return typedArrayOver(env, target.dtype, target.length, target.buffer);
}

Napi::Value sync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Device device = deviceArg(info, 0, "sync", "device");
  return whenDone(env, std::make_unique<PendingPromise>(env),
                  [&](ops::Completion done) { return ops::sync(device, std::move(done)); });
}

}  // namespace

void exportReads(Napi::Env env, Napi::Object exports) {
  exports.Set("read", Napi::Function::New(env, guarded<read>, "read"));
  exports.Set("readSync", Napi::Function::New(env, guarded<readSync>, "readSync"));
  exports.Set("sync", Napi::Function::New(env, guarded<sync>, "sync"));
}

}  // namespace rk::napi
