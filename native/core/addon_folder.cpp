#include "core/addon_folder.h"

#include <dlfcn.h>

namespace rk {

std::string addonFolder() {
  Dl_info info{};
  if (!dladdr(reinterpret_cast<void*>(&addonFolder), &info) || !info.dli_fname) return ".";
  std::string path = info.dli_fname;
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

}  // namespace rk
