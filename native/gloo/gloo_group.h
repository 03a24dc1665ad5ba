// A Gloo process group: rendezvous through a store, a full mesh of TCP pairs, and the
// collectives the addon queues on the CPU stream. Errors are rk::Error; gloo's own exceptions are
// translated by module_entry.cpp.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <gloo/rendezvous/context.h>
#include <gloo/transport/device.h>

#include "gloo/lost_rank.h"
#include "gloo/module_api.h"

namespace rk::dist {

struct Group {
  explicit Group(const GroupOptions& options);

  void allReduce(void* data, size_t count, DType dtype, ReduceOp op);
  void broadcast(void* data, size_t bytes, int src);
  void allGather(const void* in, void* out, size_t bytes);
  void barrier();

  int rank;
  int worldSize;
  std::shared_ptr<gloo::transport::Device> device;
  std::shared_ptr<gloo::rendezvous::Context> context;
  /** Where the connection to each rank goes (lost_rank.h), to name a rank that is gone. */
  std::vector<std::vector<PeerAddress>> peers;

 private:
  /**
   * Every rank tells the others which collective it is about to run and on how much data, and
   * all fail alike (RK_DISTRIBUTED) when one differs: Gloo itself would mis-pair the buffers and
   * hang until the timeout, or abort the process on a size mismatch.
   */
  enum class Collective : int64_t { AllReduce = 1, Broadcast, AllGather, Barrier };
  void agree(Collective op, int64_t dtype, int64_t count, int64_t param);
};

}  // namespace rk::dist
