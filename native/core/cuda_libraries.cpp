#include "core/cuda_libraries.h"

#include <dlfcn.h>
#include <limits.h>

#include "core/error.h"

namespace rk {

namespace {

std::string dlopenError(const std::string& path) {
  if (dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL)) return "";
  const char* error = dlerror();
  return error ? error : "dlopen failed";
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out.empty() ? "(none)" : out;
}

constexpr const char* kLibraryFix =
    "to fix: `pip install nvidia-cublas nvidia-cudnn-cu13` (the loader looks in the wheels' "
    "folders of the Python environments on PATH), set CUDNN_PATH to a cuDNN 9 install with "
    "cuBLAS beside it, or run `npm run fetch:cuda-deps -- --runtime` in the package";

std::string linkOnlyText(const CudaLibrary& library, const std::string& folder,
                         const std::vector<std::string>& missing) {
  return str(folder, " has a link-only copy of cuDNN: ", library.file, " without the sub-librar",
             missing.size() == 1 ? "y" : "ies", " the RNN needs beside it (", joined(missing),
             " missing)");
}

/** "; <linkOnlyText>" for each copy the search passed over, but the one in `except`. */
std::string passedOverText(const CudaLibrary& library, const std::string& except = "") {
  std::string out;
  for (const PassedOverCopy& copy : library.passedOver) {
    if (copy.folder != except) out += "; " + linkOnlyText(library, copy.folder, copy.missing);
  }
  return out;
}

/** Loads `library` from its folder, else by the system's search. */
std::string loadOne(const CudaLibrarySearch& search, const CudaLibrary& library) {
  if (!library.folder.empty()) {
    std::string path = library.folder + "/" + library.file;
    std::string error = dlopenError(path);
    if (error.empty()) return "";
    return str(path, " could not be loaded: ", error, "; ", kLibraryFix);
  }
  void* handle = dlopen(library.file.c_str(), RTLD_NOW | RTLD_GLOBAL);
  if (!handle) {
    const char* error = dlerror();
    std::string what = library.passedOver.empty() ? str(library.file, " was not found")
                                                  : str("no usable ", library.file, " was found");
    return str(what, " (looked in: ", joined(search.folders),
               ", and the system's library path: ", error ? error : "dlopen failed", ")",
               passedOverText(library), "; ", kLibraryFix);
  }
  // Found by the system's search (LD_LIBRARY_PATH, ld.so.cache): check its own folder too. A
  // link-only libcudnn.so.9 would abort the process at the first cuDNN call (cudnnGetVersion
  // aborts when it cannot load libcudnn_graph), instead of giving this reason.
  char origin[PATH_MAX] = "";
  if (library.beside.empty() || dlinfo(handle, RTLD_DI_ORIGIN, origin) != 0) return "";
  std::vector<std::string> missing = missingBeside(library, origin);
  if (missing.empty()) return "";
  return str(library.file, " came from the system's library path, and ",
             linkOnlyText(library, origin, missing), passedOverText(library, origin), "; ",
             kLibraryFix);
}

}  // namespace

std::string preloadCudaLibraries(const CudaLibrarySearch& search) {
  for (const CudaLibrary& library : search.libraries) {
    if (!library.preloaded) continue;
    std::string error = loadOne(search, library);
    if (!error.empty()) return error;
  }
  return "";
}

std::string loadCudaDriver() {
  if (dlopen("libcuda.so.1", RTLD_NOW | RTLD_GLOBAL)) return "";
  const char* error = dlerror();
  return str("the NVIDIA driver's libcuda.so.1 was not found (", error ? error : "dlopen failed",
             "); to fix: run on a machine with an NVIDIA GPU and its driver installed "
             "(nvidia-smi should list the GPU), or use device 'cpu'");
}

}  // namespace rk
