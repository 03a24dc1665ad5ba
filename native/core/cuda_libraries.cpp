#include "core/cuda_libraries.h"

#include <dirent.h>
#include <dlfcn.h>
#include <glob.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "core/error.h"

namespace rk {

namespace {

bool exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

/** Paths matching a glob pattern, sorted (newest python3.N last does not matter: first hit wins).
 */
std::vector<std::string> globPaths(const std::string& pattern) {
  std::vector<std::string> paths;
  glob_t result{};
  if (glob(pattern.c_str(), GLOB_ONLYDIR, nullptr, &result) == 0) {
    for (size_t i = 0; i < result.gl_pathc; ++i) paths.emplace_back(result.gl_pathv[i]);
  }
  globfree(&result);
  return paths;
}

/** The files in `folder` named prefix*suffix, sorted. */
std::vector<std::string> filesLike(const std::string& folder, const std::string& prefix,
                                   const std::string& suffix) {
  std::vector<std::string> names;
  if (DIR* dir = opendir(folder.c_str())) {
    while (dirent* entry = readdir(dir)) {
      std::string name = entry->d_name;
      if (name.size() >= prefix.size() + suffix.size() &&
          name.compare(0, prefix.size(), prefix) == 0 &&
          name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
        names.push_back(name);
      }
    }
    closedir(dir);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string dlopenError(const std::string& path) {
  if (dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL)) return "";
  const char* error = dlerror();
  return error ? error : "unknown dlopen failure";
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out.empty() ? "(none)" : out;
}

constexpr const char* kLibraryFix =
    "to fix: `pip install nvidia-cublas nvidia-cudnn-cu13` (the loader looks in the wheels' "
    "folders), set CUDNN_PATH to a cuDNN 9 install with cuBLAS beside it, or run "
    "`npm run fetch:cuda-deps -- --runtime` in the package";

/** Loads `soname` from the first folder that has it, else by the system's search. */
std::string loadOne(const std::vector<std::string>& folders, const std::string& soname,
                    std::string* foundIn) {
  for (const std::string& folder : folders) {
    std::string path = folder + "/" + soname;
    if (!exists(path)) continue;
    std::string error = dlopenError(path);
    if (!error.empty()) return str(path, " could not be loaded: ", error, "; ", kLibraryFix);
    if (foundIn) *foundIn = folder;
    return "";
  }
  std::string error = dlopenError(soname);
  if (error.empty()) return "";
  return str(soname, " was not found (looked in: ", joined(folders),
             ", and the system's library path); ", kLibraryFix);
}

/**
 * cuDNN's front library dlopen()s its engine libraries at run time: where it was found in a
 * folder, they must be there too (NVIDIA's wheel and tarball keep them together).
 */
std::string loadCudnnEngines(const std::string& folder, int major) {
  std::string suffix = str(".so.", major);
  std::vector<std::string> engines = filesLike(folder, "libcudnn_", suffix);
  for (const char* needed : {"libcudnn_graph", "libcudnn_ops", "libcudnn_adv"}) {
    if (!exists(str(folder, "/", needed, suffix))) {
      return str("cuDNN's engine library ", needed, suffix, " is missing beside libcudnn", suffix,
                 " in ", folder, " (a link-only copy of cuDNN); ", kLibraryFix);
    }
  }
  // libcudnn_graph first: the others depend on it. Then the rest, retrying once for any whose
  // dependencies came later in the sorted order.
  std::stable_partition(engines.begin(), engines.end(), [](const std::string& name) {
    return name.rfind("libcudnn_graph", 0) == 0;
  });
  std::vector<std::string> failed;
  for (int pass = 0; pass < 2; ++pass) {
    failed.clear();
    std::string lastError;
    for (const std::string& name : engines) {
      std::string error = dlopenError(folder + "/" + name);
      if (!error.empty()) {
        failed.push_back(name);
        lastError = error;
      }
    }
    if (failed.empty()) return "";
    engines = failed;
    if (pass == 1)
      return str(folder, "/", failed[0], " could not be loaded: ", lastError, "; ", kLibraryFix);
  }
  return "";
}

}  // namespace

std::vector<std::string> cudaLibraryFolders(const std::string& packageDeps) {
  std::vector<std::string> folders;
  auto add = [&](const std::string& folder) {
    if (!folder.empty() && exists(folder) &&
        std::find(folders.begin(), folders.end(), folder) == folders.end()) {
      folders.push_back(folder);
    }
  };
  for (const char* name : {"CUDNN_PATH", "CUDNN_ROOT"}) {
    std::string root = env(name);
    if (root.empty()) continue;
    add(root + "/lib");
    add(root + "/lib64");
  }
  std::vector<std::string> sitePatterns;
  if (!env("VIRTUAL_ENV").empty())
    sitePatterns.push_back(env("VIRTUAL_ENV") + "/lib/python3*/site-packages");
  if (!env("HOME").empty())
    sitePatterns.push_back(env("HOME") + "/.local/lib/python3*/site-packages");
  for (const char* prefix : {"/usr/local/lib", "/usr/lib"}) {
    sitePatterns.push_back(str(prefix, "/python3*/site-packages"));
    sitePatterns.push_back(str(prefix, "/python3*/dist-packages"));
  }
  sitePatterns.push_back("/usr/lib/python3/dist-packages");
  for (const std::string& pattern : sitePatterns) {
    for (const std::string& site : globPaths(pattern)) {
      // cuDNN's wheel keeps nvidia/cudnn/lib; CUDA 13's cuBLAS wheel nvidia/cu13/lib (older
      // ones nvidia/cublas/lib).
      for (const char* sub : {"/nvidia/cudnn/lib", "/nvidia/cublas/lib", "/nvidia/cu13/lib"})
        add(site + sub);
    }
  }
  add(packageDeps);
  return folders;
}

std::string preloadCudaLibraries(const std::vector<std::string>& folders, int cublasMajor,
                                 int cudnnMajor) {
  // cuBLAS needs cuBLASLt: load it first.
  for (const char* name : {"libcublasLt", "libcublas"}) {
    std::string error = loadOne(folders, str(name, ".so.", cublasMajor), nullptr);
    if (!error.empty()) return error;
  }
  std::string cudnnFolder;
  std::string error = loadOne(folders, str("libcudnn.so.", cudnnMajor), &cudnnFolder);
  if (!error.empty()) return error;
  return cudnnFolder.empty() ? "" : loadCudnnEngines(cudnnFolder, cudnnMajor);
}

std::string loadCudaDriver() {
  if (dlopen("libcuda.so.1", RTLD_NOW | RTLD_GLOBAL)) return "";
  const char* error = dlerror();
  return str("the NVIDIA driver's libcuda.so.1 was not found (", error ? error : "dlopen failed",
             "); to fix: run on a machine with an NVIDIA GPU and its driver installed "
             "(nvidia-smi should list the GPU), or use device 'cpu'");
}

}  // namespace rk
