#include "cpu/dnnl_context.h"

namespace rk::cpu {

dnnl::engine& dnnlEngine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& dnnlStream() {
  // One per thread: the two directions of a layer may run on two threads (rnn.cpp).
  thread_local dnnl::stream stream(dnnlEngine());
  return stream;
}

}  // namespace rk::cpu
