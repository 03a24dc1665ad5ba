#include "core/cuda_library_search.h"

#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "core/error.h"

namespace rk {

namespace {

// The cuDNN sub-libraries behind the calls the CUDA backend makes. libcudnn.so.9 exports the
// whole API but only forwards each call to the sub-library that implements it, dlopen()ing that
// one the first time (RPATH $ORIGIN: from its own folder):
//   graph: the handle (cudnnCreate, cudnnSetStream), versions and error strings;
//   ops:   tensor and dropout descriptors (cudnnSetDropoutDescriptor runs its kernel);
//   adv:   the RNN API (cudnnSetRNNDescriptor_v8, cudnnRNNForward, ...); it needs ops and graph
//          (DT_NEEDED) and dlopen()s libcublasLt by soname, which the loader has loaded already.
// Not needed: cnn and ext (convolutions and the other legacy ops), and the engine libraries
// (engines_precompiled, engines_runtime_compiled, engines_tensor_ir, heuristic), which graph
// dlopen()s for graph-API engines; adv imports none of the graph API's engine functions.
constexpr const char* kCudnnRnnParts[] = {"libcudnn_graph", "libcudnn_ops", "libcudnn_adv"};

bool exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

/** Folders matching a glob pattern, sorted. */
std::vector<std::string> globFolders(const std::string& pattern) {
  std::vector<std::string> paths;
  glob_t result{};
  if (glob(pattern.c_str(), GLOB_ONLYDIR, nullptr, &result) == 0) {
    for (size_t i = 0; i < result.gl_pathc; ++i) paths.emplace_back(result.gl_pathv[i]);
  }
  globfree(&result);
  return paths;
}

/** `dir` without its last component, by text: "/opt/venv/bin" → "/opt/venv", "/bin" → "". */
std::string parentOf(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir.substr(0, dir.rfind('/'));
}

/**
 * The prefixes of the Python environments whose interpreter is on PATH. The PATH folder's own
 * parent, not the interpreter's realpath: a venv's bin/python3 is a symlink to the base
 * interpreter, whose prefix holds none of the venv's packages. Relative entries (the empty one
 * is the current folder) are skipped, so libraries never come from wherever the process runs.
 */
std::vector<std::string> pythonPrefixesOnPath() {
  std::vector<std::string> prefixes;
  std::string path = env("PATH");
  for (size_t start = 0; start <= path.size();) {
    size_t end = std::min(path.find(':', start), path.size());
    std::string dir = path.substr(start, end - start);
    start = end + 1;
    if (dir.empty() || dir[0] != '/') continue;
    if (access((dir + "/python3").c_str(), X_OK) == 0 ||
        access((dir + "/python").c_str(), X_OK) == 0) {
      prefixes.push_back(parentOf(dir));
    }
  }
  return prefixes;
}

/** `library` with its folder: the first of `folders` that holds it and what must be beside it. */
CudaLibrary locate(CudaLibrary library, const std::vector<std::string>& folders) {
  for (const std::string& folder : folders) {
    if (!exists(folder + "/" + library.file)) continue;
    std::vector<std::string> missing = missingBeside(library, folder);
    if (missing.empty()) {
      library.folder = folder;
      break;
    }
    library.passedOver.push_back(PassedOverCopy{folder, std::move(missing)});
  }
  return library;
}

}  // namespace

std::vector<std::string> cudaLibraryFolders(const std::string& packageDeps) {
  std::vector<std::string> folders;
  std::vector<std::pair<dev_t, ino_t>> seen;
  auto add = [&](const std::string& folder) {
    struct stat st {};
    if (folder.empty() || stat(folder.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return;
    // One folder reached by two paths (/lib and /usr/lib where /lib links to /usr/lib) once.
    std::pair<dev_t, ino_t> id{st.st_dev, st.st_ino};
    if (std::find(seen.begin(), seen.end(), id) != seen.end()) return;
    seen.push_back(id);
    folders.push_back(folder);
  };
  for (const char* name : {"CUDNN_PATH", "CUDNN_ROOT"}) {
    std::string root = env(name);
    if (root.empty()) continue;
    add(root + "/lib");
    add(root + "/lib64");
  }
  std::vector<std::string> prefixes;
  for (const char* name : {"VIRTUAL_ENV", "CONDA_PREFIX"}) {
    if (!env(name).empty()) prefixes.push_back(env(name));
  }
  for (std::string& prefix : pythonPrefixesOnPath()) prefixes.push_back(std::move(prefix));
  if (!env("HOME").empty()) prefixes.push_back(env("HOME") + "/.local");
  prefixes.insert(prefixes.end(), {"/usr/local", "/usr"});
  for (const std::string& prefix : prefixes) {
    for (const char* packages : {"site-packages", "dist-packages"}) {
      for (const std::string& site : globFolders(str(prefix, "/lib/python3*/", packages))) {
        // cuDNN's wheel keeps nvidia/cudnn/lib; CUDA 13's cuBLAS wheel nvidia/cu13/lib (older
        // ones nvidia/cublas/lib).
        for (const char* sub : {"/nvidia/cudnn/lib", "/nvidia/cublas/lib", "/nvidia/cu13/lib"})
          add(site + sub);
      }
    }
  }
  add(packageDeps);
  return folders;
}

std::vector<std::string> missingBeside(const CudaLibrary& library, const std::string& folder) {
  std::vector<std::string> missing;
  for (const std::string& file : library.beside) {
    if (!exists(folder + "/" + file)) missing.push_back(file);
  }
  return missing;
}

CudaLibrarySearch findCudaLibraries(const std::string& packageDeps, int cublasMajor,
                                    int cudnnMajor) {
  CudaLibrarySearch search;
  search.folders = cudaLibraryFolders(packageDeps);
  // cuBLAS needs cuBLASLt: it loads first.
  for (const char* name : {"libcublasLt", "libcublas"}) {
    CudaLibrary cublas{str(name, ".so.", cublasMajor), "", true, {}, {}};
    search.libraries.push_back(locate(std::move(cublas), search.folders));
  }
  std::string suffix = str(".so.", cudnnMajor);
  CudaLibrary cudnn{"libcudnn" + suffix, "", true, {}, {}};
  for (const char* part : kCudnnRnnParts) cudnn.beside.push_back(part + suffix);
  cudnn = locate(std::move(cudnn), search.folders);
  search.libraries.push_back(cudnn);
  for (const std::string& part : cudnn.beside)
    search.libraries.push_back(CudaLibrary{part, cudnn.folder, false, {}, {}});
  return search;
}

}  // namespace rk
