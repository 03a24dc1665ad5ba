// The recurrent stack on oneDNN's RNN primitives (vanilla_rnn, lstm with projection, lbr_gru).
//
// oneDNN has no per-sequence lengths, so a call runs one primitive per layer:
//  - Uniform batches (every length equal): one primitive per layer over the common length, both
//    directions at once (bidirectional_concat), reading and writing the layer buffers in place.
//  - Variable lengths: per layer and direction, the steps are cut into "segments" as a packed
//    sequence is: with the batch sorted by length (descending) and s_0 = 0 < s_1 < ... < s_k the
//    distinct lengths, segment i covers steps [s_i, s_i+1) for the c_i longest sequences. Each
//    segment gathers its rows into a dense tnc buffer (the reverse direction reads each sequence
//    reversed within its own length, so it too runs left to right), starts from the first c_i
//    rows of the previous segment's dst_iter, and scatters its dst_layer back. Sequences that end
//    at s_i+1 take their final state from that segment's dst_iter.
// Layer buffers are tnc [T, B, channels] in the caller's batch order. Canonical weights (PyTorch
// layout, ldgoi) are reordered into whatever layout each primitive asks for, and the weight
// gradients back.
// An LSTM with cell clipping (config.cellClip > 0), which oneDNN cannot do, always takes the
// segment path, with our own cell (lstm_clip_cell.cpp) in place of the primitive: both run
// behind SegmentKernel, so one loop serves both.
#include <algorithm>
#include <cstring>
#include <map>
#include <numeric>
#include <optional>
#include <unordered_map>

#include "cpu/cpu_backend.h"
#include "cpu/dnnl_check.h"
#include "cpu/dnnl_context.h"
#include "cpu/dropout_mask.h"
#include "cpu/lstm_clip_cell.h"
#include "cpu/strided_loop.h"

namespace rk::cpu {

namespace {

using dnnl::memory;
using Tag = memory::format_tag;
constexpr memory::data_type kF32 = memory::data_type::f32;

// ---- Buffers ------------------------------------------------------------------------------------

/** float32 scratch or saved memory, allocated as a Storage so memory() counts it. */
struct Buffer {
  std::shared_ptr<Storage> storage;
  float* data() const { return static_cast<float*>(storage->data()); }
};

Buffer newBuffer(Device device, int64_t numel) {
  return Buffer{Storage::allocate(device, DType::Float32, std::max<int64_t>(numel, 1))};
}

/** A oneDNN memory of `desc` over a new cached host Buffer, which `keep` holds alive. */
memory hostMemory(const memory::desc& desc, std::vector<Buffer>& keep) {
  keep.push_back(newBuffer(Device{DeviceKind::Cpu}, static_cast<int64_t>(desc.get_size() / sizeof(float))));
  return memory(desc, dnnlEngine(), keep.back().data());
}

Buffer zeros(Device device, int64_t numel) {
  Buffer b = newBuffer(device, numel);
  std::memset(b.data(), 0, static_cast<size_t>(numel) * sizeof(float));
  return b;
}

/** A Tensor over `buffer` (for the strided copy kernel). */
Tensor over(const Buffer& buffer, Device device, const Shape& shape, const Strides& strides,
            int64_t offset = 0) {
  Tensor t;
  t.storage = buffer.storage;
  t.offset = offset;
  t.shape = shape;
  t.strides = strides;
  t.device = device;
  return t;
}

/** An optional [rows, batch, width] state as a contiguous buffer; zeros when absent. */
Buffer stateBuffer(const std::optional<Tensor>& state, Device device, int64_t rows, int64_t batch,
                   int64_t width) {
  Buffer buffer = zeros(device, rows * batch * width);
  Shape shape{rows, batch, width};
  if (state) cpuBackend().copy(*state, over(buffer, device, shape, contiguousStrides(shape)));
  return buffer;
}

/** A [B, T, C] / [T, B, C] view of a tnc buffer [T, B, C] (the caller's layout). */
Tensor tncAs(const Buffer& buffer, Device device, bool batchFirst, int64_t batch, int64_t time,
             int64_t channels) {
  if (batchFirst) {
    return over(buffer, device, {batch, time, channels}, {channels, batch * channels, 1});
  }
  return over(buffer, device, {time, batch, channels}, {batch * channels, channels, 1});
}

/** Runs f(s, j) for s < steps, j < rows; on OpenMP threads when `width` floats each is enough. */
template <class F>
void forRows(int64_t steps, int64_t rows, int64_t width, F f) {
  bool parallel = steps * rows * width >= kParallelThreshold;
#pragma omp parallel for collapse(2) schedule(static) if (parallel)
  for (int64_t s = 0; s < steps; ++s) {
    for (int64_t j = 0; j < rows; ++j) f(s, j);
  }
}

void copyFloats(float* dst, const float* src, int64_t n) {
  std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}

// ---- The plan: sorting and segments -------------------------------------------------------------

struct Segment {
  int64_t t0, t1;  // steps [t0, t1)
  int64_t rows;    // the `rows` longest sequences (a prefix of the sorted batch)
};

struct Plan {
  bool uniform = true;      // one primitive per layer, no gathering (every length equal, no clip)
  int64_t steps = 0;        // uniform: the common length
  std::vector<int64_t> perm;  // sorted row -> batch row (longest first, stable)
  std::vector<Segment> segments;
};

Plan makePlan(const RnnProblem& p) {
  Plan plan;
  const std::vector<int32_t>& len = p.lengths;
  // The clipped LSTM cell runs one direction at a time: segments (one, for equal lengths).
  plan.uniform = p.config.cellClip == 0 &&
                 std::all_of(len.begin(), len.end(), [&](int32_t l) { return l == len[0]; });
  plan.perm.resize(len.size());
  std::iota(plan.perm.begin(), plan.perm.end(), 0);
  if (plan.uniform) {
    plan.steps = len[0];
    plan.segments.push_back({0, plan.steps, p.batch});
    return plan;
  }
  std::stable_sort(plan.perm.begin(), plan.perm.end(),
                   [&](int64_t a, int64_t b) { return len[a] > len[b]; });
  std::vector<int32_t> distinct(len.begin(), len.end());
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  int64_t t0 = 0;
  for (int32_t end : distinct) {
    int64_t rows = std::count_if(len.begin(), len.end(), [&](int32_t l) { return l >= end; });
    plan.segments.push_back({t0, end, rows});
    t0 = end;
  }
  return plan;
}

/** Rows of segment i that continue into segment i + 1 (the rest end at its last step). */
int64_t continuing(const Plan& plan, size_t i) {
  return i + 1 < plan.segments.size() ? plan.segments[i + 1].rows : 0;
}

// ---- Primitive descriptors ----------------------------------------------------------------------

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

Cell cellFor(const RnnConfig& c, int64_t layer, int64_t steps, int64_t rows, int64_t dirs) {
  Cell cell;
  cell.mode = c.mode;
  cell.steps = steps;
  cell.rows = rows;
  cell.input = c.layerInput(layer);
  cell.dirs = dirs;
  cell.direction = dirs == 2 ? dnnl::rnn_direction::bidirectional_concat
                             : dnnl::rnn_direction::unidirectional_left2right;
  cell.hidden = c.hiddenSize;
  cell.out = c.hiddenOut();
  cell.gates = c.gates();
  cell.biasGates = c.mode == RnnMode::Gru ? 4 : c.gates();
  cell.projection = c.projSize > 0;
  return cell;
}

struct CellDescs {
  memory::desc srcLayer, srcIter, srcIterC, weightsLayer, weightsIter, weightsProj, bias, dstLayer,
      dstIter, dstIterC;
};

CellDescs describe(const Cell& c) {
  CellDescs d;
  d.srcLayer = memory::desc({c.steps, c.rows, c.input}, kF32, Tag::tnc);
  d.srcIter = memory::desc({1, c.dirs, c.rows, c.out}, kF32, Tag::ldnc);
  d.weightsLayer = memory::desc({1, c.dirs, c.input, c.gates, c.hidden}, kF32, Tag::any);
  d.weightsIter = memory::desc({1, c.dirs, c.out, c.gates, c.hidden}, kF32, Tag::any);
  d.bias = memory::desc({1, c.dirs, c.biasGates, c.hidden}, kF32, Tag::ldgo);
  d.dstLayer = memory::desc({c.steps, c.rows, c.dirs * c.out}, kF32, Tag::tnc);
  d.dstIter = d.srcIter;
  if (c.mode == RnnMode::Lstm) {
    d.srcIterC = memory::desc({1, c.dirs, c.rows, c.hidden}, kF32, Tag::ldnc);
    d.dstIterC = d.srcIterC;
  }
  if (c.projection) d.weightsProj = memory::desc({1, c.dirs, c.hidden, c.out}, kF32, Tag::any);
  return d;
}

dnnl::algorithm activation(RnnMode mode) {
  return mode == RnnMode::RnnRelu ? dnnl::algorithm::eltwise_relu : dnnl::algorithm::eltwise_tanh;
}

/** The forward primitive descriptor (typed, as the backward's hint needs it). */
template <class Fwd>
typename Fwd::primitive_desc forwardPd(const Cell& c, dnnl::prop_kind prop);

template <>
dnnl::lstm_forward::primitive_desc forwardPd<dnnl::lstm_forward>(const Cell& c,
                                                                  dnnl::prop_kind prop) {
  CellDescs d = describe(c);
  dnnl::lstm_forward::desc desc(prop, c.direction, d.srcLayer, d.srcIter, d.srcIterC,
                                d.weightsLayer, d.weightsIter, memory::desc(), d.weightsProj,
                                d.bias, d.dstLayer, d.dstIter, d.dstIterC);
  return dnnl::lstm_forward::primitive_desc(desc, dnnlEngine());
}

template <>
dnnl::lbr_gru_forward::primitive_desc forwardPd<dnnl::lbr_gru_forward>(const Cell& c,
                                                                        dnnl::prop_kind prop) {
  CellDescs d = describe(c);
  dnnl::lbr_gru_forward::desc desc(prop, c.direction, d.srcLayer, d.srcIter, d.weightsLayer,
                                   d.weightsIter, d.bias, d.dstLayer, d.dstIter);
  return dnnl::lbr_gru_forward::primitive_desc(desc, dnnlEngine());
}

template <>
dnnl::vanilla_rnn_forward::primitive_desc forwardPd<dnnl::vanilla_rnn_forward>(
    const Cell& c, dnnl::prop_kind prop) {
  CellDescs d = describe(c);
  dnnl::vanilla_rnn_forward::desc desc(prop, activation(c.mode), c.direction, d.srcLayer,
                                       d.srcIter, d.weightsLayer, d.weightsIter, d.bias,
                                       d.dstLayer, d.dstIter);
  return dnnl::vanilla_rnn_forward::primitive_desc(desc, dnnlEngine());
}

/**
 * Projection LSTM runs as forward_training even for inference: oneDNN 2.6's inference kernel
 * crashes (SIGSEGV inside the primitive) on a projection LSTM over a single time step.
 */
bool needsWorkspace(const Cell& c, bool training) { return training || c.projection; }

dnnl::primitive_desc makeForwardPd(const Cell& c, bool training) {
  dnnl::prop_kind prop = needsWorkspace(c, training) ? dnnl::prop_kind::forward_training
                                                     : dnnl::prop_kind::forward_inference;
  switch (c.mode) {
    case RnnMode::Lstm: return forwardPd<dnnl::lstm_forward>(c, prop);
    case RnnMode::Gru: return forwardPd<dnnl::lbr_gru_forward>(c, prop);
    default: return forwardPd<dnnl::vanilla_rnn_forward>(c, prop);
  }
}

dnnl::primitive_desc makeBackwardPd(const Cell& c) {
  CellDescs d = describe(c);
  dnnl::prop_kind fwd = dnnl::prop_kind::forward_training, bwd = dnnl::prop_kind::backward;
  // Diff descriptors mirror the data ones.
  switch (c.mode) {
    case RnnMode::Lstm: {
      dnnl::lstm_backward::desc desc(
          bwd, c.direction, d.srcLayer, d.srcIter, d.srcIterC, d.weightsLayer, d.weightsIter,
          memory::desc(), d.weightsProj, d.bias, d.dstLayer, d.dstIter, d.dstIterC, d.srcLayer,
          d.srcIter, d.srcIterC, d.weightsLayer, d.weightsIter, memory::desc(), d.weightsProj,
          d.bias, d.dstLayer, d.dstIter, d.dstIterC);
      return dnnl::lstm_backward::primitive_desc(desc, dnnlEngine(),
                                                 forwardPd<dnnl::lstm_forward>(c, fwd));
    }
    case RnnMode::Gru: {
      dnnl::lbr_gru_backward::desc desc(bwd, c.direction, d.srcLayer, d.srcIter, d.weightsLayer,
                                        d.weightsIter, d.bias, d.dstLayer, d.dstIter, d.srcLayer,
                                        d.srcIter, d.weightsLayer, d.weightsIter, d.bias,
                                        d.dstLayer, d.dstIter);
      return dnnl::lbr_gru_backward::primitive_desc(desc, dnnlEngine(),
                                                    forwardPd<dnnl::lbr_gru_forward>(c, fwd));
    }
    default: {
      dnnl::vanilla_rnn_backward::desc desc(bwd, activation(c.mode), c.direction, d.srcLayer,
                                            d.srcIter, d.weightsLayer, d.weightsIter, d.bias,
                                            d.dstLayer, d.dstIter, d.srcLayer, d.srcIter,
                                            d.weightsLayer, d.weightsIter, d.bias, d.dstLayer,
                                            d.dstIter);
      return dnnl::vanilla_rnn_backward::primitive_desc(
          desc, dnnlEngine(), forwardPd<dnnl::vanilla_rnn_forward>(c, fwd));
    }
  }
}

memory::desc argDesc(const dnnl::primitive_desc& pd, int arg) {
  return pd.query_md(dnnl::query::exec_arg_md, arg);
}

// ---- Weights: canonical (PyTorch) <-> oneDNN ----------------------------------------------------

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
    if (inPlace(param)) return memory(desc, dnnlEngine(), const_cast<float*>(flat + at_[0].*member(param)));
    int64_t n = numel(block);
    memory plain = hostMemory(desc, staging);
    for (int64_t d = 0; d < dirs_; ++d) {
      const float* src = flat + at_[d].*member(param);
      float* dst = static_cast<float*>(plain.get_data_handle()) + d * n;
      if (gruGates(param)) permute(src, dst, block, true);
      else copyFloats(dst, src, n);
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
      if (gruGates(param)) permute(src, dst, block, false);
      else copyFloats(dst, src, n);
    }
  }

  static void reorder(memory& from, memory& to) {
    dnnl::reorder(from, to).execute(dnnlStream(), from, to);
    dnnlStream().wait();
  }

 private:
  static int64_t RnnParamOffsets::*member(Param param) {
    switch (param) {
      case Param::Layer: return &RnnParamOffsets::weightIh;
      case Param::Iter: return &RnnParamOffsets::weightHh;
      default: return &RnnParamOffsets::weightHr;
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

/** Whether weights prepared for one primitive descriptor suit another (packed layouts may not). */
bool fitsWeights(const dnnl::primitive_desc& pd, const CellWeights& w) {
  return argDesc(pd, DNNL_ARG_WEIGHTS_LAYER) == w.layer.get_desc() &&
         argDesc(pd, DNNL_ARG_WEIGHTS_ITER) == w.iter.get_desc() &&
         (!w.proj || argDesc(pd, DNNL_ARG_WEIGHTS_PROJECTION) == w.proj.get_desc());
}

/** Zeroed diff weights in the layouts a backward primitive descriptor writes (it accumulates). */
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

/** Writes accumulated diff weights back into the canonical flat gradient. */
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

// ---- What a training forward keeps --------------------------------------------------------------

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

struct CpuRnnSaved final : RnnSaved {
  std::vector<Buffer> inputs;   // layer inputs X_k, tnc [T, B, C_k] (after dropout)
  std::vector<Buffer> outputs;  // layer outputs Y_k, tnc [T, B, D*hOut]
  std::vector<Buffer> masks;    // per layer below the top when dropout: 0 or 1/(1-p), like Y_k
  std::vector<std::vector<std::vector<SavedCall>>> calls;  // [layer][run][segment]
  std::vector<Buffer> keep;     // the other buffers the calls point into
};

// ---- Dropout ------------------------------------------------------------------------------------

void multiply(float* out, const float* a, const float* b, int64_t n) {
#pragma omp parallel for schedule(static) if (n >= kParallelThreshold)
  for (int64_t i = 0; i < n; ++i) out[i] = a[i] * b[i];
}

// ---- Execution helpers --------------------------------------------------------------------------

memory mem(const memory::desc& desc, float* data) {
  return memory(desc, dnnlEngine(), data);
}

void execute(const dnnl::primitive_desc& pd, const std::unordered_map<int, memory>& args) {
  dnnl::primitive(pd).execute(dnnlStream(), args);
  dnnlStream().wait();
}

/** The time step of sequence b that reversed-direction step t reads (identity forward). */
inline int64_t sourceStep(bool reverse, int64_t t, int32_t length) {
  return reverse ? length - 1 - t : t;
}

// ---- Kernels: what runs one segment -------------------------------------------------------------

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
  virtual void backward(int64_t steps, int64_t rows, const SavedCall& call, const SegmentDiffs& diff) = 0;
  virtual void storeGrads(float* dFlat) = 0;
};

/** oneDNN's primitive: descriptors per segment shape, weights reordered when a layout changes. */
class OnednnKernel final : public SegmentKernel {
 public:
  OnednnKernel(const RnnConfig& config, const RnnLayout& layout, int64_t layer, int64_t first,
               int64_t dirs, const float* flat, bool training, Device device)
      : config_(config), cw_(config, layout, layer, first, dirs), layer_(layer), dirs_(dirs),
        flat_(flat), training_(training), device_(device) {}

  void forward(int64_t steps, int64_t rows, SavedCall& call) override {
    Cell cell = cellFor(config_, layer_, steps, rows, dirs_);
    const dnnl::primitive_desc& pd = primitive(cell, [&] { return makeForwardPd(cell, training_); });
    std::unordered_map<int, memory> args = dataArgs(cell, call);
    if (needsWorkspace(cell, training_)) {
      memory::desc ws = pd.workspace_desc();
      call.workspace = newBuffer(device_, static_cast<int64_t>((ws.get_size() + 3) / 4));
      args[DNNL_ARG_WORKSPACE] = mem(ws, call.workspace.data());
    }
    execute(pd, args);
  }

  void backward(int64_t steps, int64_t rows, const SavedCall& call, const SegmentDiffs& diff) override {
    Cell cell = cellFor(config_, layer_, steps, rows, dirs_);
    const dnnl::primitive_desc& pd = primitive(cell, [&] { return makeBackwardPd(cell); });
    bool projection = config_.projSize > 0;
    if (!dw_) {
      dw_ = zeroDiffWeights(pd, projection);
    } else if (argDesc(pd, DNNL_ARG_DIFF_WEIGHTS_LAYER) != dw_->layer.get_desc() ||
               argDesc(pd, DNNL_ARG_DIFF_WEIGHTS_ITER) != dw_->iter.get_desc() ||
               argDesc(pd, DNNL_ARG_DIFF_BIAS) != dw_->bias.get_desc() ||
               (projection && argDesc(pd, DNNL_ARG_DIFF_WEIGHTS_PROJECTION) != dw_->proj.get_desc())) {
      fail(Error::Code::Backend, "oneDNN chose different diff-weights layouts for two segments of one layer");
    }
    CellDescs d = describe(cell);
    std::unordered_map<int, memory> args = dataArgs(cell, call);
    args[DNNL_ARG_WORKSPACE] = mem(pd.workspace_desc(), call.workspace.data());
    args[DNNL_ARG_DIFF_SRC_LAYER] = mem(d.srcLayer, diff.srcLayer);
    args[DNNL_ARG_DIFF_SRC_ITER] = mem(d.srcIter, diff.srcIter);
    args[DNNL_ARG_DIFF_WEIGHTS_LAYER] = dw_->layer;
    args[DNNL_ARG_DIFF_WEIGHTS_ITER] = dw_->iter;
    args[DNNL_ARG_DIFF_BIAS] = dw_->bias;
    args[DNNL_ARG_DIFF_DST_LAYER] = mem(d.dstLayer, const_cast<float*>(diff.dstLayer));
    args[DNNL_ARG_DIFF_DST_ITER] = mem(d.dstIter, const_cast<float*>(diff.dstIter));
    if (cell.mode == RnnMode::Lstm) {
      args[DNNL_ARG_DIFF_SRC_ITER_C] = mem(d.srcIterC, diff.srcIterC);
      args[DNNL_ARG_DIFF_DST_ITER_C] = mem(d.dstIterC, const_cast<float*>(diff.dstIterC));
    }
    if (projection) args[DNNL_ARG_DIFF_WEIGHTS_PROJECTION] = dw_->proj;
    execute(pd, args);
  }

  void storeGrads(float* dFlat) override { storeDiffWeights(*dw_, config_, cw_, dFlat); }

 private:
  /** The descriptor for `cell` (made once per shape), with weights in its layouts. */
  template <class Make>
  const dnnl::primitive_desc& primitive(const Cell& cell, Make make) {
    auto found = pds_.find(cell);
    if (found == pds_.end()) found = pds_.emplace(cell, make()).first;
    if (!w_ || !fitsWeights(found->second, *w_)) w_ = prepareWeights(found->second, config_, cw_, flat_);
    return found->second;
  }

  std::unordered_map<int, memory> dataArgs(const Cell& cell, const SavedCall& call) const {
    CellDescs d = describe(cell);
    std::unordered_map<int, memory> args{
        {DNNL_ARG_SRC_LAYER, mem(d.srcLayer, call.srcLayer)},
        {DNNL_ARG_SRC_ITER, mem(d.srcIter, call.srcIter)},
        {DNNL_ARG_WEIGHTS_LAYER, w_->layer},
        {DNNL_ARG_WEIGHTS_ITER, w_->iter},
        {DNNL_ARG_BIAS, w_->bias},
        {DNNL_ARG_DST_LAYER, mem(d.dstLayer, call.dstLayer)},
        {DNNL_ARG_DST_ITER, mem(d.dstIter, call.dstIter)}};
    if (cell.mode == RnnMode::Lstm) {
      args[DNNL_ARG_SRC_ITER_C] = mem(d.srcIterC, call.srcIterC);
      args[DNNL_ARG_DST_ITER_C] = mem(d.dstIterC, call.dstIterC);
    }
    if (cell.projection) args[DNNL_ARG_WEIGHTS_PROJECTION] = w_->proj;
    return args;
  }

  const RnnConfig& config_;
  CanonicalWeights cw_;
  int64_t layer_, dirs_;
  const float* flat_;
  bool training_;
  Device device_;
  std::map<Cell, dnnl::primitive_desc> pds_;
  std::optional<CellWeights> w_, dw_;
};

/** Our LSTM cell with cell clipping, on the canonical weights in place. */
class ClippedLstmKernel final : public SegmentKernel {
 public:
  /** `dFlat`: the flat weight gradient (backward only): its parameters are zeroed, then accumulated. */
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

  void backward(int64_t steps, int64_t rows, const SavedCall& call, const SegmentDiffs& diff) override {
    LstmClipShape s = shapeOf(steps, rows);
    Buffer scratch = newBuffer(device_, lstmClipScratchSize(s));
    LstmClipBackwardIo d{diff.dstLayer, diff.dstIter, diff.dstIterC, diff.srcLayer, diff.srcIter, diff.srcIterC};
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

/**
 * The kernel for layer `layer`, directions first..first+dirs: the clipped cell when the config
 * clips (one direction at a time), else oneDNN's. `dFlat` is set for a backward pass.
 */
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

}  // namespace

// ---- Forward ------------------------------------------------------------------------------------

void CpuBackend::rnnForward(const RnnProblem& problem, const RnnInputs& in, bool training,
                            uint64_t seed, const RnnOutputs& out, RnnReserve* reserve) {
  auto body = [&] {
    const RnnConfig& cfg = problem.config;
    Device dev = problem.device;
    const int64_t B = problem.batch, T = problem.time, L = cfg.numLayers, D = cfg.directions();
    const int64_t H = cfg.hiddenSize, P = cfg.hiddenOut(), DP = D * P;
    const bool lstm = cfg.mode == RnnMode::Lstm;
    const bool dropout = training && cfg.dropout > 0 && L > 1;
    Plan plan = makePlan(problem);
    RnnLayout layout = rk::rnnLayout(cfg);
    const float* flat = in.weights.data<const float>();
    auto saved = std::make_unique<CpuRnnSaved>();
    saved->calls.resize(static_cast<size_t>(L));

    // Initial states as contiguous [L*D, B, hOut / H].
    Buffer h0 = stateBuffer(in.h0, dev, L * D, B, P), c0;
    if (lstm) c0 = stateBuffer(in.c0, dev, L * D, B, H);
    float* hOut = out.h.data<float>();
    float* cOut = lstm ? out.c->data<float>() : nullptr;

    // Layer 0's input: x as tnc (only the steps any sequence has).
    int64_t used = plan.uniform ? plan.steps : T;
    Buffer input = newBuffer(dev, T * B * cfg.inputSize);
    {
      Tensor x = in.x;
      x.shape[cfg.batchFirst ? 1 : 0] = used;
      copy(x, tncAs(input, dev, cfg.batchFirst, B, used, cfg.inputSize));
    }

    Buffer output;
    for (int64_t k = 0; k < L; ++k) {
      const int64_t C = cfg.layerInput(k);
      output = plan.uniform ? newBuffer(dev, T * B * DP) : zeros(dev, T * B * DP);
      if (plan.uniform && used < T) {
        std::memset(output.data() + used * B * DP, 0, static_cast<size_t>((T - used) * B * DP) * sizeof(float));
      }
      auto& layerCalls = saved->calls[k];

      if (plan.uniform) {
        // One primitive for the layer, both directions at once, in place on the layer buffers.
        auto kernel = makeKernel(cfg, layout, k, 0, D, flat, nullptr, training, dev);
        SavedCall call;
        call.srcLayer = input.data();
        call.dstLayer = output.data();
        call.srcIter = h0.data() + k * D * B * P;
        Buffer dstIter = newBuffer(dev, D * B * P), dstIterC;
        call.dstIter = dstIter.data();
        if (lstm) {
          call.srcIterC = c0.data() + k * D * B * H;
          dstIterC = newBuffer(dev, D * B * H);
          call.dstIterC = dstIterC.data();
        }
        kernel->forward(used, B, call);
        copyFloats(hOut + k * D * B * P, call.dstIter, D * B * P);
        if (lstm) copyFloats(cOut + k * D * B * H, call.dstIterC, D * B * H);
        saved->keep.push_back(dstIter);
        if (lstm) saved->keep.push_back(dstIterC);
        layerCalls.push_back({call});
      } else {
        // Per direction, segment by segment.
        for (int64_t dir = 0; dir < D; ++dir) {
          const bool reverse = dir == 1;
          const int64_t state = k * D + dir;
          // Inference too runs oneDNN's training kernel here: its packed weight layouts depend
          // on the batch, so each segment would repack the weights.
          auto kernel = makeKernel(cfg, layout, k, dir, 1, flat, nullptr, true, dev);
          std::vector<SavedCall> calls;
          float* prevIter = nullptr;
          float* prevIterC = nullptr;
          for (size_t i = 0; i < plan.segments.size(); ++i) {
            const Segment& seg = plan.segments[i];
            const int64_t steps = seg.t1 - seg.t0, rows = seg.rows;
            SavedCall call;
            Buffer src = newBuffer(dev, steps * rows * C), dst = newBuffer(dev, steps * rows * P);
            Buffer dstIter = newBuffer(dev, rows * P), dstIterC;
            call.srcLayer = src.data();
            call.dstLayer = dst.data();
            call.dstIter = dstIter.data();
            saved->keep.insert(saved->keep.end(), {src, dst, dstIter});
            if (lstm) {
              dstIterC = newBuffer(dev, rows * H);
              call.dstIterC = dstIterC.data();
              saved->keep.push_back(dstIterC);
            }
            if (i == 0) {
              Buffer srcIter = newBuffer(dev, rows * P), srcIterC;
              for (int64_t j = 0; j < rows; ++j) {
                copyFloats(srcIter.data() + j * P, h0.data() + (state * B + plan.perm[j]) * P, P);
              }
              saved->keep.push_back(srcIter);
              call.srcIter = srcIter.data();
              if (lstm) {
                srcIterC = newBuffer(dev, rows * H);
                for (int64_t j = 0; j < rows; ++j) {
                  copyFloats(srcIterC.data() + j * H, c0.data() + (state * B + plan.perm[j]) * H, H);
                }
                saved->keep.push_back(srcIterC);
                call.srcIterC = srcIterC.data();
              }
            } else {
              call.srcIter = prevIter;  // its first `rows` rows
              call.srcIterC = prevIterC;
            }
            const float* x = input.data();
            forRows(steps, rows, C, [&](int64_t s, int64_t j) {
              int64_t b = plan.perm[j];
              int64_t t = sourceStep(reverse, seg.t0 + s, problem.lengths[b]);
              copyFloats(call.srcLayer + (s * rows + j) * C, x + (t * B + b) * C, C);
            });
            kernel->forward(steps, rows, call);
            float* y = output.data();
            forRows(steps, rows, P, [&](int64_t s, int64_t j) {
              int64_t b = plan.perm[j];
              int64_t t = sourceStep(reverse, seg.t0 + s, problem.lengths[b]);
              copyFloats(y + (t * B + b) * DP + dir * P, call.dstLayer + (s * rows + j) * P, P);
            });
            for (int64_t j = continuing(plan, i); j < rows; ++j) {  // these sequences end here
              int64_t b = plan.perm[j];
              copyFloats(hOut + (state * B + b) * P, call.dstIter + j * P, P);
              if (lstm) copyFloats(cOut + (state * B + b) * H, call.dstIterC + j * H, H);
            }
            prevIter = call.dstIter;
            prevIterC = call.dstIterC;
            calls.push_back(std::move(call));
          }
          layerCalls.push_back(std::move(calls));
        }
      }

      saved->inputs.push_back(input);
      saved->outputs.push_back(output);
      if (k + 1 < L) {
        if (dropout) {
          Buffer mask = newBuffer(dev, T * B * DP), next = newBuffer(dev, T * B * DP);
          fillDropoutMask(mask.data(), T * B * DP, cfg.dropout, seed, static_cast<uint64_t>(k));
          multiply(next.data(), output.data(), mask.data(), T * B * DP);
          saved->masks.push_back(mask);
          input = next;
        } else {
          input = output;
        }
      }
    }
    copy(tncAs(output, dev, cfg.batchFirst, B, T, DP), out.output);
    saved->keep.push_back(h0);
    if (lstm) saved->keep.push_back(c0);
    if (reserve) reserve->saved = std::move(saved);
  };
  DNNL_CHECK(body());
}

// ---- Backward -----------------------------------------------------------------------------------

void CpuBackend::rnnBackward(const RnnProblem& problem, const RnnInputs& in,
                             const RnnReserve& reserve, const RnnGrads& grads,
                             const RnnInputGrads& out) {
  const auto* saved = dynamic_cast<const CpuRnnSaved*>(reserve.saved.get());
  if (!saved) {
    fail(Error::Code::Backend, "the training forward that made this reserve did not complete");
  }
  auto body = [&] {
    const RnnConfig& cfg = problem.config;
    Device dev = problem.device;
    const int64_t B = problem.batch, T = problem.time, L = cfg.numLayers, D = cfg.directions();
    const int64_t H = cfg.hiddenSize, P = cfg.hiddenOut(), DP = D * P;
    const bool lstm = cfg.mode == RnnMode::Lstm;
    Plan plan = makePlan(problem);
    RnnLayout layout = rk::rnnLayout(cfg);
    const float* flat = in.weights.data<const float>();
    float* dFlat = out.dWeights.data<float>();
    int64_t used = plan.uniform ? plan.steps : T;

    // Incoming gradients, contiguous: dOutput as tnc, dh / dc as [L*D, B, ...].
    Buffer grad = zeros(dev, T * B * DP);
    if (grads.dOutput) {
      Tensor g = *grads.dOutput;
      g.shape[cfg.batchFirst ? 1 : 0] = used;
      copy(g, tncAs(grad, dev, cfg.batchFirst, B, used, DP));
    }
    Buffer dh = stateBuffer(grads.dh, dev, L * D, B, P), dc;
    if (lstm) dc = stateBuffer(grads.dc, dev, L * D, B, H);
    float* dh0 = out.dh0.data<float>();
    float* dc0 = lstm ? out.dc0->data<float>() : nullptr;

    Buffer gradInput;
    for (int64_t k = L - 1; k >= 0; --k) {
      const int64_t C = cfg.layerInput(k);
      gradInput = zeros(dev, T * B * C);
      const auto& layerCalls = saved->calls[k];

      if (plan.uniform) {
        auto kernel = makeKernel(cfg, layout, k, 0, D, flat, dFlat, true, dev);
        SegmentDiffs diff{grad.data(),       dh.data() + k * D * B * P,
                          lstm ? dc.data() + k * D * B * H : nullptr,
                          gradInput.data(),  dh0 + k * D * B * P,
                          lstm ? dc0 + k * D * B * H : nullptr};
        kernel->backward(used, B, layerCalls[0][0], diff);
        kernel->storeGrads(dFlat);
      } else {
        for (int64_t dir = 0; dir < D; ++dir) {
          const bool reverse = dir == 1;
          const int64_t state = k * D + dir;
          auto kernel = makeKernel(cfg, layout, k, dir, 1, flat, dFlat, true, dev);
          Buffer carry, carryC;  // diff_src_iter(_c) of the later segment
          for (size_t i = plan.segments.size(); i-- > 0;) {
            const Segment& seg = plan.segments[i];
            const int64_t steps = seg.t1 - seg.t0, rows = seg.rows;
            const SavedCall& call = layerCalls[dir][i];
            // diff_dst_layer: this direction's slice of the incoming gradient.
            Buffer diffDst = newBuffer(dev, steps * rows * P);
            const float* g = grad.data();
            forRows(steps, rows, P, [&](int64_t s, int64_t j) {
              int64_t b = plan.perm[j];
              int64_t t = sourceStep(reverse, seg.t0 + s, problem.lengths[b]);
              copyFloats(diffDst.data() + (s * rows + j) * P, g + (t * B + b) * DP + dir * P, P);
            });
            // diff_dst_iter: carried rows continue into the next segment, the rest end here.
            int64_t cont = continuing(plan, i);
            Buffer diffIter = newBuffer(dev, rows * P), diffIterC;
            if (cont > 0) copyFloats(diffIter.data(), carry.data(), cont * P);
            for (int64_t j = cont; j < rows; ++j) {
              copyFloats(diffIter.data() + j * P, dh.data() + (state * B + plan.perm[j]) * P, P);
            }
            if (lstm) {
              diffIterC = newBuffer(dev, rows * H);
              if (cont > 0) copyFloats(diffIterC.data(), carryC.data(), cont * H);
              for (int64_t j = cont; j < rows; ++j) {
                copyFloats(diffIterC.data() + j * H, dc.data() + (state * B + plan.perm[j]) * H, H);
              }
            }
            Buffer diffSrc = newBuffer(dev, steps * rows * C);
            Buffer nextCarry = newBuffer(dev, rows * P), nextCarryC;
            if (lstm) nextCarryC = newBuffer(dev, rows * H);
            SegmentDiffs diff{diffDst.data(), diffIter.data(),  lstm ? diffIterC.data() : nullptr,
                              diffSrc.data(), nextCarry.data(), lstm ? nextCarryC.data() : nullptr};
            kernel->backward(steps, rows, call, diff);
            // Both directions add into the layer input's gradient (each (t, b) once per direction).
            float* gi = gradInput.data();
            forRows(steps, rows, C, [&](int64_t s, int64_t j) {
              int64_t b = plan.perm[j];
              int64_t t = sourceStep(reverse, seg.t0 + s, problem.lengths[b]);
              float* to = gi + (t * B + b) * C;
              const float* from = diffSrc.data() + (s * rows + j) * C;
              for (int64_t c = 0; c < C; ++c) to[c] += from[c];
            });
            carry = nextCarry;
            carryC = nextCarryC;
          }
          for (int64_t j = 0; j < B; ++j) {  // segment 0 holds every sequence
            int64_t b = plan.perm[j];
            copyFloats(dh0 + (state * B + b) * P, carry.data() + j * P, P);
            if (lstm) copyFloats(dc0 + (state * B + b) * H, carryC.data() + j * H, H);
          }
          kernel->storeGrads(dFlat);
        }
      }

      if (k > 0) {
        // Through the dropout mask to the layer below; its output gradient is this input's.
        if (!saved->masks.empty()) {
          multiply(gradInput.data(), gradInput.data(), saved->masks[k - 1].data(), T * B * C);
        }
        grad = gradInput;
      }
    }
    copy(tncAs(gradInput, dev, cfg.batchFirst, B, T, cfg.inputSize), out.dx);
  };
  DNNL_CHECK(body());
}

}  // namespace rk::cpu
