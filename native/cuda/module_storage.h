// The module's link to the addon's storages (see module_storage.cpp).
#pragma once

#include "cuda/module_api.h"

namespace rk::cuda {

/** Called once by the module's entry point, before any backend exists. */
void setHost(const HostApi* host);

}  // namespace rk::cuda
