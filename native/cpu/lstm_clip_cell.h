// An LSTM cell with cell clipping as cuDNN 9 computes it (cudnnRNNSetClip_v9, MINMAX), which
// oneDNN's LSTM lacks: over one direction of one layer for `steps` steps of `rows` sequences,
//   gates = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh  (i, f, g, o)
//   c_t   = f ⊙ clip(c_{t-1}) + i ⊙ g   (c_{-1} = src_iter_c)
//   h_t   = o ⊙ tanh(clip(c_t))         (then W_hr h_t with projection)
// with clip(x) = clamp(x, -clip, clip): the cell state is clipped where it is read, the initial
// one too, and the stored c_t (dst_iter_c included) is not, so segments chain dst_iter_c into
// the next src_iter_c unchanged. (Keras' / TF1's cell_clip clamps the stored c_t instead.)
// Matrix products go through oneDNN's sgemm, the gate math through plain loops. The backward
// pass follows the same function: clip's derivative is 1 inside [-clip, clip], 0 outside, on
// the path through tanh and on the read of c_{t-1} (so diff_src_iter_c is masked at the
// initial c); diff_dst_iter_c reaches the unclipped final c_t as it is.
// Buffers are dense row-major: layers tnc [steps, rows, channels], states [rows, channels].
// Weights are the canonical PyTorch tensors of one layer and direction.
#pragma once

#include <cstdint>

namespace rk::cpu {

struct LstmClipShape {
  int64_t steps = 0, rows = 0;
  int64_t input = 0, hidden = 0, out = 0;  // C, H, hOut (projSize, or H without projection)
  bool projection = false;
  float clip = 0;
};

/** weight_ih [4H, C], weight_hh [4H, hOut], bias_ih / bias_hh [4H] (null: no bias), weight_hr [P,
 * H]. */
struct LstmClipWeights {
  const float* weightIh = nullptr;
  const float* weightHh = nullptr;
  const float* biasIh = nullptr;
  const float* biasHh = nullptr;
  const float* weightHr = nullptr;  // with projection
};

/** Weight gradients in the same layout; the backward pass adds into them. */
struct LstmClipWeightGrads {
  float* weightIh = nullptr;
  float* weightHh = nullptr;
  float* biasIh = nullptr;  // null: no bias
  float* biasHh = nullptr;
  float* weightHr = nullptr;
};

struct LstmClipForwardIo {
  const float* srcLayer;  // [T, N, C]
  const float* srcIter;   // [N, hOut]
  const float* srcIterC;  // [N, H]
  float* dstLayer;        // [T, N, hOut]
  float* dstIter;         // [N, hOut]
  float* dstIterC;        // [N, H]
};

struct LstmClipBackwardIo {
  const float* diffDstLayer;  // [T, N, hOut]
  const float* diffDstIter;   // [N, hOut]
  const float* diffDstIterC;  // [N, H]
  float* diffSrcLayer;        // [T, N, C]
  float* diffSrcIter;         // [N, hOut]
  float* diffSrcIterC;        // [N, H]
};

/** Floats the forward leaves for the backward (gates, c, tanh(clip(c)), h before projection). */
int64_t lstmClipWorkspaceSize(const LstmClipShape& shape);
/** Floats of scratch the backward pass needs. */
int64_t lstmClipScratchSize(const LstmClipShape& shape);

void lstmClipForward(const LstmClipShape& shape, const LstmClipWeights& w,
                     const LstmClipForwardIo& io, float* workspace);

/** `fwd` is the forward's io (its src and dst buffers are read); `workspace` its workspace. */
void lstmClipBackward(const LstmClipShape& shape, const LstmClipWeights& w,
                      const LstmClipForwardIo& fwd, const float* workspace,
                      const LstmClipBackwardIo& io, LstmClipWeightGrads& dw, float* scratch);

}  // namespace rk::cpu
