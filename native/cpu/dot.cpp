#include "cpu/dot.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

namespace rk::cpu {

namespace {

// Both builds compute each row's sum in the same order: lane l of sum s0 takes elements
// 16j + l, of s1 16j + 8 + l; a last full 8 goes to s0, the last n % 8 elements to s1's first
// lanes; then s0 + s1 and its lanes pairwise (l + 4, l + 2, l + 1). The AVX2 build rounds once
// per multiply-add (FMA), the portable one twice.
constexpr int kLanes = 8;

#if defined(__x86_64__) && defined(__GNUC__)
#define RK_AVX2 __attribute__((target("avx2,fma")))

RK_AVX2 inline float horizontal(__m256 s) {
  __m128 q = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  q = _mm_add_ps(q, _mm_movehl_ps(q, q));
  q = _mm_add_ss(q, _mm_shuffle_ps(q, q, 1));
  return _mm_cvtss_f32(q);
}

/** R rows at once: each x chunk is loaded once for all of them. */
template <int R>
RK_AVX2 inline void rowsAvx2(const float* w, const float* x, int64_t n, float* out) {
  __m256 s0[R], s1[R];
  for (int k = 0; k < R; ++k) s0[k] = s1[k] = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 2 * kLanes <= n; i += 2 * kLanes) {
    __m256 xa = _mm256_loadu_ps(x + i), xb = _mm256_loadu_ps(x + i + kLanes);
    for (int k = 0; k < R; ++k) {
      s0[k] = _mm256_fmadd_ps(_mm256_loadu_ps(w + k * n + i), xa, s0[k]);
      s1[k] = _mm256_fmadd_ps(_mm256_loadu_ps(w + k * n + i + kLanes), xb, s1[k]);
    }
  }
  if (i + kLanes <= n) {
    __m256 xa = _mm256_loadu_ps(x + i);
    for (int k = 0; k < R; ++k) s0[k] = _mm256_fmadd_ps(_mm256_loadu_ps(w + k * n + i), xa, s0[k]);
    i += kLanes;
  }
  if (i < n) {
    alignas(32) static const int32_t ramp[kLanes] = {0, 1, 2, 3, 4, 5, 6, 7};
    __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int32_t>(n - i)),
                                      _mm256_load_si256(reinterpret_cast<const __m256i*>(ramp)));
    __m256 xa = _mm256_maskload_ps(x + i, mask);
    for (int k = 0; k < R; ++k) {
      s1[k] = _mm256_fmadd_ps(_mm256_maskload_ps(w + k * n + i, mask), xa, s1[k]);
    }
  }
  for (int k = 0; k < R; ++k) out[k] = horizontal(_mm256_add_ps(s0[k], s1[k]));
}

RK_AVX2 void dotRowsAvx2(const float* w, int64_t rows, const float* x, int64_t n, float* out) {
  int64_t r = 0;
  for (; r + 4 <= rows; r += 4) rowsAvx2<4>(w + r * n, x, n, out + r);
  for (; r < rows; ++r) rowsAvx2<1>(w + r * n, x, n, out + r);
}
#endif

/** The same order in plain C++ (vectorised for whatever the baseline target has). */
float rowPortable(const float* w, const float* x, int64_t n) {
  float s0[kLanes] = {}, s1[kLanes] = {};
  int64_t i = 0;
  for (; i + 2 * kLanes <= n; i += 2 * kLanes) {
    for (int l = 0; l < kLanes; ++l) {
      s0[l] += w[i + l] * x[i + l];
      s1[l] += w[i + kLanes + l] * x[i + kLanes + l];
    }
  }
  if (i + kLanes <= n) {
    for (int l = 0; l < kLanes; ++l) s0[l] += w[i + l] * x[i + l];
    i += kLanes;
  }
  for (int l = 0; i + l < n; ++l) s1[l] += w[i + l] * x[i + l];
  float v[kLanes];
  for (int l = 0; l < kLanes; ++l) v[l] = s0[l] + s1[l];
  for (int l = 0; l < 4; ++l) v[l] += v[l + 4];
  for (int l = 0; l < 2; ++l) v[l] += v[l + 2];
  return v[0] + v[1];
}

void dotRowsPortable(const float* w, int64_t rows, const float* x, int64_t n, float* out) {
  for (int64_t r = 0; r < rows; ++r) out[r] = rowPortable(w + r * n, x, n);
}

DotRows pick() {
#if defined(__x86_64__) && defined(__GNUC__)
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return dotRowsAvx2;
#endif
  return dotRowsPortable;
}

}  // namespace

DotRows dotRows() {
  static const DotRows chosen = pick();
  return chosen;
}

}  // namespace rk::cpu
