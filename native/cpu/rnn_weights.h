// The recurrent stack's weights between the canonical flat buffer (PyTorch's layout) and the
// layouts oneDNN's RNN primitives ask for: weights in, weight gradients back out.
#pragma once

#include <cstdint>
#include <vector>

#include "core/rnn.h"
#include "cpu/rnn_buffers.h"
#include "oneapi/dnnl/dnnl.hpp"

namespace rk::cpu::rnn {

using Tag = memory::format_tag;
constexpr memory::data_type kF32 = memory::data_type::f32;

inline memory::desc argDesc(const dnnl::primitive_desc& pd, int arg) {
  return pd.query_md(dnnl::query::exec_arg_md, arg);
}

/**
 * One layer's canonical parameters for the directions a primitive runs (first..first+dirs).
 * PyTorch's [G*H, in] row-major is oneDNN's ldgoi and [P, H] is ldoi, so one direction's
 * parameter is used in place. Two directions sit apart in the flat buffer and GRU's gates are
 * in another order (canonical r, z, n; oneDNN u(=z), r, o(=n)): those go through a dense
 * staging copy.
 */
enum class Param { Layer, Iter, Proj };

class CanonicalWeights {
 public:
  CanonicalWeights(const RnnConfig& config, const RnnLayout& layout, int64_t layer, int64_t first,
                   int64_t dirs)
      : config_(config), dirs_(dirs), input_(config.layerInput(layer)) {
    for (int64_t d = 0; d < dirs; ++d) {
      at_.push_back(layout.offsets[layer * config.directions() + first + d]);
    }
  }

  /** oneDNN gate g holds canonical gate kGruGate[g]. */
  static constexpr int64_t kGruGate[3] = {1, 0, 2};

  const RnnParamOffsets& at(int64_t d) const { return at_[d]; }
  int64_t dirs() const { return dirs_; }

  /** A plain (ldgoi / ldoi) memory holding the canonical values of `param`. */
  memory read(Param param, const float* flat, std::vector<Buffer>& staging) const {
    Shape block = blockOf(param);
    memory::desc desc = descOf(param);
    if (inPlace(param))
      return memory(desc, dnnlEngine(), const_cast<float*>(flat + at_[0].*member(param)));
    int64_t n = numel(block);
    memory plain = hostMemory(desc, staging);
    for (int64_t d = 0; d < dirs_; ++d) {
      const float* src = flat + at_[d].*member(param);
      float* dst = static_cast<float*>(plain.get_data_handle()) + d * n;
      if (gruGates(param))
        permute(src, dst, block, true);
      else
        copyFloats(dst, src, n);
    }
    return plain;
  }

  /** Reorders `from` (any layout) into the canonical `param` of `flat`. */
  void write(Param param, memory& from, float* flat) const {
    Shape block = blockOf(param);
    memory::desc desc = descOf(param);
    if (inPlace(param)) {
      memory to(desc, dnnlEngine(), flat + at_[0].*member(param));
      reorder(from, to);
      return;
    }
    int64_t n = numel(block);
    std::vector<Buffer> staging;
    memory to = hostMemory(desc, staging);
    reorder(from, to);
    for (int64_t d = 0; d < dirs_; ++d) {
      const float* src = static_cast<const float*>(to.get_data_handle()) + d * n;
      float* dst = flat + at_[d].*member(param);
      if (gruGates(param))
        permute(src, dst, block, false);
      else
        copyFloats(dst, src, n);
    }
  }

  static void reorder(memory& from, memory& to) {
    dnnl::reorder(from, to).execute(dnnlStream(), from, to);
    dnnlStream().wait();
  }

 private:
  static int64_t RnnParamOffsets::*member(Param param) {
    switch (param) {
      case Param::Layer:
        return &RnnParamOffsets::weightIh;
      case Param::Iter:
        return &RnnParamOffsets::weightHh;
      default:
        return &RnnParamOffsets::weightHr;
    }
  }
  bool gruGates(Param param) const { return config_.mode == RnnMode::Gru && param != Param::Proj; }
  bool inPlace(Param param) const { return dirs_ == 1 && !gruGates(param); }
  /** One direction's canonical shape: [G, H, in] or [P, H]. */
  Shape blockOf(Param param) const {
    if (param == Param::Proj) return {config_.projSize, config_.hiddenSize};
    int64_t in = param == Param::Layer ? input_ : config_.hiddenOut();
    return {config_.gates(), config_.hiddenSize, in};
  }
  memory::desc descOf(Param param) const {
    Shape b = blockOf(param);
    if (param == Param::Proj) return memory::desc({1, dirs_, b[1], b[0]}, kF32, Tag::ldoi);
    return memory::desc({1, dirs_, b[2], b[0], b[1]}, kF32, Tag::ldgoi);
  }
  static void permute(const float* src, float* dst, const Shape& block, bool toDnnl) {
    int64_t n = block[1] * block[2];
    for (int64_t g = 0; g < 3; ++g) {
      int64_t canonical = kGruGate[g];
      copyFloats(dst + (toDnnl ? g : canonical) * n, src + (toDnnl ? canonical : g) * n, n);
    }
  }

  const RnnConfig& config_;
  int64_t dirs_;
  int64_t input_;
  std::vector<RnnParamOffsets> at_;
};

/** Weights and bias in the layouts one primitive descriptor asks for. */
struct CellWeights {
  memory layer, iter, proj, bias;
  std::vector<Buffer> keep;  // the host memory behind them
};

CellWeights prepareWeights(const dnnl::primitive_desc& pd, const RnnConfig& config,
                           const CanonicalWeights& cw, const float* flat);

/** Whether weights prepared for one primitive descriptor suit another (packed layouts may not). */
bool fitsWeights(const dnnl::primitive_desc& pd, const CellWeights& w);

/** Zeroed diff weights in the layouts a backward primitive descriptor writes (it accumulates). */
CellWeights zeroDiffWeights(const dnnl::primitive_desc& pd, bool projection);

/** Writes accumulated diff weights back into the canonical flat gradient. */
void storeDiffWeights(CellWeights& diff, const RnnConfig& config, const CanonicalWeights& cw,
                      float* flat);

}  // namespace rk::cpu::rnn
