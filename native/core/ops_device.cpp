// Copies between devices. The source's stream stages t's elements in host memory; the target's
// stream waits for that staging and uploads. Staging tasks never wait on anything, so two streams
// copying to each other cannot deadlock.
#include <future>
#include <vector>

#include "core/backend.h"
#include "core/op_support.h"
#include "core/ops.h"
#include "core/stream.h"

namespace rk::ops {

Tensor toDevice(const Tensor& t, Device device) {
  if (t.device == device) return contiguous(t);
  Tensor out = emptyTensor(device, t.dtype, t.shape);
  Backend& source = backendFor(t.device);
  Backend& target = backendFor(device);
  auto staged = std::make_shared<std::vector<uint32_t>>(static_cast<size_t>(t.numel()));
  auto ready = std::make_shared<std::promise<void>>();
  std::shared_future<void> done = ready->get_future().share();
  // No outputs: the staging buffer is the task's own. A failure is handed to the target's task,
  // which then poisons the target stream (the source stream stays clean).
  streamFor(t.device).submit("toDevice", {}, [&source, t, staged, ready] {
    try {
      source.download(t, staged->data());
      ready->set_value();
    } catch (...) {
      ready->set_exception(std::current_exception());
    }
  });
  launch("toDevice", {&out}, [&target, out, staged, done] {
    done.get();
    target.upload(out, staged->data());
  });
  return out;
}

}  // namespace rk::ops
