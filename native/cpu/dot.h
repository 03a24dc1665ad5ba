// The float32 dot products behind the small-batch recurrent kernel (rnn_infer.cpp): consecutive
// rows of a row-major matrix, each dotted with one vector. Every row's accumulation order is fixed
// by n alone (8-wide lanes in two interleaved sums, then one fixed reduction), however many rows
// a call groups (four at a time share the vector's loads), so a row's dot gives the same bits
// wherever it is computed from: whatever the batch or the thread. The lane code is built for
// AVX2+FMA and for the baseline target, and picked once per process by the CPU it runs on: the
// addon does not require AVX2.
#pragma once

#include <cstdint>

namespace rk::cpu {

/** out[k] = dot(w + k * n, x, n) for k < rows. */
using DotRows = void (*)(const float* w, int64_t rows, const float* x, int64_t n, float* out);

/** The kernel this CPU runs (the same one for the process's whole life). */
DotRows dotRows();

}  // namespace rk::cpu
