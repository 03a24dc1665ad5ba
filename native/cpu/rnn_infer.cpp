// Layer by layer, direction by direction. First the input's share of every step at once,
// W_ih x_t + b_ih for all t (a block of kUnitBlock weight rows stays in cache across the steps);
// then step by step: for each unit u of a block of kUnitBlock units, gate rows g*H + u of W_hh are
// dotted with h_{t-1} of every batch row, and the block's cell math follows at once; the LSTM
// projection is a second pass over its rows. The reverse direction reads each sequence reversed
// within its own length (step s of row b is time lengths[b] - 1 - s), so its final state is taken
// at its first step, and writes its outputs beside the forward ones ([fwd, rev] per step, the
// next layer's input). Blocks (and projection rows) go to OpenMP threads when the work pays for
// waking them (parallel.h).
#include "cpu/rnn_infer.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "cpu/dot.h"
#include "cpu/parallel.h"
#include "cpu/rnn_buffers.h"

namespace rk::cpu::rnn {

namespace {

/**
 * Rows x steps above this take oneDNN. This kernel costs about B * T row-dot passes over the
 * weights; oneDNN ~0.5 ms per call (weight reorders) plus a step cost that grows slowly with B
 * (its GEMMs block over the batch, and it does the input's share of all steps in one GEMM).
 * Measured (2 layers, H = 256, input 64, 1 thread, loaded 2-core machine), ours vs oneDNN:
 * B=1 T=1 0.31 vs 0.84 ms, B=2 T=1 0.40 vs 0.89, B=4 T=1 0.69 vs 0.71, B=16 T=1 ~1.3 vs 1.3,
 * B=1 T=64 5.7 vs 5.0, B=4 T=64 18 vs 6.6. So: text generation's steps (T = 1, up to 16
 * prompts) run here, a long prompt's prefill and batched sequences on oneDNN.
 */
constexpr int64_t kMaxRowSteps = 16;
/** The most batch rows the kernel takes (a unit block's gate sums of every row are on the stack).
 */
constexpr int64_t kMaxRows = kMaxRowSteps;
/**
 * One bidirectional sequence of any length runs here from this hidden size: oneDNN is slow there
 * (2 layers, input 128, ms ours vs oneDNN, 1 thread / 2 threads): H=256 T=16 4.5 vs 9.1 / 4.8 vs
 * 8.2, T=32 7.0 vs 15 / 8.4 vs 19, T=64 16 vs 22 / 13 vs 27; but at H=128 T=32 1.8 vs 2.2 /
 * 2.5 vs 2.1 (two threads run oneDNN's directions side by side), T=64 3.5 vs 3.6 / 4.6 vs 3.9.
 * Batches of 2 and more, and one-direction sequences, lose from T ~ 32 (uni H=256 B=1 T=64 6.8 vs
 * 4.9 ms, bi H=256 B=2 T=32 15 vs 14).
 */
constexpr int64_t kMinBidirectionalHidden = 256;
/** Units (and input-projection rows) per work item. */
constexpr int64_t kUnitBlock = 16;
// A layer step splits over the OpenMP threads when its multiply-adds pay for it (parallel.h):
// from 2^20 (H >= ~360 at input H). Measured (1 layer, input = H, T = 200 in one call, 2 threads,
// us per step, serial vs split): H=128 (1.3e5) 20-28 vs 38; H=192 (2.9e5) 37-43 vs 53-59;
// H=256 (5.2e5) 62-94 vs 64-66; H=384 (1.2e6) 189-212 vs 120-127; 2 layers H=256 138 vs 183.

inline float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }
/** x clamped to [-clip, clip] as lstm_clip_cell.cpp does (NaN passes; clip = inf: no clip). */
inline float clipped(float x, float clip) { return std::min(std::max(x, -clip), clip); }

/** A [T, B, channels] sequence with contiguous channels and any step / row strides. */
struct Sequence {
  float* base;
  int64_t step, row;
  float* at(int64_t t, int64_t b) const { return base + t * step + b * row; }
};

Sequence sequenceOf(float* base, bool batchFirst, const Strides& strides) {
  return batchFirst ? Sequence{base, strides[1], strides[0]}
                    : Sequence{base, strides[0], strides[1]};
}

/** One layer direction's canonical parameters (null bias: none) and sizes. */
struct Layer {
  const float *wIh, *wHh, *bIh, *bHh, *wHr;
  int64_t input, hidden, out;
};

/** Layer k, direction d (pseudo-layer k * directions + d). */
Layer layerOf(const RnnConfig& cfg, const RnnLayout& layout, const float* flat, int64_t k,
              int64_t d) {
  const RnnParamOffsets& at = layout.offsets[k * cfg.directions() + d];
  auto param = [&](int64_t offset) { return offset < 0 ? nullptr : flat + offset; };
  return {param(at.weightIh), param(at.weightHh), param(at.biasIh), param(at.biasHh),
          param(at.weightHr), cfg.layerInput(k),  cfg.hiddenSize,   cfg.hiddenOut()};
}

/**
 * What step t of one layer direction reads and writes; rows b with lengths[b] <= t only carry
 * their state (and zero the output at time t).
 */
struct Step {
  int64_t t, batch;
  const int32_t* lengths;
  bool reverse;
  const float* ih;       // [steps, B, gates * H]: W_ih x + b_ih by time (inputProjection)
  Sequence y;            // the direction's output (its channels of the layer output)
  const float *h, *c;    // h_{t-1} [B, hOut], c_{t-1} [B, H]
  float *hNext, *cNext;  // h_t, c_t
  float* hRaw;           // [B, H]: h_t before the projection (projection only)
  bool active(int64_t b) const { return t < lengths[b]; }
  /** The time of row b's step t (active rows). */
  int64_t time(int64_t b) const { return reverse ? lengths[b] - 1 - t : t; }
};

class LayerKernel {
 public:
  LayerKernel(const RnnConfig& cfg, const Layer& w)
      : w_(w),
        mode_(cfg.mode),
        gates_(cfg.gates()),
        projection_(w.wHr != nullptr),
        clip_(cfg.cellClip > 0 ? static_cast<float>(cfg.cellClip)
                               : std::numeric_limits<float>::infinity()),
        dot_(dotRows()) {}

  int64_t gateRows() const { return gates_ * w_.hidden; }
  int64_t blocks() const { return (w_.hidden + kUnitBlock - 1) / kUnitBlock; }
  bool projection() const { return projection_; }
  /** Multiply-adds of one step over `rows` batch rows, past the input's share. */
  int64_t stepWork(int64_t rows) const {
    const int64_t projection = projection_ ? w_.out * w_.hidden : 0;
    return rows * (gates_ * w_.hidden * w_.out + projection);
  }

  /**
   * ih[t, b, :] = W_ih x[t, b] + b_ih for every row b and t < lengths[b]: kUnitBlock weight rows
   * at a time over all steps, so they are read from memory once. On the OpenMP threads (each
   * block on one thread) when the multiply-adds pay for it and `threads` allows.
   */
  void inputProjection(const Sequence& x, int64_t steps, int64_t batch, const int32_t* lengths,
                       float* ih, bool threads) const {
    const int64_t C = w_.input, G = gateRows(), blocks = (G + kUnitBlock - 1) / kUnitBlock;
    const bool parallel = threads && worthThreads(steps * batch * G * C / kMultiplyAddsPerWork);
#pragma omp parallel for schedule(static) if (parallel)
    for (int64_t block = 0; block < blocks; ++block) {
      const int64_t r = block * kUnitBlock, n = std::min(kUnitBlock, G - r);
      for (int64_t t = 0; t < steps; ++t) {
        for (int64_t b = 0; b < batch; ++b) {
          if (t >= lengths[b]) continue;
          float* out = ih + (t * batch + b) * G + r;
          dot_(w_.wIh + r * C, n, x.at(t, b), C, out);
          for (int64_t j = 0; j < n; ++j) out[j] += w_.bIh ? w_.bIh[r + j] : 0.0f;
        }
      }
    }
  }

  /** Gates and cell of units [block * kUnitBlock, ...) for every batch row. */
  void units(const Step& s, int64_t block) const {
    const int64_t H = w_.hidden, P = w_.out, G = gateRows();
    const int64_t u0 = block * kUnitBlock, n = std::min(kUnitBlock, H - u0);
    float ih[kMaxRows][4][kUnitBlock], hh[kMaxRows][4][kUnitBlock];
    for (int64_t g = 0; g < gates_; ++g) {
      const int64_t r = g * H + u0;  // the block's rows of gate g, consecutive
      for (int64_t b = 0; b < s.batch; ++b) {
        if (!s.active(b)) continue;
        std::memcpy(ih[b][g], s.ih + (s.time(b) * s.batch + b) * G + r, sizeof(float) * n);
        dot_(w_.wHh + r * P, n, s.h + b * P, P, hh[b][g]);
        for (int64_t j = 0; j < n; ++j) hh[b][g][j] += w_.bHh ? w_.bHh[r + j] : 0.0f;
      }
    }
    for (int64_t b = 0; b < s.batch; ++b) {
      const int64_t at = b * H + u0;
      float* h = projection_ ? s.hRaw + at : s.hNext + b * P + u0;
      if (!s.active(b)) {  // past its end: the state stays, the output is zero
        if (!projection_) std::memcpy(h, s.h + b * P + u0, sizeof(float) * n);
        if (s.c) std::memcpy(s.cNext + at, s.c + at, sizeof(float) * n);
        if (!projection_) std::memset(s.y.at(s.t, b) + u0, 0, sizeof(float) * n);
        continue;
      }
      for (int64_t j = 0; j < n; ++j) h[j] = cell(ih[b], hh[b], j, s, at + j, b * P + u0 + j);
      if (!projection_) std::memcpy(s.y.at(s.time(b), b) + u0, h, sizeof(float) * n);
    }
  }

  /** Projected h_t rows [p0, p1) for every batch row. */
  void project(const Step& s, int64_t p0, int64_t p1) const {
    const int64_t H = w_.hidden, P = w_.out;
    for (int64_t b = 0; b < s.batch; ++b) {
      float* h = s.hNext + b * P;
      if (s.active(b)) {
        dot_(w_.wHr + p0 * H, p1 - p0, s.hRaw + b * H, H, h + p0);
        std::memcpy(s.y.at(s.time(b), b) + p0, h + p0, sizeof(float) * (p1 - p0));
      } else {  // past its end: the state stays, the output is zero
        std::memcpy(h + p0, s.h + b * P + p0, sizeof(float) * (p1 - p0));
        std::memset(s.y.at(s.t, b) + p0, 0, sizeof(float) * (p1 - p0));
      }
    }
  }

 private:
  /** h_t of unit j (before any projection); writes c_t. PyTorch's equations. */
  float cell(const float (*ih)[kUnitBlock], const float (*hh)[kUnitBlock], int64_t j, const Step& s,
             int64_t cAt, int64_t hAt) const {
    switch (mode_) {
      case RnnMode::Lstm: {
        float i = sigmoid(ih[0][j] + hh[0][j]), f = sigmoid(ih[1][j] + hh[1][j]);
        float g = std::tanh(ih[2][j] + hh[2][j]), o = sigmoid(ih[3][j] + hh[3][j]);
        float c = f * clipped(s.c[cAt], clip_) + i * g;  // stored unclipped, read clipped
        s.cNext[cAt] = c;
        return o * std::tanh(clipped(c, clip_));
      }
      case RnnMode::Gru: {
        float r = sigmoid(ih[0][j] + hh[0][j]), z = sigmoid(ih[1][j] + hh[1][j]);
        float n = std::tanh(ih[2][j] + r * hh[2][j]);
        return (1.0f - z) * n + z * s.h[hAt];
      }
      case RnnMode::RnnTanh:
        return std::tanh(ih[0][j] + hh[0][j]);
      default:
        return std::max(ih[0][j] + hh[0][j], 0.0f);
    }
  }

  Layer w_;
  RnnMode mode_;
  int64_t gates_;
  bool projection_;
  float clip_;
  DotRows dot_;
};

}  // namespace

bool takesInferenceKernel(const RnnProblem& problem, bool training) {
  const RnnConfig& cfg = problem.config;
  const bool oneBidirectional =
      problem.batch == 1 && cfg.directions() == 2 && cfg.hiddenSize >= kMinBidirectionalHidden;
  return !training && (problem.batch * problem.time <= kMaxRowSteps || oneBidirectional);
}

void inferenceForward(const RnnProblem& problem, const RnnInputs& in, const RnnOutputs& out) {
  const RnnConfig& cfg = problem.config;
  const Device dev = problem.device;
  const int64_t B = problem.batch, T = problem.time, L = cfg.numLayers, D = cfg.directions();
  const int64_t H = cfg.hiddenSize, P = cfg.hiddenOut();
  const bool lstm = cfg.mode == RnnMode::Lstm;
  const int32_t* lengths = problem.lengths.data();
  const int64_t steps = *std::max_element(problem.lengths.begin(), problem.lengths.end());
  const RnnLayout layout = rk::rnnLayout(cfg);
  const float* flat = in.weights.data<const float>();

  // x is read in place when its channels are contiguous, else from a contiguous copy.
  Buffer xCopy;
  Sequence x =
      sequenceOf(const_cast<float*>(in.x.data<const float>()), cfg.batchFirst, in.x.strides);
  if (in.x.strides[2] != 1 && in.x.shape[2] > 1) {
    xCopy = newBuffer(dev, T * B * cfg.inputSize);
    cpuBackend().copy(in.x, tncAs(xCopy, dev, cfg.batchFirst, B, T, cfg.inputSize));
    x = Sequence{xCopy.data(), B * cfg.inputSize, cfg.inputSize};
  }
  const Sequence output = sequenceOf(out.output.data<float>(), cfg.batchFirst, out.output.strides);
  for (int64_t t = steps; t < T; ++t) {  // no sequence reaches these steps
    for (int64_t b = 0; b < B; ++b) std::memset(output.at(t, b), 0, sizeof(float) * D * P);
  }

  const int64_t states = L * D;
  Buffer h0 = stateBuffer(in.h0, dev, states, B, P), c0;
  if (lstm) c0 = stateBuffer(in.c0, dev, states, B, H);
  // Per direction: ping-pong h and c, the unprojected h and the input projection, so the two
  // directions of a layer can run side by side.
  struct Scratch {
    Buffer h, c, hRaw, ih;
  };
  std::vector<Scratch> scratch;
  for (int64_t d = 0; d < D; ++d) {
    scratch.push_back({newBuffer(dev, 2 * B * P), newBuffer(dev, lstm ? 2 * B * H : 0),
                       newBuffer(dev, cfg.projSize > 0 ? B * H : 0),
                       newBuffer(dev, steps * B * cfg.gates() * H)});
  }
  // The outputs of the layers below the top, in turn (a layer reads one and writes the other).
  Buffer between[2] = {newBuffer(dev, L > 1 ? steps * B * D * P : 0),
                       newBuffer(dev, L > 2 ? steps * B * D * P : 0)};

  for (int64_t k = 0; k < L; ++k) {
    const Sequence y = k + 1 == L ? output : Sequence{between[k % 2].data(), B * D * P, D * P};
    // One direction of layer k; `threads`: whether its steps may split over OpenMP threads.
    auto direction = [&](int64_t d, bool threads) {
      const int64_t state = k * D + d;
      Scratch& mine = scratch[static_cast<size_t>(d)];
      const LayerKernel kernel(cfg, layerOf(cfg, layout, flat, k, d));
      kernel.inputProjection(x, steps, B, lengths, mine.ih.data(), threads);
      const Sequence yd{y.base + d * P, y.step, y.row};  // this direction's channels
      float* h[2] = {mine.h.data(), mine.h.data() + B * P};
      float* c[2] = {mine.c.data(), mine.c.data() + B * H};
      copyFloats(h[0], h0.data() + state * B * P, B * P);
      if (lstm) copyFloats(c[0], c0.data() + state * B * H, B * H);
      const bool parallel = threads && worthThreads(kernel.stepWork(B) / kMultiplyAddsPerWork);
#pragma omp parallel if (parallel)
      for (int64_t t = 0; t < steps; ++t) {
        const Step s{t,
                     B,
                     lengths,
                     d == 1,
                     mine.ih.data(),
                     yd,
                     h[t % 2],
                     lstm ? c[t % 2] : nullptr,
                     h[(t + 1) % 2],
                     lstm ? c[(t + 1) % 2] : nullptr,
                     mine.hRaw.data()};
#pragma omp for schedule(static)
        for (int64_t block = 0; block < kernel.blocks(); ++block) kernel.units(s, block);
        if (kernel.projection()) {
          // Each thread its share of the rows, in one piece (implicit barrier at the end).
#pragma omp for schedule(static)
          for (int64_t part = 0; part < omp_get_num_threads(); ++part) {
            const int64_t parts = omp_get_num_threads();
            kernel.project(s, P * part / parts, P * (part + 1) / parts);
          }
        }
      }
      copyFloats(out.h.data<float>() + state * B * P, h[steps % 2], B * P);
      if (lstm) copyFloats(out.c->data<float>() + state * B * H, c[steps % 2], B * H);
    };
    // Two directions run side by side, one thread each, when a direction's whole layer is worth
    // a thread: cheaper than splitting every step's small products with a barrier per step (as
    // rnn.cpp does for oneDNN). Each direction computes the same bits either way.
    const LayerKernel first(cfg, layerOf(cfg, layout, flat, k, 0));
    const bool sideBySide = D == 2 && omp_get_max_threads() >= 2 &&
                            worthThreads(steps * first.stepWork(B) / kMultiplyAddsPerWork);
    if (sideBySide) {
#pragma omp parallel for num_threads(2) schedule(static, 1)
      for (int64_t d = 0; d < 2; ++d) direction(d, false);
    } else {
      for (int64_t d = 0; d < D; ++d) direction(d, true);
    }
    x = y;
  }
}

}  // namespace rk::cpu::rnn
