// Before the CUDA module is dlopen()ed, the libraries it links against (cuBLASLt, cuBLAS, cuDNN
// and cuDNN's engine libraries) are loaded RTLD_GLOBAL from wherever the user has them, so the
// module's own dependencies resolve without LD_LIBRARY_PATH.
#pragma once

#include <string>
#include <vector>

namespace rk {

/**
 * Folders searched, in order: $CUDNN_PATH and $CUDNN_ROOT (lib/, lib64/), the nvidia-* pip
 * wheels' folders (under $VIRTUAL_ENV, ~/.local, /usr/local and /usr python3.* site-packages),
 * and `packageDeps` (the package's own .deps/cuda/lib). After them, the system's default search.
 */
std::vector<std::string> cudaLibraryFolders(const std::string& packageDeps);

/**
 * Loads the libraries globally. Returns "" on success, else why not and how to fix it, naming
 * the missing library and the folders searched.
 */
std::string preloadCudaLibraries(const std::vector<std::string>& folders, int cublasMajor,
                                 int cudnnMajor);

/** Loads the NVIDIA driver's libcuda.so.1: "" on success, else why not and how to fix it. */
std::string loadCudaDriver();

}  // namespace rk
