// Shapes and strides (both in elements) and the arithmetic every op needs on them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace rk {

using Shape = std::vector<int64_t>;
using Strides = std::vector<int64_t>;

/** Product of the sizes; 1 for a 0-d shape. Shapes are validated, so this cannot overflow. */
int64_t numel(const Shape& shape);

/** Row-major strides for `shape`. */
Strides contiguousStrides(const Shape& shape);

/** "[2, 3]" */
std::string shapeToString(const Shape& shape);

/**
 * NumPy broadcasting: aligns trailing dims; a dim of size 1 stretches. Returns false when the
 * shapes do not fit.
 */
bool broadcastShapes(const Shape& a, const Shape& b, Shape& out);

/** Strides that read `shape`/`strides` as if broadcast to `target` (0 on stretched dims). */
Strides broadcastStrides(const Shape& shape, const Strides& strides, const Shape& target);

/**
 * The strides of a reduction's gradient over x's kept axes, in order: `grad` holds the kept axes,
 * with or without size-1 reduced ones (keepDims).
 */
Strides keptGradStrides(const Strides& gradStrides, size_t xRank, const std::vector<bool>& reduced);

/**
 * Maps a possibly negative axis into [0, rank); throws RK_ARGUMENT
 * "<op>: axis 2 is out of range for a tensor of rank 2".
 */
int64_t normaliseAxis(const char* op, int64_t axis, size_t rank);

/**
 * Checks sizes come from JS as non-negative and that their product and byte size stay sane;
 * throws RK_ARGUMENT naming `op` and `what` otherwise.
 */
void validateShape(const char* op, const char* what, const Shape& shape);

}  // namespace rk
