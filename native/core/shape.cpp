#include "core/shape.h"

#include <algorithm>
#include <sstream>

#include "core/error.h"

namespace rk {

// No storage may hold more than 2^48 elements (1 PiB of float32): far beyond any device, and
// small enough that element offsets and byte sizes never overflow int64.
constexpr int64_t kMaxElements = int64_t(1) << 48;

int64_t numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t size : shape) n *= size;
  return n;
}

Strides contiguousStrides(const Shape& shape) {
  Strides strides(shape.size());
  int64_t stride = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = stride;
    stride *= shape[i];
  }
  return strides;
}

std::string shapeToString(const Shape& shape) {
  std::ostringstream out;
  out << '[';
  for (size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
  out << ']';
  return out.str();
}

bool broadcastShapes(const Shape& a, const Shape& b, Shape& out) {
  size_t rank = std::max(a.size(), b.size());
  out.assign(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1) return false;
    out[i] = da == 1 ? db : da;
  }
  return true;
}

Strides keptGradStrides(const Strides& gradStrides, size_t xRank,
                        const std::vector<bool>& reduced) {
  if (gradStrides.size() != xRank) return gradStrides;
  Strides kept;
  for (size_t d = 0; d < xRank; ++d) {
    if (!reduced[d]) kept.push_back(gradStrides[d]);
  }
  return kept;
}

Strides broadcastStrides(const Shape& shape, const Strides& strides, const Shape& target) {
  Strides out(target.size(), 0);
  size_t lead = target.size() - shape.size();
  for (size_t i = 0; i < shape.size(); ++i) {
    out[lead + i] = shape[i] == target[lead + i] ? strides[i] : 0;
  }
  return out;
}

int64_t normaliseAxis(const char* op, int64_t axis, size_t rank) {
  int64_t r = static_cast<int64_t>(rank);
  if (axis < -r || axis >= r) {
    fail(Error::Code::Argument, op, ": axis ", axis, " is out of range for a tensor of rank ",
         rank);
  }
  return axis < 0 ? axis + r : axis;
}

void validateShape(const char* op, const char* what, const Shape& shape) {
  int64_t n = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] < 0) {
      fail(Error::Code::Argument, op, ": ", what, "[", i, "] = ", shape[i],
           " must be a non-negative integer");
    }
    // Each size is capped too, so strides stay in range even when another size is 0.
    if (shape[i] > kMaxElements || __builtin_mul_overflow(n, shape[i], &n) || n > kMaxElements) {
      fail(Error::Code::Argument, op, ": ", what, " ", shapeToString(shape),
           " has too many elements (at most 2^48)");
    }
  }
}

}  // namespace rk
