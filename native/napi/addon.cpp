// Module init: the exports lib/binding.ts describes, per-environment state, and shutdown.
#include "napi/addon_api.h"

#include <atomic>

#include "core/backend.h"
#include "core/ops.h"
#include "core/storage.h"
#include "core/stream.h"
#include "napi/addon_state.h"
#include "napi/args.h"
#include "napi/errors.h"
#include "napi/exports.h"
#include "napi/tensor_wrap.h"

namespace rk::napi {

namespace {

constexpr const char* kVersion = "0.1.0";

// Environments (main thread, worker threads) using the addon. Streams are process-wide, so the
// last environment to leave stops them.
std::atomic<int> gLiveEnvs{0};

Napi::Value backends(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Backend& cpu = backendFor(Device{DeviceKind::Cpu});
  Napi::Object entry = Napi::Object::New(env);
  entry.Set("name", cpu.name());
  entry.Set("device", deviceName(Device{DeviceKind::Cpu}));
  entry.Set("available", true);
  entry.Set("detail", cpu.detail());
  Napi::Array list = Napi::Array::New(env, 1);
  list.Set(0u, entry);
  return list;
}

Napi::Value memory(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object result = Napi::Object::New(env);
  for (int kind = 0; kind < kDeviceKindCount; ++kind) {
    Device device{DeviceKind(kind)};
    Napi::Object usage = Napi::Object::New(env);
    usage.Set("tensors", static_cast<double>(liveTensorHandles(device)));
    usage.Set("bytes", static_cast<double>(allocatedBytes(device)));
    result.Set(deviceName(device), usage);
  }
  return result;
}

Napi::Value injectFault(const Napi::CallbackInfo& info) {
  Device device = deviceArg(info, 0, "injectFault", "device");
  std::string message = stringArg(info, 1, "injectFault", "message");
  ops::injectFault(device, message);
  return info.Env().Undefined();
}

// This environment stops using the addon: no more completions are delivered to it, and the last
// environment to leave stops the streams. Runs at the 'exit' event and again, as a no-op, in the
// environment's cleanup hook.
void leave(AddonState* state) {
  if (!state->active) return;
  state->active = false;
  if (--gLiveEnvs == 0) shutdownStreams();
  state->completions->close();
}

// process.exit() skips the environment cleanup hooks and goes straight to static destructors,
// which would unload oneDNN's kernels from under a task still running on the worker thread. The
// 'exit' event comes before that, on every way out.
Napi::Value onProcessExit(const Napi::CallbackInfo& info) {
  leave(&addonState(info.Env()));
  return info.Env().Undefined();
}

void listenForProcessExit(Napi::Env env) {
  Napi::Object process = env.Global().Get("process").As<Napi::Object>();
  Napi::Function on = process.Get("on").As<Napi::Function>();
  on.Call(process, {Napi::String::New(env, "exit"), Napi::Function::New(env, onProcessExit, "rnnkitExit")});
}

}  // namespace

Napi::Object init(Napi::Env env, Napi::Object exports) {
  auto* state = new AddonState();
  env.SetInstanceData(state);  // deleted by node with the environment
  state->tensorClass = Napi::Persistent(TensorWrap::defineClass(env));
  state->completions = std::make_shared<Completions>(env);
  ++gLiveEnvs;
  env.AddCleanupHook(leave, state);
  listenForProcessExit(env);

  exports.Set("version", Napi::String::New(env, kVersion));
  exports.Set("backends", Napi::Function::New(env, guarded<backends>, "backends"));
  exports.Set("memory", Napi::Function::New(env, guarded<memory>, "memory"));
  exports.Set("injectFault", Napi::Function::New(env, guarded<injectFault>, "injectFault"));
  exportOps(env, exports);
  exportReads(env, exports);
  exportRnn(env, exports);
  exportOptim(env, exports);
  return exports;
}

}  // namespace rk::napi

static Napi::Object InitRnnkit(Napi::Env env, Napi::Object exports) {
  return rk::napi::init(env, exports);
}

NODE_API_MODULE(rnnkit, InitRnnkit)
