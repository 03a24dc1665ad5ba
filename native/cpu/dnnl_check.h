// Turning oneDNN failures into rk::Error(RK_BACKEND) with the status text and our file:line.
#pragma once

#include "core/error.h"
#include "oneapi/dnnl/dnnl.hpp"
#include "oneapi/dnnl/dnnl_debug.h"

namespace rk::cpu {

[[noreturn]] inline void failDnnl(const char* file, int line, dnnl_status_t status,
                                  const char* what) {
  failBackend(file, line, str("oneDNN ", dnnl_status2str(status), ": ", what));
}

}  // namespace rk::cpu

/** Checks a oneDNN C API status. */
#define DNNL_CHECK(expr)                                                              \
  do {                                                                                \
    dnnl_status_t status_ = (expr);                                                   \
    if (status_ != dnnl_success) ::rk::cpu::failDnnl(__FILE__, __LINE__, status_, #expr); \
  } while (0)

/** Rethrows a dnnl::error caught from the C++ API with our location. */
#define DNNL_RETHROW(err) ::rk::cpu::failDnnl(__FILE__, __LINE__, (err).status, (err).what())
