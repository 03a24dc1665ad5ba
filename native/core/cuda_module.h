// The addon's side of the CUDA module: finding rnnkit_cuda.so next to rnnkit.node, loading it
// (after its libraries and the driver), and the per-device backends it makes. Everything here
// degrades to one "unavailable" reason; nothing throws unless a CUDA device is asked for.
#pragma once

#include <string>

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

}  // namespace rk
