// A Gloo process group as the addon sees it, and its collectives on CPU tensors. Each collective
// validates on the JS thread (RK_DEVICE, RK_DTYPE, RK_SHAPE, naming the op and the argument), then
// runs at its place in the CPU stream and reports through a Completion: a timeout, a lost peer or
// ranks that disagree arrive there as RK_DISTRIBUTED, never as a hang or a crash.
#pragma once

#include <memory>
#include <string>

#include "core/ops.h"
#include "core/tensor.h"
#include "gloo/module_api.h"

namespace rk {

class ProcessGroup {
 public:
  /**
   * Queues the rendezvous (which blocks the CPU stream until every rank came, or the timeout) and
   * returns the group at once; `done` gets the rendezvous' failure. RK_DEVICE now when this build
   * or machine has no Gloo; RK_ARGUMENT for bad options.
   */
  static std::shared_ptr<ProcessGroup> create(const dist::GroupOptions& options,
                                              ops::Completion done);
  ~ProcessGroup();  // leaves the group: peers still inside a collective get RK_DISTRIBUTED
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  int rank() const { return rank_; }
  int worldSize() const { return worldSize_; }

  /** In place; Mean is float32 only. */
  static void allReduce(std::shared_ptr<ProcessGroup> self, const Tensor& t, dist::ReduceOp op,
                        ops::Completion done);
  static void broadcast(std::shared_ptr<ProcessGroup> self, const Tensor& t, int64_t src,
                        ops::Completion done);
  /** Returns [worldSize, ...t.shape], rank r's tensor at index r. */
  static Tensor allGather(std::shared_ptr<ProcessGroup> self, const Tensor& t,
                          ops::Completion done);
  static void barrier(std::shared_ptr<ProcessGroup> self, ops::Completion done);

 private:
  ProcessGroup(const dist::ModuleApi* api, int rank, int worldSize)
      : api_(api), rank_(rank), worldSize_(worldSize) {}

  /** Queues `body(group)` on the CPU stream under `op`, holding `self` until it has run. */
  static void queue(std::shared_ptr<ProcessGroup> self, const char* op,
                    std::vector<std::shared_ptr<Storage>> written,
                    std::function<void(const dist::ModuleApi&, dist::Group*)> body,
                    ops::Completion done);

  const dist::ModuleApi* api_;
  int rank_;
  int worldSize_;
  // Set and read on the CPU stream's worker only (the rendezvous task, then each collective).
  dist::Group* group_ = nullptr;
  std::string rendezvousFailure_ =
      "its rendezvous did not run (an earlier op failed on the cpu stream)";
};

}  // namespace rk
