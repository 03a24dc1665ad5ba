#include "cpu/lstm_clip_cell.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "cpu/dnnl_check.h"
#include "cpu/parallel.h"
#include "oneapi/dnnl/dnnl.h"

namespace rk::cpu {

namespace {

/** Row-major C[M, N] = alpha op(A) op(B) + beta C through oneDNN's sgemm ('N' / 'T'). */
void gemm(char ta, char tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  const ThreadsFor threads(m * n * k / kGemmMultiplyAddsPerWork);
  dnnl_status_t status = dnnl_sgemm(ta, tb, m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc);
  if (status != dnnl_success)
    failDnnl(__FILE__, __LINE__, status, "dnnl_sgemm in the clipped LSTM cell");
}

/** Runs f(j, u) for j < rows, u < hidden; on OpenMP threads when the step is large enough. */
template <class F>
void forUnits(int64_t rows, int64_t hidden, F f) {
  bool parallel = worthThreads(rows * hidden * 4);
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t j = 0; j < rows; ++j) {
    for (int64_t u = 0; u < hidden; ++u) f(j, u);
  }
}

inline float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }
/** x clamped to [-clip, clip]; NaN passes (std::max / std::min return their first argument). */
inline float clipped(float x, float clip) { return std::min(std::max(x, -clip), clip); }
/** clipped's derivative: 1 inside [-clip, clip] (ends included) and for NaN (it passes), else 0. */
inline float clipSlope(float x, float clip) { return x < -clip || x > clip ? 0.0f : 1.0f; }
/** tanh through expf: a few times faster than tanhf, within ~2e-7 absolute (±1 at the ends). */
inline float tanhOf(float x) { return 2.0f / (1.0f + std::exp(-2.0f * x)) - 1.0f; }

/** The forward's saved arrays inside its workspace. */
struct Workspace {
  float* gates;  // [T, N, 4H]: i, f, g, o after their activations
  float* c;      // [T, N, H]: the cell state as stored, not clipped
  float* tanhC;  // [T, N, H]: tanh(clip(c))
  float* hRaw;   // [T, N, H]: o ⊙ tanh(clip(c)) before the projection (projection only)

  Workspace(const LstmClipShape& s, float* base) {
    int64_t tn = s.steps * s.rows, h = s.hidden;
    gates = base;
    c = gates + tn * 4 * h;
    tanhC = c + tn * h;
    hRaw = s.projection ? tanhC + tn * h : nullptr;
  }
};

}  // namespace

int64_t lstmClipWorkspaceSize(const LstmClipShape& s) {
  return s.steps * s.rows * s.hidden * (s.projection ? 7 : 6);
}

int64_t lstmClipScratchSize(const LstmClipShape& s) {
  int64_t tn = s.steps * s.rows;
  // dGates [T, N, 4H], dh [T, N, hOut] (one step's without projection), dh before the
  // projection [N, H], dh_{t-1} [N, hOut], dc_{t-1} [N, H], ones [T*N].
  return tn * 4 * s.hidden + (s.projection ? tn : s.rows) * s.out + 2 * s.rows * s.hidden +
         s.rows * s.out + tn;
}

void lstmClipForward(const LstmClipShape& s, const LstmClipWeights& w, const LstmClipForwardIo& io,
                     float* workspace) {
  const int64_t T = s.steps, N = s.rows, C = s.input, H = s.hidden, P = s.out, G = 4 * H;
  const float clip = s.clip;
  Workspace ws(s, workspace);
  std::vector<float> bias(static_cast<size_t>(G), 0.0f);
  if (w.biasIh) {
    for (int64_t i = 0; i < G; ++i) bias[i] = w.biasIh[i] + w.biasHh[i];
  }
  // The input's share of every step at once: gates = x W_ih^T.
  gemm('N', 'T', T * N, G, C, io.srcLayer, C, w.weightIh, C, 0.0f, ws.gates, G);
  for (int64_t t = 0; t < T; ++t) {
    const float* hPrev = t == 0 ? io.srcIter : io.dstLayer + (t - 1) * N * P;
    const float* cPrev = t == 0 ? io.srcIterC : ws.c + (t - 1) * N * H;
    float* gates = ws.gates + t * N * G;
    gemm('N', 'T', N, G, P, hPrev, P, w.weightHh, P, 1.0f, gates, G);
    float* c = ws.c + t * N * H;
    float* tanhC = ws.tanhC + t * N * H;
    float* h = s.projection ? ws.hRaw + t * N * H : io.dstLayer + t * N * P;
    forUnits(N, H, [&](int64_t j, int64_t u) {
      float* g = gates + j * G;
      float gi = sigmoid(g[u] + bias[u]);
      float gf = sigmoid(g[H + u] + bias[H + u]);
      float gg = tanhOf(g[2 * H + u] + bias[2 * H + u]);
      float go = sigmoid(g[3 * H + u] + bias[3 * H + u]);
      g[u] = gi;
      g[H + u] = gf;
      g[2 * H + u] = gg;
      g[3 * H + u] = go;
      int64_t at = j * H + u;
      float cell = gf * clipped(cPrev[at], clip) + gi * gg;
      float tc = tanhOf(clipped(cell, clip));
      c[at] = cell;
      tanhC[at] = tc;
      h[at] = go * tc;
    });
    if (s.projection)
      gemm('N', 'T', N, P, H, h, H, w.weightHr, H, 0.0f, io.dstLayer + t * N * P, P);
  }
  std::memcpy(io.dstIter, io.dstLayer + (T - 1) * N * P,
              static_cast<size_t>(N * P) * sizeof(float));
  std::memcpy(io.dstIterC, ws.c + (T - 1) * N * H, static_cast<size_t>(N * H) * sizeof(float));
}

void lstmClipBackward(const LstmClipShape& s, const LstmClipWeights& w,
                      const LstmClipForwardIo& fwd, const float* workspace,
                      const LstmClipBackwardIo& io, LstmClipWeightGrads& dw, float* scratch) {
  const int64_t T = s.steps, N = s.rows, C = s.input, H = s.hidden, P = s.out, G = 4 * H;
  const float clip = s.clip;
  Workspace ws(s, const_cast<float*>(workspace));      // read only
  float* dGates = scratch;                             // [T, N, 4H]
  float* dH = dGates + T * N * G;                      // [T, N, P] or [N, P]
  float* dHRaw = dH + (s.projection ? T : 1) * N * P;  // [N, H]
  float* dhNext = dHRaw + N * H;                       // [N, P]
  float* dcNext = dhNext + N * P;                      // [N, H]
  float* ones = dcNext + N * H;                        // [T * N]
  std::memcpy(dhNext, io.diffDstIter, static_cast<size_t>(N * P) * sizeof(float));
  std::memcpy(dcNext, io.diffDstIterC, static_cast<size_t>(N * H) * sizeof(float));

  for (int64_t t = T - 1; t >= 0; --t) {
    // dh_t: from the layer above and from step t + 1 (or the final state's gradient).
    float* dh = s.projection ? dH + t * N * P : dH;
    const float* dy = io.diffDstLayer + t * N * P;
    for (int64_t i = 0; i < N * P; ++i) dh[i] = dy[i] + dhNext[i];
    const float* dhRaw = dh;
    if (s.projection) {
      gemm('N', 'N', N, H, P, dh, P, w.weightHr, H, 0.0f, dHRaw, H);
      dhRaw = dHRaw;
    }
    const float* gates = ws.gates + t * N * G;
    const float* c = ws.c + t * N * H;
    const float* tanhC = ws.tanhC + t * N * H;
    const float* cPrev = t == 0 ? fwd.srcIterC : ws.c + (t - 1) * N * H;
    float* dg = dGates + t * N * G;
    forUnits(N, H, [&](int64_t j, int64_t u) {
      const float* g = gates + j * G;
      float* d = dg + j * G;
      int64_t at = j * H + u;
      float gi = g[u], gf = g[H + u], gg = g[2 * H + u], go = g[3 * H + u];
      float tc = tanhC[at], dhu = dhRaw[at], cp = cPrev[at];
      // dc_t: from h_t through the clip inside tanh, plus dc_{t+1}'s share (or the final
      // state's gradient), which reaches the stored, unclipped c_t as it is.
      float dc = dcNext[at] + dhu * go * (1.0f - tc * tc) * clipSlope(c[at], clip);
      d[u] = dc * gg * gi * (1.0f - gi);
      d[H + u] = dc * clipped(cp, clip) * gf * (1.0f - gf);
      d[2 * H + u] = dc * gi * (1.0f - gg * gg);
      d[3 * H + u] = dhu * tc * go * (1.0f - go);
      dcNext[at] = dc * gf * clipSlope(cp, clip);  // c_{t-1} (c0 too) was read clipped
    });
    // dh_{t-1} = dGates_t W_hh.
    gemm('N', 'N', N, P, G, dg, G, w.weightHh, P, 0.0f, dhNext, P);
  }
  std::memcpy(io.diffSrcIter, dhNext, static_cast<size_t>(N * P) * sizeof(float));
  std::memcpy(io.diffSrcIterC, dcNext, static_cast<size_t>(N * H) * sizeof(float));

  // Every step at once: dx = dGates W_ih, dW_ih += dGates^T x, dW_hh += dGates_t^T h_{t-1}.
  gemm('N', 'N', T * N, C, G, dGates, G, w.weightIh, C, 0.0f, io.diffSrcLayer, C);
  gemm('T', 'N', G, C, T * N, dGates, G, fwd.srcLayer, C, 1.0f, dw.weightIh, C);
  gemm('T', 'N', G, P, N, dGates, G, fwd.srcIter, P, 1.0f, dw.weightHh, P);
  if (T > 1)
    gemm('T', 'N', G, P, (T - 1) * N, dGates + N * G, G, fwd.dstLayer, P, 1.0f, dw.weightHh, P);
  if (s.projection) gemm('T', 'N', P, H, T * N, dH, P, ws.hRaw, H, 1.0f, dw.weightHr, H);
  if (dw.biasIh) {
    std::fill(ones, ones + T * N, 1.0f);
    gemm('N', 'N', 1, G, T * N, ones, T * N, dGates, G, 1.0f, dw.biasIh, G);
    gemm('N', 'N', 1, G, T * N, ones, T * N, dGates, G, 1.0f, dw.biasHh, G);
  }
}

}  // namespace rk::cpu
