#include "core/index_bounds.h"

#include <sstream>

namespace rk {

bool IndexBounds::allows(const Shape& shape, int64_t flat, int64_t value) const {
  if ((value >= 0 && value < limit) || (ignore && value == *ignore)) return true;
  if (!lengths) return false;
  // indices are [B, T] (the op checked that): past its sequence's end, a position is padding.
  int64_t time = shape[1];
  return flat % time >= (*lengths)[static_cast<size_t>(flat / time)];
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

Error IndexBounds::error(const Shape& shape, int64_t flat, int64_t value) const {
  std::ostringstream message;
  message << op << ": " << arg << positionOf(flat, shape) << " = " << value
          << " is out of range [0, " << limit << ")";
  if (ignore) message << " and is not ignoreIndex (" << *ignore << ")";
  return Error(Error::Code::Index, message.str());
}

void IndexBounds::check(const Shape& shape, const int32_t* values) const {
  for (int64_t i = 0, n = numel(shape); i < n; ++i) {
    if (!allows(shape, i, values[i])) throw error(shape, i, values[i]);
  }
}

}  // namespace rk
