// Reads, syncs and the fault-injection hook: the stream's only ways back to the caller.
#include "core/backend.h"
#include "core/op_support.h"
#include "core/ops.h"
#include "core/stream.h"

namespace rk::ops {

bool complete(Device device, const char* op, int64_t work, std::function<void()> body,
              Completion done, std::vector<std::shared_ptr<Storage>> written) {
  Stream& stream = streamFor(device);
  Backend& backend = backendFor(device);
  auto task = [&stream, &backend, op, body = std::move(body), done = std::move(done)] {
    std::optional<Error> failure = stream.takePoison();
    try {
      // Taken even behind a poison, which is reported instead: like a second poison, a failure
      // recorded in the same stretch of work is dropped, not left to fail a later read.
      std::optional<Error> recorded = backend.takeDeviceFailure();
      if (!failure) failure = std::move(recorded);
      if (!failure) body();
    } catch (...) {
      if (!failure) failure = currentExceptionAsError(op);
    }
    done(std::move(failure));
  };
  if (inlineEligible(device, work) && stream.runIfIdle(op, task)) return true;
  stream.submit(op, std::move(written), std::move(task));
  return false;
}

bool read(const Tensor& t, void* host, Completion done) {
  Backend& backend = backendFor(t.device);
  return complete(
      t.device, "read", t.numel(), [&backend, t, host] { backend.download(t, host); },
      std::move(done));
}

bool sync(Device device, Completion done) {
  Backend& backend = backendFor(device);
  return complete(
      device, "sync", 0, [&backend] { backend.synchronize(); }, std::move(done));
}

void injectFault(Device device, const std::string& message) {
  streamFor(device).submit("injectFault", {},
                           [message] { throw Error(Error::Code::Backend, message); });
}

}  // namespace rk::ops
