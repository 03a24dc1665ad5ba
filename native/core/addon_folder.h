// Where the addon's own shared object lies: the optional modules (CUDA, Gloo) sit beside it.
#pragma once

#include <string>

namespace rk {

/** The folder of rnnkit.node ("." when the loader cannot tell). */
std::string addonFolder();

}  // namespace rk
