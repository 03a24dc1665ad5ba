#include "gloo/gloo_group.h"

#include <gloo/allgather.h>
#include <gloo/allreduce.h>
#include <gloo/barrier.h>
#include <gloo/broadcast.h>
#include <gloo/math.h>
#include <gloo/rendezvous/file_store.h>
#include <gloo/transport/tcp/device.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <vector>

#include "core/error.h"
#include "gloo/tcp_store.h"

namespace rk::dist {

namespace {

/**
 * Gives every wait and get the group's timeout: Gloo's rendezvous calls the store's wait(keys)
 * (30 s in FileStore) and get() (FileStore's get waits by itself, with that same default).
 */
class TimedStore : public gloo::rendezvous::Store {
 public:
  TimedStore(std::unique_ptr<gloo::rendezvous::Store> inner, std::chrono::milliseconds timeout)
      : inner_(std::move(inner)), timeout_(timeout) {}

  void set(const std::string& key, const std::vector<char>& data) override {
    inner_->set(key, data);
  }
  std::vector<char> get(const std::string& key) override {
    inner_->wait({key}, timeout_);
    return inner_->get(key);
  }
  void wait(const std::vector<std::string>& keys) override { inner_->wait(keys, timeout_); }
  void wait(const std::vector<std::string>& keys,
            const std::chrono::milliseconds& timeout) override {
    inner_->wait(keys, timeout);
  }

 private:
  std::unique_ptr<gloo::rendezvous::Store> inner_;
  std::chrono::milliseconds timeout_;
};

std::unique_ptr<gloo::rendezvous::Store> makeStore(const StoreSpec& spec,
                                                   std::chrono::milliseconds timeout) {
  std::unique_ptr<gloo::rendezvous::Store> store;
  if (spec.kind == StoreSpec::Kind::File) {
    store = std::make_unique<gloo::rendezvous::FileStore>(spec.path);
  } else {
    store = std::make_unique<TcpStore>(spec.host, spec.port, timeout);
  }
  return std::make_unique<TimedStore>(std::move(store), timeout);
}

template <class T>
gloo::AllreduceOptions::Func reduceFunction(ReduceOp op) {
  using Fn = void (*)(void*, const void*, const void*, size_t);
  if (op == ReduceOp::Max) return static_cast<Fn>(&gloo::max<T>);
  if (op == ReduceOp::Min) return static_cast<Fn>(&gloo::min<T>);
  return static_cast<Fn>(&gloo::sum<T>);
}

template <class T>
void allReduceAs(const std::shared_ptr<gloo::Context>& context, T* data, size_t count,
                 ReduceOp op) {
  gloo::AllreduceOptions opts(context);
  opts.setOutput(data, count);
  opts.setReduceFunction(reduceFunction<T>(op));
  gloo::allreduce(opts);
}

}  // namespace

Group::Group(const GroupOptions& options) : rank(options.rank), worldSize(options.worldSize) {
  std::chrono::milliseconds timeout(options.timeoutMs);
  gloo::transport::tcp::attr attr;
  if (!options.iface.empty()) {
    attr.iface = options.iface;
  } else {
    attr.hostname = options.hostname;
  }
  device = gloo::transport::tcp::CreateDevice(attr);
  context = std::make_shared<gloo::rendezvous::Context>(rank, worldSize);
  context->setTimeout(timeout);
  std::unique_ptr<gloo::rendezvous::Store> store = makeStore(options.store, timeout);
  context->connectFullMesh(*store, device);
  // This rank's own key: what connectFullMesh published for its pairs (nothing when alone).
  if (worldSize > 1) peers = peerAddresses(context, store->get(std::to_string(rank)));
}

void Group::agree(Collective op, int64_t dtype, int64_t count, int64_t param) {
  static constexpr const char* kNames[] = {"?", "allReduce", "broadcast", "allGather", "barrier"};
  std::array<int64_t, 4> mine{static_cast<int64_t>(op), dtype, count, param};
  std::vector<int64_t> all(mine.size() * static_cast<size_t>(worldSize));
  gloo::AllgatherOptions opts(context);
  opts.setInput(mine.data(), mine.size());
  opts.setOutput(all.data(), all.size());
  gloo::allgather(opts);
  for (int r = 0; r < worldSize; ++r) {
    const int64_t* theirs = &all[static_cast<size_t>(r) * mine.size()];
    if (std::equal(mine.begin(), mine.end(), theirs)) continue;
    auto describe = [&](const int64_t* call) {
      int64_t kind = call[0] >= 1 && call[0] <= 4 ? call[0] : 0;
      return str(kNames[kind], "(dtype ", call[1], ", ", call[2], " elements, param ", call[3],
                 ")");
    };
    fail(Error::Code::Distributed, kNames[mine[0]], ": ranks disagree: rank ", rank, " calls ",
         describe(mine.data()), " but rank ", r, " calls ", describe(theirs),
         "; every rank must run the same collectives on tensors of the same size and dtype");
  }
}

void Group::allReduce(void* data, size_t count, DType dtype, ReduceOp op) {
  agree(Collective::AllReduce, static_cast<int64_t>(dtype), static_cast<int64_t>(count),
        static_cast<int64_t>(op));
  if (dtype == DType::Int32) {
    allReduceAs(context, static_cast<int32_t*>(data), count, op);
    return;
  }
  auto* values = static_cast<float*>(data);
  allReduceAs(context, values, count, op);
  if (op == ReduceOp::Mean) {
    auto n = static_cast<float>(worldSize);
    for (size_t i = 0; i < count; ++i) values[i] /= n;
  }
}

void Group::broadcast(void* data, size_t bytes, int src) {
  agree(Collective::Broadcast, 0, static_cast<int64_t>(bytes), src);
  gloo::BroadcastOptions opts(context);
  opts.setOutput(static_cast<char*>(data), bytes);
  opts.setRoot(src);
  gloo::broadcast(opts);
}

void Group::allGather(const void* in, void* out, size_t bytes) {
  agree(Collective::AllGather, 0, static_cast<int64_t>(bytes), 0);
  gloo::AllgatherOptions opts(context);
  opts.setInput(const_cast<char*>(static_cast<const char*>(in)), bytes);
  opts.setOutput(static_cast<char*>(out), bytes * static_cast<size_t>(worldSize));
  gloo::allgather(opts);
}

void Group::barrier() {
  agree(Collective::Barrier, 0, 0, 0);
  gloo::BarrierOptions opts(context);
  gloo::barrier(opts);
}

}  // namespace rk::dist
