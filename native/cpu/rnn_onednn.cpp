// OnednnKernel (rnn_onednn.h): the primitive descriptors for a segment's shape, and their
// execution over the saved buffers with the weights in the layouts each descriptor asks for.
#include "cpu/rnn_onednn.h"

#include "core/error.h"
#include "cpu/dnnl_context.h"
#include "cpu/parallel.h"

namespace rk::cpu::rnn {

namespace {

// ---- Primitive descriptors ----------------------------------------------------------------------

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

/**
 * Every RNN primitive takes its scratchpad from us (DNNL_ARG_SCRATCHPAD, from the caching host
 * allocator): in library mode oneDNN 2.6 mallocs and faults in a fresh scratchpad on every call
 * (265 MB per call for a BiLSTM layer at H=512, T=100, N=64).
 */
dnnl::primitive_attr userScratchpad() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
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
  return dnnl::lstm_forward::primitive_desc(desc, userScratchpad(), dnnlEngine());
}

template <>
dnnl::lbr_gru_forward::primitive_desc forwardPd<dnnl::lbr_gru_forward>(const Cell& c,
                                                                       dnnl::prop_kind prop) {
  CellDescs d = describe(c);
  dnnl::lbr_gru_forward::desc desc(prop, c.direction, d.srcLayer, d.srcIter, d.weightsLayer,
                                   d.weightsIter, d.bias, d.dstLayer, d.dstIter);
  return dnnl::lbr_gru_forward::primitive_desc(desc, userScratchpad(), dnnlEngine());
}

template <>
dnnl::vanilla_rnn_forward::primitive_desc forwardPd<dnnl::vanilla_rnn_forward>(
    const Cell& c, dnnl::prop_kind prop) {
  CellDescs d = describe(c);
  dnnl::vanilla_rnn_forward::desc desc(prop, activation(c.mode), c.direction, d.srcLayer, d.srcIter,
                                       d.weightsLayer, d.weightsIter, d.bias, d.dstLayer,
                                       d.dstIter);
  return dnnl::vanilla_rnn_forward::primitive_desc(desc, userScratchpad(), dnnlEngine());
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
    case RnnMode::Lstm:
      return forwardPd<dnnl::lstm_forward>(c, prop);
    case RnnMode::Gru:
      return forwardPd<dnnl::lbr_gru_forward>(c, prop);
    default:
      return forwardPd<dnnl::vanilla_rnn_forward>(c, prop);
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
      return dnnl::lstm_backward::primitive_desc(desc, userScratchpad(), dnnlEngine(),
                                                 forwardPd<dnnl::lstm_forward>(c, fwd));
    }
    case RnnMode::Gru: {
      dnnl::lbr_gru_backward::desc desc(bwd, c.direction, d.srcLayer, d.srcIter, d.weightsLayer,
                                        d.weightsIter, d.bias, d.dstLayer, d.dstIter, d.srcLayer,
                                        d.srcIter, d.weightsLayer, d.weightsIter, d.bias,
                                        d.dstLayer, d.dstIter);
      return dnnl::lbr_gru_backward::primitive_desc(desc, userScratchpad(), dnnlEngine(),
                                                    forwardPd<dnnl::lbr_gru_forward>(c, fwd));
    }
    default: {
      dnnl::vanilla_rnn_backward::desc desc(
          bwd, activation(c.mode), c.direction, d.srcLayer, d.srcIter, d.weightsLayer,
          d.weightsIter, d.bias, d.dstLayer, d.dstIter, d.srcLayer, d.srcIter, d.weightsLayer,
          d.weightsIter, d.bias, d.dstLayer, d.dstIter);
      return dnnl::vanilla_rnn_backward::primitive_desc(
          desc, userScratchpad(), dnnlEngine(), forwardPd<dnnl::vanilla_rnn_forward>(c, fwd));
    }
  }
}

// ---- Execution ----------------------------------------------------------------------------------

memory mem(const memory::desc& desc, float* data) { return memory(desc, dnnlEngine(), data); }

/** Runs `prim` with a scratchpad from the caching allocator (see userScratchpad). */
void execute(const Primitive& prim, std::unordered_map<int, memory>& args, Device device) {
  memory::desc scratch = prim.pd.scratchpad_desc();
  Buffer scratchpad = newBuffer(device, static_cast<int64_t>((scratch.get_size() + 3) / 4));
  args[DNNL_ARG_SCRATCHPAD] = mem(scratch, scratchpad.data());
  prim.primitive.execute(dnnlStream(), args);
  dnnlStream().wait();
}

/**
 * The work of one step of a cell, which decides its threads (parallel.h): the primitive splits
 * each step's GEMMs over them, so a step, not the whole call, must pay for waking them.
 */
int64_t stepWork(const Cell& c) {
  const int64_t projection = c.projection ? c.out * c.hidden : 0;
  return c.dirs * c.rows * (c.gates * c.hidden * (c.input + c.out) + projection) /
         kGemmMultiplyAddsPerWork;
}

}  // namespace

template <class Make>
const Primitive& OnednnKernel::primitive(const Cell& cell, Make make) {
  auto found = primitives_.find(cell);
  if (found == primitives_.end()) {
    dnnl::primitive_desc pd = make();
    found = primitives_.emplace(cell, Primitive{pd, dnnl::primitive(pd)}).first;
  }
  const dnnl::primitive_desc& pd = found->second.pd;
  if (!w_ || !fitsWeights(pd, *w_)) w_ = prepareWeights(pd, config_, cw_, flat_);
  return found->second;
}

std::unordered_map<int, memory> OnednnKernel::dataArgs(const Cell& cell,
                                                       const SavedCall& call) const {
  CellDescs d = describe(cell);
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC_LAYER, mem(d.srcLayer, call.srcLayer)},
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

void OnednnKernel::forward(int64_t steps, int64_t rows, SavedCall& call) {
  Cell cell = cellFor(config_, layer_, steps, rows, dirs_);
  const ThreadsFor threads(stepWork(cell));
  const Primitive& prim = primitive(cell, [&] { return makeForwardPd(cell, training_); });
  std::unordered_map<int, memory> args = dataArgs(cell, call);
  if (needsWorkspace(cell, training_)) {
    memory::desc ws = prim.pd.workspace_desc();
    call.workspace = newBuffer(device_, static_cast<int64_t>((ws.get_size() + 3) / 4));
    args[DNNL_ARG_WORKSPACE] = mem(ws, call.workspace.data());
  }
  execute(prim, args, device_);
}

void OnednnKernel::backward(int64_t steps, int64_t rows, const SavedCall& call,
                            const SegmentDiffs& diff) {
  Cell cell = cellFor(config_, layer_, steps, rows, dirs_);
  const ThreadsFor threads(stepWork(cell));
  const Primitive& prim = primitive(cell, [&] { return makeBackwardPd(cell); });
  const dnnl::primitive_desc& pd = prim.pd;
  bool projection = config_.projSize > 0;
  if (!dw_) {
    dw_ = zeroDiffWeights(pd, projection);
  } else if (argDesc(pd, DNNL_ARG_DIFF_WEIGHTS_LAYER) != dw_->layer.get_desc() ||
             argDesc(pd, DNNL_ARG_DIFF_WEIGHTS_ITER) != dw_->iter.get_desc() ||
             argDesc(pd, DNNL_ARG_DIFF_BIAS) != dw_->bias.get_desc() ||
             (projection &&
              argDesc(pd, DNNL_ARG_DIFF_WEIGHTS_PROJECTION) != dw_->proj.get_desc())) {
    fail(Error::Code::Backend,
         "oneDNN chose different diff-weights layouts for two segments of one layer");
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
  execute(prim, args, device_);
}

}  // namespace rk::cpu::rnn
