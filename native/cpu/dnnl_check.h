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

/** Rethrows a dnnl::error caught from the C++ API as rk::Error with our location. */
#define DNNL_RETHROW(err) ::rk::cpu::failDnnl(__FILE__, __LINE__, (err).status, (err).what())

/** Runs a statement of oneDNN C++ API calls, turning a dnnl::error into rk::Error. */
#define DNNL_CHECK(statement)        \
  do {                               \
    try {                            \
      statement;                     \
    } catch (const dnnl::error& e) { \
      DNNL_RETHROW(e);               \
    }                                \
  } while (0)
