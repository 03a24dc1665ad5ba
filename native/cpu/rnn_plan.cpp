// makePlan: sorts the batch by length and cuts the steps into segments (rnn_plan.h).
#include "cpu/rnn_plan.h"

#include <algorithm>
#include <numeric>

namespace rk::cpu::rnn {

Plan makePlan(const RnnProblem& p) {
  Plan plan;
  const std::vector<int32_t>& len = p.lengths;
  // The clipped LSTM cell runs one direction at a time: segments (one, for equal lengths).
  plan.uniform = p.config.cellClip == 0 &&
                 std::all_of(len.begin(), len.end(), [&](int32_t l) { return l == len[0]; });
  plan.perm.resize(len.size());
  std::iota(plan.perm.begin(), plan.perm.end(), 0);
  if (plan.uniform) {
    plan.steps = len[0];
    plan.segments.push_back({0, plan.steps, p.batch});
    return plan;
  }
  std::stable_sort(plan.perm.begin(), plan.perm.end(),
                   [&](int64_t a, int64_t b) { return len[a] > len[b]; });
  std::vector<int32_t> distinct(len.begin(), len.end());
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  int64_t t0 = 0;
  for (int32_t end : distinct) {
    int64_t rows = std::count_if(len.begin(), len.end(), [&](int32_t l) { return l >= end; });
    plan.segments.push_back({t0, end, rows});
    t0 = end;
  }
  return plan;
}

}  // namespace rk::cpu::rnn
