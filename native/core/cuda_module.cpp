#include "core/cuda_module.h"

#include <dlfcn.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <mutex>

#include "core/addon_folder.h"
#include "core/cuda_libraries.h"
#include "core/error.h"

namespace rk {

namespace {

struct LoadedModule {
  const cuda::ModuleApi* api = nullptr;
  int devices = 0;
  std::string reason;  // set when api is null or devices is 0
};

#ifdef RNNKIT_CUDA_MODULE_FILE

/** The package's own .deps/cuda/lib: the addon sits in <package>/build-x/Release/. */
std::string packageDeps(const std::string& addonDir) {
  std::string dir = addonDir;
  for (int up = 0; up < 4; ++up) {
    std::string candidate = dir + "/.deps/cuda/lib";
    if (char* resolved = realpath(candidate.c_str(), nullptr)) {
      std::string path = resolved;
      free(resolved);
      return path;
    }
    dir += "/..";
  }
  return "";
}

LoadedModule load() {
  LoadedModule m;
  std::string dir = addonFolder();
  std::string path = dir + "/" + RNNKIT_CUDA_MODULE_FILE;
  if (access(path.c_str(), F_OK) != 0) {
    m.reason = str("the CUDA module ", RNNKIT_CUDA_MODULE_FILE, " is missing beside the addon in ",
                   dir, "; to fix: rebuild with `npx cmake-js build --CDRNNKIT_CUDA=ON`");
    return m;
  }
  // The driver first: without it nothing else can run, and on a machine without a GPU the
  // libraries below (about 190 MiB of resident cuBLAS and cuDNN) would be loaded for nothing.
  m.reason = loadCudaDriver();
  if (!m.reason.empty()) return m;
  m.reason = preloadCudaLibraries(*cudaLibrarySearch());
  if (!m.reason.empty()) return m;
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* error = dlerror();
    m.reason = str(path, " could not be loaded: ", error ? error : "dlopen failed",
                   "; to fix: rebuild it (`npx cmake-js build --CDRNNKIT_CUDA=ON`)");
    return m;
  }
  auto entry = reinterpret_cast<cuda::ModuleEntry>(dlsym(handle, cuda::kModuleEntrySymbol));
  static const cuda::HostApi host{&Storage::allocate};
  const cuda::ModuleApi* api = entry ? entry(cuda::kModuleApiVersion, &host) : nullptr;
  if (!api) {
    m.reason =
        str(path, " does not match this addon (another build's module); to fix: rebuild both ",
            "with `npx cmake-js build --CDRNNKIT_CUDA=ON`");
    return m;
  }
  m.api = api;
  m.devices = api->deviceCount(m.reason);
  return m;
}

#else

LoadedModule load() {
  LoadedModule m;
  m.reason =
      "this build of rnnkit has no CUDA backend (it was built without nvcc, cuDNN 9 and "
      "cuBLAS); to fix: rebuild with `npx cmake-js build --CDRNNKIT_CUDA=ON` on a machine "
      "with the CUDA toolkit (`npm run fetch:cuda-deps` fetches cuDNN and cuBLAS)";
  return m;
}

#endif

std::atomic<bool> gLoaded{false};

const LoadedModule& loaded() {
  static const LoadedModule module = load();  // thread-safe, once
  gLoaded.store(true, std::memory_order_release);
  return module;
}

// Backends live until the process ends and are never deleted: at exit the CUDA runtime tears
// itself down in an order we do not control, and tensors may still be freed after that.
std::atomic<Backend*> gBackends[kMaxCudaDevices];
std::mutex gCreateMutex;

}  // namespace

#ifdef RNNKIT_CUDA_MODULE_FILE
std::optional<CudaLibrarySearch> cudaLibrarySearch() {
  return findCudaLibraries(packageDeps(addonFolder()), RNNKIT_CUBLAS_MAJOR, RNNKIT_CUDNN_MAJOR);
}
#else
std::optional<CudaLibrarySearch> cudaLibrarySearch() { return std::nullopt; }
#endif

const cuda::ModuleApi* cudaModule() {
  const LoadedModule& m = loaded();
  return m.devices > 0 ? m.api : nullptr;
}

std::string cudaUnavailableReason() { return loaded().reason; }

const cuda::ModuleApi* cudaModuleIfLoaded() {
  return gLoaded.load(std::memory_order_acquire) ? cudaModule() : nullptr;
}

int cudaDeviceCount() { return loaded().devices; }

Backend& cudaBackend(int index) {
  if (Backend* backend = gBackends[index].load(std::memory_order_acquire)) return *backend;
  const LoadedModule& m = loaded();
  std::string name = str("cuda:", index);
  if (m.devices == 0) fail(Error::Code::Device, "device '", name, "' is not available: ", m.reason);
  if (index >= m.devices) {
    fail(Error::Code::Device, "device '", name, "' is not available: ", m.devices, " CUDA device",
         m.devices == 1 ? " is" : "s are", " visible (cuda:0",
         m.devices > 1 ? str("..cuda:", m.devices - 1) : "", "); check CUDA_VISIBLE_DEVICES");
  }
  std::lock_guard<std::mutex> lock(gCreateMutex);
  if (Backend* backend = gBackends[index].load(std::memory_order_acquire)) return *backend;
  std::string error;
  Backend* backend = m.api->createBackend(index, error);
  if (!backend) fail(Error::Code::Device, "device '", name, "' is not available: ", error);
  gBackends[index].store(backend, std::memory_order_release);
  return *backend;
}

std::vector<Device> cudaDevicesInUse() {
  std::vector<Device> devices;
  for (int i = 0; i < kMaxCudaDevices; ++i) {
    if (gBackends[i].load(std::memory_order_acquire))
      devices.push_back(Device{DeviceKind::Cuda, i});
  }
  return devices;
}

}  // namespace rk
