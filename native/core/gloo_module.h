// The addon's side of the Gloo module: loading rnnkit_gloo.so from beside rnnkit.node on first
// use. Degrades to one "unavailable" reason; nothing throws until a process group is asked for.
#pragma once

#include <string>

#include "gloo/module_api.h"

namespace rk {

/** The loaded module's API (loading it on first call), or null: then glooUnavailableReason(). */
const dist::ModuleApi* glooModule();
/** Why Gloo cannot be used: "<what is missing>; to fix: <how>". Empty when it can. */
std::string glooUnavailableReason();

}  // namespace rk
