// OnednnKernel: the segments of one layer on oneDNN's RNN primitives (vanilla_rnn, lstm with
// projection, lbr_gru), with a primitive descriptor per segment shape.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <tuple>
#include <unordered_map>

#include "core/rnn.h"
#include "cpu/rnn_kernel.h"
#include "cpu/rnn_weights.h"
#include "oneapi/dnnl/dnnl.hpp"

namespace rk::cpu::rnn {

/** One primitive's shape. */
struct Cell {
  RnnMode mode;
  int64_t steps, rows, input;  // T, N, C
  int64_t dirs;                // directions inside the primitive (2 = bidirectional_concat)
  dnnl::rnn_direction direction;
  int64_t hidden, out, gates, biasGates;  // H, hOut, G, bias blocks (4 for LBR-GRU)
  bool projection;

  bool operator<(const Cell& o) const {
    return std::tie(steps, rows) < std::tie(o.steps, o.rows);  // within one layer/direction
  }
};

/** A descriptor and the primitive made from it once (making one is not free, even cached). */
struct Primitive {
  dnnl::primitive_desc pd;
  dnnl::primitive primitive;
};

/** oneDNN's primitive: descriptors per segment shape, weights reordered when a layout changes. */
class OnednnKernel final : public SegmentKernel {
 public:
  OnednnKernel(const RnnConfig& config, const RnnLayout& layout, int64_t layer, int64_t first,
               int64_t dirs, const float* flat, bool training, Device device)
      : config_(config),
        cw_(config, layout, layer, first, dirs),
        layer_(layer),
        dirs_(dirs),
        flat_(flat),
        training_(training),
        device_(device) {}

  void forward(int64_t steps, int64_t rows, SavedCall& call) override;
  void backward(int64_t steps, int64_t rows, const SavedCall& call,
                const SegmentDiffs& diff) override;

  void storeGrads(float* dFlat) override { storeDiffWeights(*dw_, config_, cw_, dFlat); }

 private:
  /** The descriptor for `cell` (made once per shape), with weights in its layouts. */
  template <class Make>
  const Primitive& primitive(const Cell& cell, Make make);

  std::unordered_map<int, memory> dataArgs(const Cell& cell, const SavedCall& call) const;

  const RnnConfig& config_;
  CanonicalWeights cw_;
  int64_t layer_, dirs_;
  const float* flat_;
  bool training_;
  Device device_;
  std::map<Cell, Primitive> primitives_;
  std::optional<CellWeights> w_, dw_;
};

}  // namespace rk::cpu::rnn
