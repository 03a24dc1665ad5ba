// prepareWeights, fitsWeights, zeroDiffWeights, storeDiffWeights (rnn_weights.h): the biases and
// the reorders between the canonical flat buffer and a primitive's weight layouts.
#include "cpu/rnn_weights.h"

#include <cstring>

namespace rk::cpu::rnn {

CellWeights prepareWeights(const dnnl::primitive_desc& pd, const RnnConfig& config,
                           const CanonicalWeights& cw, const float* flat) {
  CellWeights w;
  std::vector<Buffer> staging;
  auto convert = [&](Param param, int arg) {
    memory src = cw.read(param, flat, staging);
    memory dst = hostMemory(argDesc(pd, arg), w.keep);
    CanonicalWeights::reorder(src, dst);
    return dst;
  };
  w.layer = convert(Param::Layer, DNNL_ARG_WEIGHTS_LAYER);
  w.iter = convert(Param::Iter, DNNL_ARG_WEIGHTS_ITER);
  if (config.projSize > 0) w.proj = convert(Param::Proj, DNNL_ARG_WEIGHTS_PROJECTION);
  // Bias [dirs, biasGates, H] (ldgo): b_ih + b_hh per gate; LBR-GRU: [z, r, b_in, b_hn].
  int64_t h = config.hiddenSize, g = config.gates();
  int64_t blocks = config.mode == RnnMode::Gru ? 4 : g;
  w.bias = hostMemory(memory::desc({1, cw.dirs(), blocks, h}, kF32, Tag::ldgo), w.keep);
  float* bias = static_cast<float*>(w.bias.get_data_handle());
  std::memset(bias, 0, static_cast<size_t>(cw.dirs() * blocks * h) * sizeof(float));
  if (config.bias) {
    for (int64_t d = 0; d < cw.dirs(); ++d) {
      const float* bih = flat + cw.at(d).biasIh;
      const float* bhh = flat + cw.at(d).biasHh;
      float* out = bias + d * blocks * h;
      for (int64_t gate = 0; gate < g; ++gate) {
        int64_t src = config.mode == RnnMode::Gru ? CanonicalWeights::kGruGate[gate] : gate;
        bool gruCandidate = config.mode == RnnMode::Gru && gate == 2;
        for (int64_t i = 0; i < h; ++i) {
          out[gate * h + i] = bih[src * h + i] + (gruCandidate ? 0.0f : bhh[src * h + i]);
        }
      }
      if (config.mode == RnnMode::Gru) copyFloats(out + 3 * h, bhh + 2 * h, h);
    }
  }
  return w;
}

bool fitsWeights(const dnnl::primitive_desc& pd, const CellWeights& w) {
  return argDesc(pd, DNNL_ARG_WEIGHTS_LAYER) == w.layer.get_desc() &&
         argDesc(pd, DNNL_ARG_WEIGHTS_ITER) == w.iter.get_desc() &&
         (!w.proj || argDesc(pd, DNNL_ARG_WEIGHTS_PROJECTION) == w.proj.get_desc());
}

CellWeights zeroDiffWeights(const dnnl::primitive_desc& pd, bool projection) {
  CellWeights w;
  auto make = [&](int arg) {
    memory m = hostMemory(argDesc(pd, arg), w.keep);
    std::memset(m.get_data_handle(), 0, m.get_desc().get_size());
    return m;
  };
  w.layer = make(DNNL_ARG_DIFF_WEIGHTS_LAYER);
  w.iter = make(DNNL_ARG_DIFF_WEIGHTS_ITER);
  if (projection) w.proj = make(DNNL_ARG_DIFF_WEIGHTS_PROJECTION);
  w.bias = make(DNNL_ARG_DIFF_BIAS);
  return w;
}

void storeDiffWeights(CellWeights& diff, const RnnConfig& config, const CanonicalWeights& cw,
                      float* flat) {
  int64_t h = config.hiddenSize;
  cw.write(Param::Layer, diff.layer, flat);
  cw.write(Param::Iter, diff.iter, flat);
  if (config.projSize > 0) cw.write(Param::Proj, diff.proj, flat);
  if (!config.bias) return;
  // diff_bias is plain ldgo [dirs, blocks, H].
  std::vector<Buffer> keep;
  memory plain = hostMemory(memory::desc(diff.bias.get_desc().dims(), kF32, Tag::ldgo), keep);
  CanonicalWeights::reorder(diff.bias, plain);
  const float* db = static_cast<const float*>(plain.get_data_handle());
  int64_t g = config.gates(), blocks = config.mode == RnnMode::Gru ? 4 : g;
  for (int64_t d = 0; d < cw.dirs(); ++d) {
    float* bih = flat + cw.at(d).biasIh;
    float* bhh = flat + cw.at(d).biasHh;
    const float* src = db + d * blocks * h;
    for (int64_t gate = 0; gate < g; ++gate) {
      int64_t dst = config.mode == RnnMode::Gru ? CanonicalWeights::kGruGate[gate] : gate;
      copyFloats(bih + dst * h, src + gate * h, h);
      if (config.mode == RnnMode::Gru && gate == 2) {
        copyFloats(bhh + dst * h, src + 3 * h, h);  // b_hn has its own block
      } else {
        copyFloats(bhh + dst * h, src + gate * h, h);
      }
    }
  }
}

}  // namespace rk::cpu::rnn
