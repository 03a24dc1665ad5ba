// Module init: the exports lib/binding.ts describes, per-environment state, and shutdown.
#include "napi/addon_api.h"

#include <algorithm>
#include <atomic>

#include "core/backend.h"
#include "core/cuda_module.h"
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

Napi::Object backendEntry(Napi::Env env, const char* name, const std::string& device,
                          bool available, const std::string& detail) {
  Napi::Object entry = Napi::Object::New(env);
  entry.Set("name", name);
  entry.Set("device", device);
  entry.Set("available", available);
  entry.Set("detail", detail);
  return entry;
}

/** One entry per visible GPU, or one 'cuda' entry saying why none works. */
void addCudaEntries(Napi::Env env, std::vector<Napi::Object>& entries) {
  const cuda::ModuleApi* api = cudaModule();
  if (!api) {
    entries.push_back(backendEntry(env, "cuda", "cuda", false, cudaUnavailableReason()));
    return;
  }
  cuda::LibraryVersions v = api->versions();
  Napi::Object versions = Napi::Object::New(env);
  versions.Set("cudaRuntime", v.cudaRuntime);
  versions.Set("cudaDriver", v.cudaDriver);
  versions.Set("cudnn", v.cudnn);
  versions.Set("cublas", v.cublas);
  std::string detail = str("cuDNN ", v.cudnn, ", cuBLAS ", v.cublas, ", CUDA runtime ",
                           v.cudaRuntime, " (driver supports CUDA ", v.cudaDriver, ")");
  std::vector<Device> inUse = cudaDevicesInUse();
  for (int i = 0; i < cudaDeviceCount(); ++i) {
    cuda::GpuProperties p;
    std::string error;
    Device device{DeviceKind::Cuda, i};
    bool hasBackend = std::find(inUse.begin(), inUse.end(), device) != inUse.end();
    bool ok = api->gpuProperties(i, hasBackend, p, error);
    Napi::Object entry =
        backendEntry(env, "cuda", deviceName(device), ok, ok ? str(p.name, "; ", detail) : error);
    if (ok) {
      Napi::Object gpu = Napi::Object::New(env);
      gpu.Set("name", p.name);
      gpu.Set("computeCapability", str(p.major, ".", p.minor));
      gpu.Set("totalMemory", static_cast<double>(p.totalMemory));
      // null without a backend: reading it would create the device's context (module_entry.cpp).
      Napi::Value free = env.Null();
      if (p.freeMemory) free = Napi::Number::New(env, static_cast<double>(*p.freeMemory));
      gpu.Set("freeMemory", free);
      gpu.Set("multiprocessors", p.multiprocessors);
      entry.Set("gpu", gpu);
    }
    entry.Set("versions", versions);
    entries.push_back(entry);
  }
}

Napi::Value backends(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Backend& cpu = cpuBackend();
  std::vector<Napi::Object> entries{backendEntry(env, cpu.name(), "cpu", true, cpu.detail())};
  addCudaEntries(env, entries);
  Napi::Array list = Napi::Array::New(env, entries.size());
  for (size_t i = 0; i < entries.size(); ++i) list.Set(static_cast<uint32_t>(i), entries[i]);
  return list;
}

/** 'cpu' and every CUDA device in use: {tensors, bytes}. */
Napi::Value memory(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object result = Napi::Object::New(env);
  std::vector<Device> devices{Device{}};
  for (Device device : cudaDevicesInUse()) devices.push_back(device);
  for (Device device : devices) {
    Napi::Object usage = Napi::Object::New(env);
    usage.Set("tensors", static_cast<double>(liveTensorHandles(device)));
    usage.Set("bytes", static_cast<double>(allocatedBytes(device)));
    result.Set(deviceName(device), usage);
  }
  return result;
}

/** Runs cudaProfilerStart/Stop on every CUDA device in use (cuda:0 when none is yet). */
template <bool (*cuda::ModuleApi::*Call)(int, std::string&)>
Napi::Value profiler(const Napi::CallbackInfo& info) {
  const char* op = Call == &cuda::ModuleApi::profilerStart ? "profilerStart" : "profilerStop";
  if (!cudaModule()) {
    fail(Error::Code::Device, op, ": no CUDA device is available: ", cudaUnavailableReason());
  }
  std::vector<Device> devices = cudaDevicesInUse();
  if (devices.empty()) {
    cudaBackend(0);
    devices.push_back(Device{DeviceKind::Cuda, 0});
  }
  for (Device device : devices) {
    std::string error;
    if (!(cudaModule()->*Call)(device.index, error)) {
      fail(Error::Code::Backend, op, ": ", deviceName(device), ": ", error);
    }
  }
  return info.Env().Undefined();
}

// NVTX ranges mark host-side enqueue time; without the CUDA module there is no one to tell.
Napi::Value rangePush(const Napi::CallbackInfo& info) {
  std::string name = stringArg(info, 0, "rangePush", "name");
  if (const cuda::ModuleApi* api = cudaModuleIfLoaded()) api->rangePush(name.c_str());
  return info.Env().Undefined();
}

Napi::Value rangePop(const Napi::CallbackInfo& info) {
  if (const cuda::ModuleApi* api = cudaModuleIfLoaded()) api->rangePop();
  return info.Env().Undefined();
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
  on.Call(process,
          {Napi::String::New(env, "exit"), Napi::Function::New(env, onProcessExit, "rnnkitExit")});
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
  exports.Set("profilerStart",
              Napi::Function::New(env, guarded<profiler<&cuda::ModuleApi::profilerStart>>,
                                  "profilerStart"));
  exports.Set(
      "profilerStop",
      Napi::Function::New(env, guarded<profiler<&cuda::ModuleApi::profilerStop>>, "profilerStop"));
  exports.Set("rangePush", Napi::Function::New(env, guarded<rangePush>, "rangePush"));
  exports.Set("rangePop", Napi::Function::New(env, guarded<rangePop>, "rangePop"));
  exportOps(env, exports);
  exportReads(env, exports);
  exportRnn(env, exports);
  exportOptim(env, exports);
  exportCudaLibraries(env, exports);
  exportGenerate(env, exports);
  exportGloo(env, exports);
  return exports;
}

}  // namespace rk::napi

static Napi::Object InitRnnkit(Napi::Env env, Napi::Object exports) {
  return rk::napi::init(env, exports);
}

NODE_API_MODULE(rnnkit, InitRnnkit)
