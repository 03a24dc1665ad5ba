#include "core/process_group.h"

#include "core/gloo_module.h"
#include "core/op_support.h"

namespace rk {

namespace {

constexpr Device kCpu{};

/** A contiguous CPU tensor: Gloo sends and receives flat host buffers. */
void requireCollectiveTensor(const char* op, const Tensor& t) {
  if (t.device.kind != DeviceKind::Cpu) {
    fail(Error::Code::Device, op, ": t must be on the cpu device (Gloo reduces host memory), got ",
         deviceName(t.device), "; copy it with toDevice('cpu') first");
  }
  if (!t.isContiguous()) {
    fail(Error::Code::Shape, op, ": t must be contiguous, got shape ", shapeToString(t.shape),
         " with strides ", shapeToString(t.strides), "; call contiguous() first");
  }
}

char* bytesOf(const Tensor& t) {
  return static_cast<char*>(t.storage->data()) +
         t.offset * static_cast<int64_t>(dtypeSize(t.dtype));
}

size_t byteSize(const Tensor& t) { return static_cast<size_t>(t.numel()) * dtypeSize(t.dtype); }

}  // namespace

std::shared_ptr<ProcessGroup> ProcessGroup::create(const dist::GroupOptions& options,
                                                   ops::Completion done) {
  const char* op = "glooCreate";
  if (options.worldSize < 1) {
    fail(Error::Code::Argument, op, ": worldSize must be at least 1, got ", options.worldSize);
  }
  if (options.rank < 0 || options.rank >= options.worldSize) {
    fail(Error::Code::Argument, op, ": rank must be in [0, ", options.worldSize - 1, "], got ",
         options.rank);
  }
  if (options.timeoutMs <= 0) {
    fail(Error::Code::Argument, op, ": timeoutMs must be positive, got ", options.timeoutMs);
  }
  const dist::ModuleApi* api = glooModule();
  if (!api) fail(Error::Code::Device, op, ": Gloo is not available: ", glooUnavailableReason());
  std::shared_ptr<ProcessGroup> self(new ProcessGroup(api, options.rank, options.worldSize));
  ops::complete(
      kCpu, op, kLongWork,
      [self, options] {
        try {
          self->group_ = self->api_->create(options);
        } catch (const Error& e) {
          self->rendezvousFailure_ = e.message();
          throw;
        }
      },
      std::move(done));
  return self;
}

ProcessGroup::~ProcessGroup() {
  if (group_) api_->destroy(group_);
}

void ProcessGroup::queue(std::shared_ptr<ProcessGroup> self, const char* op,
                         std::vector<std::shared_ptr<Storage>> written,
                         std::function<void(const dist::ModuleApi&, dist::Group*)> body,
                         ops::Completion done) {
  ops::complete(
      kCpu, op, kLongWork,
      [self, op, body = std::move(body)] {
        if (!self->group_) {
          fail(Error::Code::Distributed, op,
               ": the process group never connected: ", self->rendezvousFailure_);
        }
        body(*self->api_, self->group_);
      },
      std::move(done), std::move(written));
}

void ProcessGroup::allReduce(std::shared_ptr<ProcessGroup> self, const Tensor& t, dist::ReduceOp op,
                             ops::Completion done) {
  requireCollectiveTensor("allReduce", t);
  if (op == dist::ReduceOp::Mean) requireDType("allReduce (op 'mean')", {"t", t}, DType::Float32);
  queue(
      std::move(self), "allReduce", {t.storage},
      [t, op](const dist::ModuleApi& api, dist::Group* group) {
        api.allReduce(group, bytesOf(t), static_cast<size_t>(t.numel()), t.dtype, op);
      },
      std::move(done));
}

void ProcessGroup::broadcast(std::shared_ptr<ProcessGroup> self, const Tensor& t, int64_t src,
                             ops::Completion done) {
  requireCollectiveTensor("broadcast", t);
  if (src < 0 || src >= self->worldSize_) {
    fail(Error::Code::Argument, "broadcast: src must be a rank in [0, ", self->worldSize_ - 1,
         "], got ", src);
  }
  queue(
      std::move(self), "broadcast", {t.storage},
      [t, src](const dist::ModuleApi& api, dist::Group* group) {
        api.broadcast(group, bytesOf(t), byteSize(t), static_cast<int>(src));
      },
      std::move(done));
}

Tensor ProcessGroup::allGather(std::shared_ptr<ProcessGroup> self, const Tensor& t,
                               ops::Completion done) {
  requireCollectiveTensor("allGather", t);
  Shape shape{self->worldSize_};
  shape.insert(shape.end(), t.shape.begin(), t.shape.end());
  Tensor out = emptyTensor(kCpu, t.dtype, shape);
  queue(
      std::move(self), "allGather", {out.storage},
      [t, out](const dist::ModuleApi& api, dist::Group* group) {
        api.allGather(group, bytesOf(t), bytesOf(out), byteSize(t));
      },
      std::move(done));
  return out;
}

void ProcessGroup::barrier(std::shared_ptr<ProcessGroup> self, ops::Completion done) {
  queue(
      std::move(self), "barrier", {},
      [](const dist::ModuleApi& api, dist::Group* group) { api.barrier(group); }, std::move(done));
}

}  // namespace rk
