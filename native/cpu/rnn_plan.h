// The plan of one CPU RNN call: the batch sorted by length (longest first) and the steps cut into
// segments, as a packed sequence is (rnn.cpp's header comment has the scheme).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/rnn.h"

namespace rk::cpu::rnn {

struct Segment {
  int64_t t0, t1;  // steps [t0, t1)
  int64_t rows;    // the `rows` longest sequences (a prefix of the sorted batch)
};

struct Plan {
  bool uniform = true;        // one primitive per layer, no gathering (every length equal, no clip)
  int64_t steps = 0;          // uniform: the common length
  std::vector<int64_t> perm;  // sorted row -> batch row (longest first, stable)
  std::vector<Segment> segments;
};

Plan makePlan(const RnnProblem& p);

/** Rows of segment i that continue into segment i + 1 (the rest end at its last step). */
inline int64_t continuing(const Plan& plan, size_t i) {
  return i + 1 < plan.segments.size() ? plan.segments[i + 1].rows : 0;
}

/** The time step of sequence b that reversed-direction step t reads (identity forward). */
inline int64_t sourceStep(bool reverse, int64_t t, int32_t length) {
  return reverse ? length - 1 - t : t;
}

}  // namespace rk::cpu::rnn
