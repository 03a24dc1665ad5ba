// The Gloo module's one exported symbol: the API table the addon calls through
// (gloo/module_api.h). Gloo's exceptions become RK_DISTRIBUTED here, named by the collective.
#include <gloo/common/error.h>
#include <gloo/config.h>

#include "core/error.h"
#include "gloo/gloo_group.h"

namespace rk::dist {

namespace {

template <class Body>
auto translated(const char* op, Body body) {
  try {
    return body();
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    // gloo::IoException (a lost peer, a timeout), gloo::EnforceNotMet, std::system_error, ...
    fail(Error::Code::Distributed, op, ": ", e.what());
  }
}

const char* describe() {
  static const std::string text = str("Gloo ", GLOO_VERSION_MAJOR, ".", GLOO_VERSION_MINOR, ".",
                                      GLOO_VERSION_PATCH, ", TCP transport");
  return text.c_str();
}

Group* create(const GroupOptions& options) {
  return translated("rendezvous", [&] { return new Group(options); });
}

void destroy(Group* group) noexcept { delete group; }

void allReduce(Group* group, void* data, size_t count, DType dtype, ReduceOp op) {
  translated("allReduce", [&] { group->allReduce(data, count, dtype, op); });
}

void broadcast(Group* group, void* data, size_t bytes, int src) {
  translated("broadcast", [&] { group->broadcast(data, bytes, src); });
}

void allGather(Group* group, const void* in, void* out, size_t bytes) {
  translated("allGather", [&] { group->allGather(in, out, bytes); });
}

void barrier(Group* group) {
  translated("barrier", [&] { group->barrier(); });
}

const ModuleApi kApi{kModuleApiVersion, describe,  create,    destroy,
                     allReduce,         broadcast, allGather, barrier};

}  // namespace

}  // namespace rk::dist

extern "C" __attribute__((visibility("default"))) const rk::dist::ModuleApi* rnnkit_gloo_module(
    int version) {
  return version == rk::dist::kModuleApiVersion ? &rk::dist::kApi : nullptr;
}
