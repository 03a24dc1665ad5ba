// The oneDNN engine and stream the CPU backend uses. Kernels run on the device stream's worker
// thread (and the recurrent layer's directions on two OpenMP threads): one engine, a stream per
// thread.
#pragma once

#include "oneapi/dnnl/dnnl.hpp"

namespace rk::cpu {

dnnl::engine& dnnlEngine();
dnnl::stream& dnnlStream();

}  // namespace rk::cpu
