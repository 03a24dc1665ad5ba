// The boundary between the addon (rnnkit.node) and the CUDA module (rnnkit_cuda.so), which the
// addon dlopen()s on first use of a CUDA device so that a CPU user's addon never needs libcudnn,
// libcublas or a driver. Plain C++ with no CUDA headers: the addon includes it too. C++ types
// cross the boundary because both sides are built together from one tree with one compiler;
// kModuleApiVersion guards against a module left over from another build.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/backend.h"
#include "core/storage.h"

namespace rk::cuda {

constexpr int kModuleApiVersion = 2;
/** The one symbol the module exports (extern "C"): a ModuleEntry. */
constexpr const char* kModuleEntrySymbol = "rnnkit_cuda_module";

struct GpuProperties {
  std::string name;
  int major = 0;
  int minor = 0;
  uint64_t totalMemory = 0;
  /** Only for a device whose backend exists (see ModuleApi::gpuProperties). */
  std::optional<uint64_t> freeMemory;
  int multiprocessors = 0;
};

struct LibraryVersions {
  std::string cudaRuntime;  // "13.0"
  std::string cudaDriver;   // the newest CUDA the driver supports, "13.0"
  std::string cudnn;        // "9.14.0"
  std::string cublas;       // "13.1.0"
};

/** What the module offers. Every entry catches its own exceptions except the Backend's methods. */
struct ModuleApi {
  int version;
  /** Visible GPUs; 0 with `reason` ("no CUDA-capable GPU is visible ...; to fix: ...") if none. */
  int (*deviceCount)(std::string& reason);
  /**
   * false with `error` set when the device cannot be queried. Creates no CUDA context: free
   * memory, which only a context can tell, is read only when `hasBackend` says the device's
   * backend (and so its primary context) exists already.
   */
  bool (*gpuProperties)(int device, bool hasBackend, GpuProperties& out, std::string& error);
  LibraryVersions (*versions)();
  /** A new backend for `device` (owned by the caller), or null with `error` set. */
  Backend* (*createBackend)(int device, std::string& error);
  /** cudaProfilerStart / Stop with `device` current; false with `error` set on failure. */
  bool (*profilerStart)(int device, std::string& error);
  bool (*profilerStop)(int device, std::string& error);
  /** NVTX ranges on the calling thread. */
  void (*rangePush)(const char* name);
  void (*rangePop)();
};

/** What the addon lends the module: storages are the addon's, so memory() counts them. */
struct HostApi {
  std::shared_ptr<Storage> (*allocateStorage)(Device device, DType dtype, int64_t numel);
};

/** Returns the module's API, or null when `version` is not the module's kModuleApiVersion. */
using ModuleEntry = const ModuleApi* (*)(int version, const HostApi* host);

}  // namespace rk::cuda
