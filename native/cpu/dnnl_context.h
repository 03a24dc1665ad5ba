// The oneDNN engine and stream the CPU backend uses. Kernels run on the device stream's worker
// thread only, so one engine/stream pair serves them all.
#pragma once

#include "oneapi/dnnl/dnnl.hpp"

namespace rk::cpu {

dnnl::engine& dnnlEngine();
dnnl::stream& dnnlStream();

}  // namespace rk::cpu
