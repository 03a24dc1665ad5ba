// The Gloo module's one exported symbol: the API table the addon calls through
// (gloo/module_api.h). Gloo's exceptions become RK_DISTRIBUTED here, named by the collective and,
// when a connection broke, by the rank it went to.
#include <gloo/common/error.h>
#include <gloo/config.h>

#include <chrono>
#include <cstdio>

#include "core/error.h"
#include "gloo/gloo_group.h"
#include "gloo/lost_rank.h"

namespace rk::dist {

namespace {

template <class Body>
auto translated(const char* op, Body body) {
  try {
    return body();
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    // gloo::EnforceNotMet, std::system_error, ... (no group yet: the rendezvous)
    fail(Error::Code::Distributed, op, ": ", e.what());
  }
}

/** As translated, naming the rank a lost connection went to and how long the collective ran. */
template <class Body>
void collective(const char* op, const Group& group, Body body) {
  auto started = std::chrono::steady_clock::now();
  try {
    body();
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    // gloo::IoException (a lost peer, a timeout), gloo::EnforceNotMet, ...
    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.1f", elapsed.count());
    fail(Error::Code::Distributed, op, ": ", describeFailure(e.what(), group.peers), " after ",
         seconds, " s");
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
  collective("allReduce", *group, [&] { group->allReduce(data, count, dtype, op); });
}

void broadcast(Group* group, void* data, size_t bytes, int src) {
  collective("broadcast", *group, [&] { group->broadcast(data, bytes, src); });
}

void allGather(Group* group, const void* in, void* out, size_t bytes) {
  collective("allGather", *group, [&] { group->allGather(in, out, bytes); });
}

void barrier(Group* group) {
  collective("barrier", *group, [&] { group->barrier(); });
}

const ModuleApi kApi{kModuleApiVersion, describe,  create,    destroy,
                     allReduce,         broadcast, allGather, barrier};

}  // namespace

}  // namespace rk::dist

extern "C" __attribute__((visibility("default"))) const rk::dist::ModuleApi* rnnkit_gloo_module(
    int version) {
  return version == rk::dist::kModuleApiVersion ? &rk::dist::kApi : nullptr;
}
