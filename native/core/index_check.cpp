#include "core/index_check.h"

#include "core/backend.h"

namespace rk {

IndexCheck::IndexCheck(std::string op, std::string arg, Tensor indices, int64_t limit,
                       std::optional<int64_t> ignore, std::optional<std::vector<int32_t>> lengths)
    : bounds_{std::move(op), std::move(arg), limit, ignore, std::move(lengths)},
      indices_(std::move(indices)),
      // A GPU's indices are checked only inside the task, on the device: on the JS thread a read
      // would wait for the whole device queue and block the event loop.
      deferred_(indices_.device.kind != DeviceKind::Cpu || !indices_.storage->ready()) {
  if (!deferred_) run();
}

void IndexCheck::run() const { backendFor(indices_.device).checkIndices(indices_, bounds_); }

}  // namespace rk
