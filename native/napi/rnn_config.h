// Unwrapping a JS RnnConfig (lib/binding.ts), shared by the rnn entry points and generate.
#pragma once

#include "napi/addon_api.h"

#include "core/rnn.h"

namespace rk::napi {

/** info[index] as an RnnConfig; RK_ARGUMENT "rnn: config.<field> must be ..." for a bad field. */
RnnConfig configArg(const Napi::CallbackInfo& info, size_t index);

}  // namespace rk::napi
