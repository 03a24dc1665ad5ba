// Where the CUDA module's libraries come from: the folders searched and, per library, the folder
// that holds it. Pure file-system look-ups (stat, glob), no dlopen: the loader
// (core/cuda_libraries.h) loads what this finds, and the addon's cudaLibrarySearch() reports it
// on any machine, GPU or not.
#pragma once

#include <string>
#include <vector>

namespace rk {

/** A folder holding a library but not what must sit beside it, so the search passed it over. */
struct PassedOverCopy {
  std::string folder;
  std::vector<std::string> missing;  // file names
};

/** One library the CUDA module needs. */
struct CudaLibrary {
  std::string file;  // "libcudnn.so.9"
  /**
   * The first searched folder holding it, and `beside` with it; "" when none does (the system's
   * search decides).
   */
  std::string folder;
  /**
   * true: the loader dlopen()s it (by full path when `folder` is set). false: one of cuDNN's
   * sub-libraries, which libcudnn.so.9 dlopen()s itself, on first use, from its own folder.
   */
  bool preloaded = true;
  /** Files that must sit in its folder: for libcudnn.so.9, the sub-libraries the RNN needs. */
  std::vector<std::string> beside;
  /** Searched folders holding `file` without all of `beside` (a link-only copy of cuDNN). */
  std::vector<PassedOverCopy> passedOver;
};

/** The files of `library.beside` that `folder` lacks. */
std::vector<std::string> missingBeside(const CudaLibrary& library, const std::string& folder);

struct CudaLibrarySearch {
  std::vector<std::string> folders;    // in search order, existing ones only
  std::vector<CudaLibrary> libraries;  // in load order
};

/**
 * Folders searched, in order: $CUDNN_PATH and $CUDNN_ROOT (lib/, lib64/); the nvidia-* pip
 * wheels' folders (nvidia/cudnn/lib, nvidia/cublas/lib, nvidia/cu13/lib) in the
 * site-packages and dist-packages of the Python environments at $VIRTUAL_ENV, $CONDA_PREFIX,
 * around each python3 or python on $PATH (a venv that is not activated), ~/.local, /usr/local
 * and /usr; then `packageDeps` (the package's own .deps/cuda/lib).
 */
std::vector<std::string> cudaLibraryFolders(const std::string& packageDeps);

/**
 * cuBLASLt and cuBLAS from the first folder holding each; cuDNN from the first folder holding
 * libcudnn.so.<major> with the sub-libraries the RNN needs beside it (a folder with only the
 * front library, a link-only copy, is passed over); then those sub-libraries, from cuDNN's folder.
 */
CudaLibrarySearch findCudaLibraries(const std::string& packageDeps, int cublasMajor,
                                    int cudnnMajor);

}  // namespace rk
