// The addon's side of the CUDA module: finding rnnkit_cuda.so next to rnnkit.node, loading it
// (after its libraries and the driver), and the per-device backends it makes. Everything here
// degrades to one "unavailable" reason; nothing throws unless a CUDA device is asked for.
#pragma once

#include <optional>
#include <string>

#include "core/cuda_library_search.h"
#include "cuda/module_api.h"

namespace rk {

/** The loaded module's API (loading it on first call), or null: then cudaUnavailableReason(). */
const cuda::ModuleApi* cudaModule();
/** Why CUDA cannot be used: "<what is missing>; to fix: <how>". Empty when it can. */
std::string cudaUnavailableReason();
/** The module's API if an earlier call loaded it, without trying to load it. */
const cuda::ModuleApi* cudaModuleIfLoaded();
/** Visible GPUs (0 when the module is unavailable). */
int cudaDeviceCount();
/**
 * Where the loader finds (or would find) the module's libraries, from the environment now, by
 * the search it loads them with; loads nothing. nullopt in a build without the CUDA module.
 */
std::optional<CudaLibrarySearch> cudaLibrarySearch();

}  // namespace rk
