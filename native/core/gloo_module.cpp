#include "core/gloo_module.h"

#include <dlfcn.h>
#include <unistd.h>

#include "core/addon_folder.h"
#include "core/error.h"

namespace rk {

namespace {

struct LoadedModule {
  const dist::ModuleApi* api = nullptr;
  std::string reason;  // set when api is null
};

#ifdef RNNKIT_GLOO_MODULE_FILE

constexpr const char* kRebuild =
    "rebuild with `npx cmake-js build --CDRNNKIT_GLOO=ON` (needs Gloo: `sudo apt-get install "
    "libgloo-dev`)";

LoadedModule load() {
  LoadedModule m;
  std::string path = addonFolder() + "/" + RNNKIT_GLOO_MODULE_FILE;
  if (access(path.c_str(), F_OK) != 0) {
    m.reason = str("the Gloo module ", path, " is missing; to fix: ", kRebuild);
    return m;
  }
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* error = dlerror();
    m.reason = str(path, " could not be loaded: ", error ? error : "dlopen failed",
                   "; to fix: install Gloo (`sudo apt-get install libgloo-dev`), or ", kRebuild);
    return m;
  }
  auto entry = reinterpret_cast<dist::ModuleEntry>(dlsym(handle, dist::kModuleEntrySymbol));
  m.api = entry ? entry(dist::kModuleApiVersion) : nullptr;
  if (!m.api) {
    m.reason = str(path, " does not match this addon (another build's module); to fix: ", kRebuild);
  }
  return m;
}

#else

LoadedModule load() {
  return LoadedModule{
      nullptr,
      "this build of rnnkit has no Gloo module (built without Gloo, or by node-gyp); to fix: "
      "install Gloo (`sudo apt-get install libgloo-dev`) and rebuild with `npx cmake-js build "
      "--CDRNNKIT_GLOO=ON`"};
}

#endif

const LoadedModule& loaded() {
  static const LoadedModule module = load();  // thread-safe, once
  return module;
}

}  // namespace

const dist::ModuleApi* glooModule() { return loaded().api; }

std::string glooUnavailableReason() { return loaded().reason; }

}  // namespace rk
