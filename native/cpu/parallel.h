// When a CPU op spreads over the OpenMP threads: one rule for every loop in native/cpu and every
// oneDNN call. With OMP_WAIT_POLICY=passive (lib/native.ts) the other threads sleep between
// parallel regions, and every region pays for waking them, so an op goes parallel only from a
// work that pays for that; below it, 2 threads cost what 1 does.
#pragma once

#include <omp.h>

#include <cstdint>

namespace rk::cpu {

/**
 * Work, in element-operations (one element of an elementwise loop, ~0.4 ns on one core here),
 * from which an op goes parallel. Measured on this 2-core machine (passive wait, median of 200
 * runs, c = a + b over n floats, serial vs 2 threads): n = 2^15 15 vs 23 us, 2^16 28 vs 36,
 * 2^17 60 vs 71, 2^18 109 vs 122; waking the second thread costs 4-11 us on an idle core and
 * 20-40 us when the other core is busy. A region pays when its serial time is over ~2x the wake
 * cost, ~2^18 element-operations (the old 2^15 went parallel ~8x too early).
 */
constexpr int64_t kParallelWork = int64_t{1} << 18;

/**
 * Multiply-adds per element-operation: of our dot products (rnn_infer.cpp: 2^20 a step is its
 * measured break-even), and of oneDNN's blocked GEMMs (matmul [64,256]x[256,256], 4.2e6, takes
 * 57-70 us on one thread). Measured matmuls, 2 threads vs guarded to one (median, us):
 * [1,128]x[128,4] 7.7 vs 6.2; [1,256]x[256,80] 21-27 vs 12-14; [16,256]x[256,256] 40 vs 30;
 * [256,512]x[512,512] 606-641 vs 916-931 (the other core busy: 2^23-2^25 were still even).
 */
constexpr int64_t kMultiplyAddsPerWork = 4;
constexpr int64_t kGemmMultiplyAddsPerWork = 16;

/** Whether `work` element-operations pay for waking the other threads. */
inline bool worthThreads(int64_t work) { return work >= kParallelWork; }

/**
 * Keeps oneDNN serial on the calling thread while alive, when `work` does not pay for threads.
 * With the OpenMP runtime, oneDNN sizes its parallel regions by omp_get_max_threads() of the
 * calling thread when it makes a primitive and when it runs one (its primitive cache keys on
 * that count), so the guard must span both.
 */
class ThreadsFor {
 public:
  explicit ThreadsFor(int64_t work) : saved_(omp_get_max_threads()) {
    if (!worthThreads(work)) omp_set_num_threads(1);
  }
  ~ThreadsFor() { omp_set_num_threads(saved_); }
  ThreadsFor(const ThreadsFor&) = delete;
  ThreadsFor& operator=(const ThreadsFor&) = delete;

 private:
  int saved_;
};

}  // namespace rk::cpu
