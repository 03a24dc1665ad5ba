#include "core/index_check.h"

#include <sstream>
#include <vector>

#include "core/backend.h"
#include "core/error.h"

namespace rk {

IndexCheck::IndexCheck(std::string op, std::string arg, Tensor indices, int64_t limit,
                       std::optional<int64_t> ignore, std::optional<std::vector<int32_t>> lengths)
    : op_(std::move(op)),
      arg_(std::move(arg)),
      indices_(std::move(indices)),
      limit_(limit),
      ignore_(ignore),
      lengths_(std::move(lengths)),
      // A GPU's indices are read back only inside the task: on the JS thread the read would wait
      // for the whole device queue and block the event loop.
      deferred_(indices_.device.kind != DeviceKind::Cpu || !indices_.storage->ready()) {
  if (!deferred_) run();
}

static std::string positionOf(int64_t flat, const Shape& shape) {
  if (shape.empty()) return "";
  Shape position(shape.size());
  for (size_t i = shape.size(); i-- > 0;) {
    position[i] = flat % shape[i];
    flat /= shape[i];
  }
  return shapeToString(position);
}

void IndexCheck::run() const {
  std::vector<int32_t> values(static_cast<size_t>(indices_.numel()));
  backendFor(indices_.device).download(indices_, values.data());
  for (size_t i = 0; i < values.size(); ++i) {
    int64_t v = values[i];
    if ((v >= 0 && v < limit_) || (ignore_ && v == *ignore_)) continue;
    if (lengths_) {
      // indices are [B, T] (the op checked that): past its sequence's end, a position is padding.
      int64_t time = indices_.shape[1];
      int64_t b = static_cast<int64_t>(i) / time, t = static_cast<int64_t>(i) % time;
      if (t >= (*lengths_)[static_cast<size_t>(b)]) continue;
    }
    std::ostringstream message;
    message << op_ << ": " << arg_ << positionOf(static_cast<int64_t>(i), indices_.shape) << " = "
            << v << " is out of range [0, " << limit_ << ")";
    if (ignore_) message << " and is not ignoreIndex (" << *ignore_ << ")";
    throw Error(Error::Code::Index, message.str());
  }
}

}  // namespace rk
