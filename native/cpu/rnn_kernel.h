// SegmentKernel, what runs one segment of one layer (oneDNN's primitive, or our clipped LSTM
// cell), the buffers one run reads and writes, and makeKernel, which picks a layer's kernel.
#pragma once

#include <cstdint>
#include <memory>

#include "core/rnn.h"
#include "cpu/rnn_buffers.h"

namespace rk::cpu::rnn {

/** The buffers one primitive execution read and wrote (pointers into the saved buffers). */
struct SavedCall {
  float* srcLayer = nullptr;
  float* srcIter = nullptr;
  float* srcIterC = nullptr;
  float* dstLayer = nullptr;
  float* dstIter = nullptr;
  float* dstIterC = nullptr;
  Buffer workspace;
};

/** A segment's gradients: of its outputs (in) and of its inputs (out), shaped like them. */
struct SegmentDiffs {
  const float* dstLayer;
  const float* dstIter;
  const float* dstIterC;
  float* srcLayer;
  float* srcIter;
  float* srcIterC;
};

/**
 * Runs the segments of one layer over its directions first..first+dirs (dirs = 2 only for the
 * uniform plan's bidirectional_concat), in order: forward reads call.src*, writes call.dst* and
 * sets call.workspace; backward takes a saved call's output gradients to its input gradients
 * and accumulates the weight gradients, which storeGrads writes to the canonical flat gradient.
 */
class SegmentKernel {
 public:
  virtual ~SegmentKernel() = default;
  virtual void forward(int64_t steps, int64_t rows, SavedCall& call) = 0;
  virtual void backward(int64_t steps, int64_t rows, const SavedCall& call,
                        const SegmentDiffs& diff) = 0;
  virtual void storeGrads(float* dFlat) = 0;
};

/**
 * The kernel for layer `layer`, directions first..first+dirs: the clipped cell when the config
 * clips (one direction at a time), else oneDNN's. `dFlat` is set for a backward pass.
 */
std::unique_ptr<SegmentKernel> makeKernel(const RnnConfig& config, const RnnLayout& layout,
                                          int64_t layer, int64_t first, int64_t dirs,
                                          const float* flat, float* dFlat, bool training,
                                          Device device);

}  // namespace rk::cpu::rnn
