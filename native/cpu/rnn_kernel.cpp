// makeKernel (rnn_kernel.h), and ClippedLstmKernel: our clipped LSTM cell (lstm_clip_cell.h)
// behind SegmentKernel, for the LSTM with cell clipping that oneDNN cannot run.
#include "cpu/rnn_kernel.h"

#include <cstring>

#include "core/error.h"
#include "cpu/lstm_clip_cell.h"
#include "cpu/rnn_onednn.h"

namespace rk::cpu::rnn {

namespace {

/** Our LSTM cell with cell clipping, on the canonical weights in place. */
class ClippedLstmKernel final : public SegmentKernel {
 public:
  /** `dFlat`: the flat weight gradient (backward only): its parameters are zeroed, then
   * accumulated. */
  ClippedLstmKernel(const RnnConfig& config, const RnnLayout& layout, int64_t layer, int64_t dir,
                    const float* flat, float* dFlat, Device device)
      : device_(device) {
    const RnnParamOffsets& at = layout.offsets[layer * config.directions() + dir];
    shape_.input = config.layerInput(layer);
    shape_.hidden = config.hiddenSize;
    shape_.out = config.hiddenOut();
    shape_.projection = config.projSize > 0;
    shape_.clip = static_cast<float>(config.cellClip);
    auto param = [](auto* base, int64_t offset) { return offset < 0 ? nullptr : base + offset; };
    w_ = {param(flat, at.weightIh), param(flat, at.weightHh), param(flat, at.biasIh),
          param(flat, at.biasHh), param(flat, at.weightHr)};
    if (!dFlat) return;
    dw_ = {param(dFlat, at.weightIh), param(dFlat, at.weightHh), param(dFlat, at.biasIh),
           param(dFlat, at.biasHh), param(dFlat, at.weightHr)};
    const int64_t G = 4 * shape_.hidden;
    auto zero = [](float* p, int64_t n) {
      if (p) std::memset(p, 0, static_cast<size_t>(n) * sizeof(float));
    };
    zero(dw_.weightIh, G * shape_.input);
    zero(dw_.weightHh, G * shape_.out);
    zero(dw_.biasIh, G);
    zero(dw_.biasHh, G);
    zero(dw_.weightHr, shape_.projection ? shape_.out * shape_.hidden : 0);
  }

  void forward(int64_t steps, int64_t rows, SavedCall& call) override {
    LstmClipShape s = shapeOf(steps, rows);
    call.workspace = newBuffer(device_, lstmClipWorkspaceSize(s));
    lstmClipForward(s, w_, io(call), call.workspace.data());
  }

  void backward(int64_t steps, int64_t rows, const SavedCall& call,
                const SegmentDiffs& diff) override {
    LstmClipShape s = shapeOf(steps, rows);
    Buffer scratch = newBuffer(device_, lstmClipScratchSize(s));
    LstmClipBackwardIo d{diff.dstLayer, diff.dstIter, diff.dstIterC,
                         diff.srcLayer, diff.srcIter, diff.srcIterC};
    lstmClipBackward(s, w_, io(call), call.workspace.data(), d, dw_, scratch.data());
  }

  void storeGrads(float*) override {}  // accumulated in place

 private:
  LstmClipShape shapeOf(int64_t steps, int64_t rows) const {
    LstmClipShape s = shape_;
    s.steps = steps;
    s.rows = rows;
    return s;
  }
  static LstmClipForwardIo io(const SavedCall& call) {
    return {call.srcLayer, call.srcIter, call.srcIterC, call.dstLayer, call.dstIter, call.dstIterC};
  }

  Device device_;
  LstmClipShape shape_;
  LstmClipWeights w_;
  LstmClipWeightGrads dw_;
};

}  // namespace

std::unique_ptr<SegmentKernel> makeKernel(const RnnConfig& config, const RnnLayout& layout,
                                          int64_t layer, int64_t first, int64_t dirs,
                                          const float* flat, float* dFlat, bool training,
                                          Device device) {
  if (config.cellClip > 0) {
    if (dirs != 1) fail(Error::Code::Backend, "the clipped LSTM cell runs one direction at a time");
    return std::make_unique<ClippedLstmKernel>(config, layout, layer, first, flat, dFlat, device);
  }
  return std::make_unique<OnednnKernel>(config, layout, layer, first, dirs, flat, training, device);
}

}  // namespace rk::cpu::rnn
