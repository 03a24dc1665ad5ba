// Loads the CUDA module's libraries before rnnkit_cuda.so is dlopen()ed: cuBLASLt, cuBLAS and
// cuDNN's front library libcudnn.so.9, RTLD_GLOBAL, by full path from the folders
// core/cuda_library_search.h found (else by the system's search), so the module's dependencies
// resolve without LD_LIBRARY_PATH. cuDNN's sub-libraries are left to libcudnn.so.9, which
// dlopen()s each from its own folder the first time a call needs it: an RNN maps graph, ops and
// adv (about 280 MB), not all ten (about 960 MB).
#pragma once

#include <string>

#include "core/cuda_library_search.h"

namespace rk {

/**
 * Loads the search's preloaded libraries globally. Returns "" on success, else why not and how
 * to fix it, naming the library, the folders searched and any link-only copy passed over.
 */
std::string preloadCudaLibraries(const CudaLibrarySearch& search);

/** Loads the NVIDIA driver's libcuda.so.1: "" on success, else why not and how to fix it. */
std::string loadCudaDriver();

}  // namespace rk
