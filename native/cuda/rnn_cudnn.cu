// The recurrent stack on cuDNN 9's RNN API (see rnn_cudnn.h).
//
// One cuDNN call runs the whole stack: cudnnRNNForward, then cudnnRNNBackwardData_v8 and
// cudnnRNNBackwardWeights_v8, over padded batches (CUDNN_RNN_PADDED_IO_ENABLED) in the caller's
// own layout (batch-major for batchFirst, else sequence-major) with each sequence's length, so
// nothing is sorted, packed or transposed: cuDNN zero-fills the outputs past each length and takes
// each sequence's final state at its own end (for the reverse direction: at its first step).
//
// Parameters are float32 views into cuDNN's float32 weight space (cudnnRnnLayout locates them
// with cudnnGetRNNWeightParams). precision 'fp32' forbids TF32 (CUDNN_FMA_MATH), 'tf32' allows it
// (CUDNN_DEFAULT_MATH); 'bf16' / 'fp16' run cuDNN on half-width copies of x, the states and the
// weight space made inside the call (float32 math, tensor cores) and convert the results back, so
// the parameters stay the float32 master weights.
//
// A training forward keeps, in CudnnRnnCall (the reserve's RnnSaved), the descriptors, cuDNN's
// reserve space and the exact device buffers the forward read and wrote, which is what the
// backward calls want again. Every buffer is a Storage (memory() counts it) or stream-ordered
// scratch, so freeing is ordered after the work that uses it.
#include "cuda/rnn_cudnn.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/storage.h"
#include "cuda/cudnn_descriptors.h"
#include "cuda/device_buffer.h"
#include "cuda/rnn_check.h"
#include "cuda/rnn_cudnn_kernels.h"
#include "cuda/rnn_dropout.h"
#include "cuda/rnn_weight_space.h"

namespace rk::cuda {

namespace {

// cuDNN's RNN refuses 65,536 steps or more (CUDNN_STATUS_NOT_SUPPORTED).
constexpr int64_t kMaxSteps = 65535;
// The first cuDNN whose RNN takes bfloat16 data (9.13).
constexpr size_t kBf16RnnVersion = 91300;
// The projection matrix's linLayerID in an LSTM (after 4 input and 4 recurrent matrices).
constexpr int kProjectionId = 8;

// ---- Modes and types ----------------------------------------------------------------------------

cudnnRNNMode_t cellMode(RnnMode mode) {
  switch (mode) {
    case RnnMode::RnnTanh:
      return CUDNN_RNN_TANH;
    case RnnMode::RnnRelu:
      return CUDNN_RNN_RELU;
    case RnnMode::Lstm:
      return CUDNN_LSTM;
    case RnnMode::Gru:
      return CUDNN_GRU;
  }
  return CUDNN_LSTM;
}

/** The element type cuDNN runs on. */
cudnnDataType_t runType(RnnPrecision precision) {
  switch (precision) {
    case RnnPrecision::Bf16:
      return CUDNN_DATA_BFLOAT16;
    case RnnPrecision::Fp16:
      return CUDNN_DATA_HALF;
    default:
      return CUDNN_DATA_FLOAT;
  }
}

cudnnMathType_t mathType(RnnPrecision precision) {
  switch (precision) {
    case RnnPrecision::Fp32:
      return CUDNN_FMA_MATH;  // no TF32
    case RnnPrecision::Tf32:
      return CUDNN_DEFAULT_MATH;  // TF32 tensor cores on sm80+
    default:
      return CUDNN_TENSOR_OP_MATH;
  }
}

/**
 * The math type of the float32 descriptor that defines the parameters' layout: the call's own for
 * fp32 / tf32, so the layout comes from the very descriptor the call runs (bar dropout).
 */
cudnnMathType_t layoutMathType(RnnPrecision precision) {
  return precision == RnnPrecision::Tf32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH;
}

// Sizes were validated below 2^31 (validateRnnConfig, core's rnn checks).
int toInt(int64_t value) { return static_cast<int>(value); }

// ---- Descriptors --------------------------------------------------------------------------------

void setNoDropout(cudnnHandle_t handle, cudnnDropoutDescriptor_t desc) {
  // Cheap: with probability 0 cuDNN keeps no random state.
  CUDNN_CHECK(cudnnSetDropoutDescriptor(desc, handle, 0.0f, nullptr, 0, 0));
}

void setRnnDescriptor(cudnnRNNDescriptor_t desc, const RnnConfig& cfg, cudnnDataType_t type,
                      cudnnMathType_t math, cudnnDropoutDescriptor_t dropout) {
  // projSize == hiddenSize means "no projection" in the v8 API.
  RNN_SETUP_CHECK(type, cudnnSetRNNDescriptor_v8(
                            desc, CUDNN_RNN_ALGO_STANDARD, cellMode(cfg.mode),
                            cfg.bias ? CUDNN_RNN_DOUBLE_BIAS : CUDNN_RNN_NO_BIAS,
                            cfg.bidirectional ? CUDNN_BIDIRECTIONAL : CUDNN_UNIDIRECTIONAL,
                            CUDNN_LINEAR_INPUT, type, CUDNN_DATA_FLOAT, math, toInt(cfg.inputSize),
                            toInt(cfg.hiddenSize), toInt(cfg.hiddenOut()), toInt(cfg.numLayers),
                            dropout, CUDNN_RNN_PADDED_IO_ENABLED));
  if (cfg.cellClip > 0) {
    CUDNN_CHECK(cudnnRNNSetClip_v9(desc, CUDNN_RNN_CLIP_MINMAX, -cfg.cellClip, cfg.cellClip));
  }
}

int64_t descriptorNumel(cudnnTensorDescriptor_t desc) {
  cudnnDataType_t type;
  int rank = 0, dims[8], strides[8];
  CUDNN_CHECK(cudnnGetTensorNdDescriptor(desc, 8, &type, &rank, dims, strides));
  int64_t n = 1;
  for (int i = 0; i < rank; ++i) n *= dims[i];
  return n;
}

// ---- Where the canonical parameters sit in a weight space ---------------------------------------

/**
 * The canonical layout (rk::rnnLayout's names, shapes and order) with offsets (in elements of
 * `type`, the data type of `desc`) inside the weight space of `desc`. cuDNN's gate matrices of one
 * PyTorch parameter (linLayerIDs 0..G-1 input, G..2G-1 recurrent, in PyTorch's gate order: LSTM
 * i, f, g, o; GRU r, z, n) must lie back to back, which is checked, never assumed.
 */
RnnLayout locateParams(cudnnHandle_t handle, cudnnRNNDescriptor_t desc, const RnnConfig& cfg,
                       cudnnDataType_t type) {
  const size_t elementBytes = typeBytes(type);
  size_t spaceBytes = 0;
  RNN_SETUP_CHECK(type, cudnnGetRNNWeightSpaceSize(handle, desc, &spaceBytes));
  // cudnnGetRNNWeightParams only does address arithmetic on the base: an aligned fake base gives
  // the offsets without a buffer.
  const char* base = reinterpret_cast<const char*>(uintptr_t(1) << 40);
  const int64_t G = cfg.gates(), H = cfg.hiddenSize, D = cfg.directions();
  TensorDescriptor piece;

  auto address = [&](int pseudo, int lin, bool bias, int64_t numel, const std::string& name) {
    void* at = nullptr;
    RNN_SETUP_CHECK(type,
                    cudnnGetRNNWeightParams(handle, desc, pseudo, spaceBytes, base, lin,
                                            bias ? nullptr : piece.get(), bias ? nullptr : &at,
                                            bias ? piece.get() : nullptr, bias ? &at : nullptr));
    if (!at || descriptorNumel(piece.get()) != numel) {
      fail(Error::Code::Backend, "rnn: cuDNN's weight space has no ", numel, "-element block for ",
           name, " (linLayerID ", lin, ", pseudo-layer ", pseudo, ")");
    }
    return static_cast<const char*>(at) - base;
  };
  // One PyTorch parameter: G gate blocks of `perGate` elements from linLayerID `first`.
  auto stacked = [&](int pseudo, int first, bool bias, int64_t perGate, const std::string& name) {
    int64_t start = address(pseudo, first, bias, perGate, name);
    for (int64_t g = 1; g < G; ++g) {
      int64_t at = address(pseudo, first + toInt(g), bias, perGate, name);
      if (at != start + g * perGate * static_cast<int64_t>(elementBytes)) {
        fail(Error::Code::Backend, "rnn: cuDNN's weight space does not hold the gates of ", name,
             " back to back (gate ", g, " at byte ", at, ", expected ",
             start + g * perGate * static_cast<int64_t>(elementBytes),
             "), so it cannot be viewed as one parameter");
      }
    }
    return start / static_cast<int64_t>(elementBytes);
  };

  RnnLayout layout = rk::rnnLayout(cfg);
  std::vector<int64_t> offsets;  // in the order rk::rnnLayout adds the parameters
  for (int64_t k = 0; k < cfg.numLayers; ++k) {
    for (int64_t d = 0; d < D; ++d) {
      const int pseudo = toInt(k * D + d);
      const std::string sfx = str("_l", k, d == 1 ? "_reverse" : "");
      RnnParamOffsets& at = layout.offsets[static_cast<size_t>(pseudo)];
      at.weightIh = stacked(pseudo, 0, false, H * cfg.layerInput(k), "weight_ih" + sfx);
      at.weightHh = stacked(pseudo, toInt(G), false, H * cfg.hiddenOut(), "weight_hh" + sfx);
      offsets.insert(offsets.end(), {at.weightIh, at.weightHh});
      if (cfg.bias) {
        at.biasIh = stacked(pseudo, 0, true, H, "bias_ih" + sfx);
        at.biasHh = stacked(pseudo, toInt(G), true, H, "bias_hh" + sfx);
        offsets.insert(offsets.end(), {at.biasIh, at.biasHh});
      }
      if (cfg.projSize > 0) {
        at.weightHr = address(pseudo, kProjectionId, false, cfg.projSize * H, "weight_hr" + sfx) /
                      static_cast<int64_t>(elementBytes);
        offsets.push_back(at.weightHr);
      }
    }
  }
  layout.size = static_cast<int64_t>(spaceBytes / elementBytes);
  for (size_t i = 0; i < layout.params.size(); ++i) {
    RnnParam& p = layout.params[i];
    p.offset = offsets[i];
    if (p.offset < 0 || p.offset + numel(p.shape) > layout.size) {
      fail(Error::Code::Backend, "rnn: cuDNN places ", p.name, " outside its weight space");
    }
  }
  return layout;
}

// ---- Device buffers -----------------------------------------------------------------------------

/** Device data cuDNN reads or writes, and the storage that keeps it alive (null data: absent). */
struct DeviceData {
  void* data = nullptr;
  std::shared_ptr<Storage> keep;
};

DeviceData allocateBytes(Device device, size_t bytes) {
  auto storage = Storage::allocate(device, DType::Float32, static_cast<int64_t>((bytes + 3) / 4));
  return {storage->data(), storage};
}

StridedView viewOf(const Tensor& t) {
  StridedView view;
  view.data = t.data<const float>();
  size_t rank = t.rank(), skip = 3 - rank;
  for (size_t i = 0; i < rank; ++i) {
    view.shape[skip + i] = t.shape[i];
    view.strides[skip + i] = t.strides[i];
  }
  return view;
}

/**
 * `t` (float32, any strides) as contiguous `type` data: t itself when it already is (and starts
 * 16-byte aligned, as a fresh storage does; a view may start anywhere).
 */
DeviceData contiguousAs(CudaContext& context, const Tensor& t, cudnnDataType_t type) {
  bool aligned = reinterpret_cast<uintptr_t>(t.data<float>()) % 16 == 0;
  if (type == CUDNN_DATA_FLOAT && t.isContiguous() && aligned) return {t.data<float>(), t.storage};
  DeviceData copy = allocateBytes(t.device, static_cast<size_t>(t.numel()) * typeBytes(type));
  copyConvert(context.stream, viewOf(t), CUDNN_DATA_FLOAT, copy.data, type);
  return copy;
}

DeviceData zerosOf(CudaContext& context, Device device, size_t bytes) {
  DeviceData zeros = allocateBytes(device, bytes);
  CUDA_CHECK(cudaMemsetAsync(zeros.data, 0, bytes, context.stream));
  return zeros;
}

/** Where cuDNN writes the float32 output `out`: out itself, or a `type` buffer to convert. */
DeviceData outputFor(const Tensor& out, cudnnDataType_t type) {
  if (type == CUDNN_DATA_FLOAT) return {out.data<float>(), out.storage};
  return allocateBytes(out.device, static_cast<size_t>(out.numel()) * typeBytes(type));
}

/** Converts what cuDNN wrote into the float32 output `out` (nothing to do in float32). */
void finishOutput(CudaContext& context, const DeviceData& written, const Tensor& out,
                  cudnnDataType_t type) {
  if (type == CUDNN_DATA_FLOAT) return;
  StridedView view = viewOf(out);
  view.data = written.data;
  view.strides[2] = 1;
  view.strides[1] = view.shape[2];
  view.strides[0] = view.shape[1] * view.shape[2];
  copyConvert(context.stream, view, type, out.data<float>(), CUDNN_DATA_FLOAT);
}

// ---- One call's descriptors and buffers ---------------------------------------------------------

void checkSupported(const CudaContext& context, const RnnProblem& problem) {
  if (problem.time > kMaxSteps) {
    fail(Error::Code::Argument, "rnn: x has ", problem.time,
         " time steps; cuDNN's recurrent kernels run at most ", kMaxSteps,
         " (split the sequence and carry the state)");
  }
  if (problem.config.precision != RnnPrecision::Bf16) return;
  if (context.properties.major < 8) {
    fail(Error::Code::Argument,
         "rnn: config.precision 'bf16' needs a GPU of compute capability 8.0 "
         "or newer, and ",
         context.properties.name, " is ", context.properties.major, ".", context.properties.minor,
         "; use 'fp16' (with a GradScaler) or 'fp32'");
  }
  if (cudnnGetVersion() < kBf16RnnVersion) {
    fail(Error::Code::Backend,
         "rnn: config.precision 'bf16' needs cuDNN 9.13 or newer (its RNN takes "
         "no bfloat16 before), and this process loaded cuDNN ",
         cudnnGetVersion(),
         "; use 'fp16' (with a GradScaler) or 'tf32', or point CUDNN_ROOT at a newer cuDNN");
  }
}

/**
 * Everything one forward sets up, and what its backward reads again: descriptors, sequence
 * lengths on the device, cuDNN's reserve space and the buffers the forward read and wrote.
 */
struct CudnnRnnCall final : RnnSaved {
  CudnnRnnCall(CudaContext& context, const RnnProblem& problem, float dropout, uint64_t seed,
               bool training)
      : type(runType(problem.config.precision)),
        mode(training ? CUDNN_FWD_MODE_TRAINING : CUDNN_FWD_MODE_INFERENCE) {
    const RnnConfig& cfg = problem.config;
    const int B = toInt(problem.batch), T = toInt(problem.time);
    const int states = toInt(cfg.numLayers * cfg.directions());
    cudnnDropoutDescriptor_t dropoutDesc = noDropout.get();
    if (dropout > 0) {
      dropoutDesc = rnnDropout(context, dropout, seed);
    } else {
      setNoDropout(context.cudnn, noDropout.get());
    }
    setRnnDescriptor(rnn.get(), cfg, type, mathType(cfg.precision), dropoutDesc);

    std::vector<int> lengths(problem.lengths.begin(), problem.lengths.end());
    auto layout = cfg.batchFirst ? CUDNN_RNN_DATA_LAYOUT_BATCH_MAJOR_UNPACKED
                                 : CUDNN_RNN_DATA_LAYOUT_SEQ_MAJOR_UNPACKED;
    xDesc = std::make_unique<RnnDataDescriptor>(type, layout, T, B, toInt(cfg.inputSize), lengths);
    yDesc = std::make_unique<RnnDataDescriptor>(type, layout, T, B,
                                                toInt(cfg.directions() * cfg.hiddenOut()), lengths);
    hDesc.set(type, {states, B, toInt(cfg.hiddenOut())});
    cDesc.set(type, {states, B, toInt(cfg.hiddenSize)});
    uniform = std::all_of(lengths.begin(), lengths.end(), [&](int n) { return n == T; });

    RNN_SETUP_CHECK(type, cudnnGetRNNWeightSpaceSize(context.cudnn, rnn.get(), &weightBytes));
    RNN_SETUP_CHECK(type, cudnnGetRNNTempSpaceSizes(context.cudnn, rnn.get(), mode, xDesc->get(),
                                                    &workBytes, &reserveBytes));
    auto lengthStorage = Storage::allocate(problem.device, DType::Int32, B);
    context.copyToDevice(lengthStorage->data(), lengths.data(), lengths.size() * sizeof(int));
    deviceLengths = {lengthStorage->data(), lengthStorage};
    if (reserveBytes > 0) reserve = allocateBytes(problem.device, reserveBytes);
  }

  const int32_t* lengths() const { return static_cast<const int32_t*>(deviceLengths.data); }

  const cudnnDataType_t type;
  const cudnnForwardMode_t mode;
  RnnDescriptor rnn;
  DropoutDescriptor noDropout;  // the RNN descriptor's dropout when the call has none
  std::unique_ptr<RnnDataDescriptor> xDesc, yDesc;
  TensorDescriptor hDesc, cDesc;
  bool uniform = true;  // every length is T
  size_t weightBytes = 0, workBytes = 0, reserveBytes = 0;
  DeviceData deviceLengths, reserve;
  // What the forward read and wrote, in `type` (null h0 / c0: zeros).
  DeviceData x, y, h0, c0, weights;
  std::vector<WeightRun> weightRuns;  // half-width calls: float32 <-> half weight space
};

/** The weights as cuDNN reads them: the float32 tensor, or a half-width copy of its space. */
DeviceData weightsFor(CudaContext& context, CudnnRnnCall& call, const RnnConfig& cfg,
                      const Tensor& weights) {
  if (call.type == CUDNN_DATA_FLOAT) {
    if (call.weightBytes != static_cast<size_t>(weights.numel()) * 4) {
      fail(Error::Code::Backend, "rnn: weights has ", weights.numel(),
           " elements but cuDNN's weight space for this config has ", call.weightBytes / 4,
           " (make the parameters with the CUDA device's rnnLayout)");
    }
    return {weights.data<float>(), weights.storage};
  }
  DropoutDescriptor none;
  setNoDropout(context.cudnn, none.get());
  RnnDescriptor full;
  setRnnDescriptor(full.get(), cfg, CUDNN_DATA_FLOAT, layoutMathType(cfg.precision), none.get());
  call.weightRuns = weightRuns(locateParams(context.cudnn, full.get(), cfg, CUDNN_DATA_FLOAT),
                               locateParams(context.cudnn, call.rnn.get(), cfg, call.type));
  DeviceData half = allocateBytes(weights.device, call.weightBytes);
  convertWeightSpace(context, call.weightRuns, weights.data<float>(), CUDNN_DATA_FLOAT, half.data,
                     call.type, call.weightBytes);
  return half;
}

}  // namespace

// ---- Entry points -------------------------------------------------------------------------------

RnnLayout cudnnRnnLayout(CudaContext& context, const RnnConfig& config) {
  // Host-side queries only; the caller gives a context whose handle no other thread is using.
  DropoutDescriptor none;
  setNoDropout(context.cudnn, none.get());
  RnnDescriptor desc;
  // Parameters are float32 whatever the precision: the float32 space is the canonical one.
  setRnnDescriptor(desc.get(), config, CUDNN_DATA_FLOAT, layoutMathType(config.precision),
                   none.get());
  return locateParams(context.cudnn, desc.get(), config, CUDNN_DATA_FLOAT);
}

void cudnnRnnForward(CudaContext& context, const RnnProblem& problem, const RnnInputs& in,
                     bool training, uint64_t seed, const RnnOutputs& out, RnnReserve* reserve) {
  checkSupported(context, problem);
  const RnnConfig& cfg = problem.config;
  const bool lstm = cfg.mode == RnnMode::Lstm;
  // cuDNN applies dropout to every layer's output but the last: nothing to drop with one layer.
  const float dropout = training && cfg.numLayers > 1 ? static_cast<float>(cfg.dropout) : 0.0f;
  auto call = std::make_unique<CudnnRnnCall>(context, problem, dropout, seed, reserve != nullptr);
  const cudnnDataType_t type = call->type;

  call->x = contiguousAs(context, in.x, type);
  if (in.h0) call->h0 = contiguousAs(context, *in.h0, type);
  if (in.c0) call->c0 = contiguousAs(context, *in.c0, type);
  call->weights = weightsFor(context, *call, cfg, in.weights);
  call->y = outputFor(out.output, type);
  DeviceData hy = outputFor(out.h, type), cy;
  if (lstm) cy = outputFor(*out.c, type);
  DeviceBuffer<char> work(context, call->workBytes);

  CUDNN_CHECK_ALLOCATING(
      context, cudnnRNNForward(context.cudnn, call->rnn.get(), call->mode, call->lengths(),
                               call->xDesc->get(), call->x.data, call->yDesc->get(), call->y.data,
                               call->hDesc.get(), call->h0.data, hy.data, call->cDesc.get(),
                               call->c0.data, cy.data, call->weightBytes, call->weights.data,
                               work.bytes(), work.data(), call->reserveBytes, call->reserve.data));
  finishOutput(context, call->y, out.output, type);
  finishOutput(context, hy, out.h, type);
  if (lstm) finishOutput(context, cy, *out.c, type);
  if (reserve) reserve->saved = std::move(call);
}

void cudnnRnnBackward(CudaContext& context, const RnnProblem& problem, const RnnInputs& in,
                      const RnnReserve& reserve, const RnnGrads& grads, const RnnInputGrads& out) {
  (void)in;  // the forward's own buffers (call->x, h0, c0, weights) are what cuDNN wants again
  const auto* call = dynamic_cast<const CudnnRnnCall*>(reserve.saved.get());
  if (!call) {
    fail(Error::Code::Backend,
         "rnnBackward: the training forward that made this reserve did not complete");
  }
  const RnnConfig& cfg = problem.config;
  const bool lstm = cfg.mode == RnnMode::Lstm;
  const cudnnDataType_t type = call->type;
  const Device device = problem.device;

  // Incoming gradients in `type`; absent state gradients stay null (cuDNN reads them as zeros).
  DeviceData dy = grads.dOutput ? contiguousAs(context, *grads.dOutput, type)
                                : zerosOf(context, device,
                                          static_cast<size_t>(problem.batch * problem.time *
                                                              cfg.directions() * cfg.hiddenOut()) *
                                              typeBytes(type));
  DeviceData dhy, dcy;
  if (grads.dh) dhy = contiguousAs(context, *grads.dh, type);
  if (lstm && grads.dc) dcy = contiguousAs(context, *grads.dc, type);
  DeviceData dx = outputFor(out.dx, type), dhx = outputFor(out.dh0, type), dcx;
  if (lstm) dcx = outputFor(*out.dc0, type);
  DeviceBuffer<char> work(context, call->workBytes);

  // Backward-data first: it fills the reserve space that backward-weights reads.
  CUDNN_CHECK_ALLOCATING(
      context,
      cudnnRNNBackwardData_v8(context.cudnn, call->rnn.get(), call->lengths(), call->yDesc->get(),
                              call->y.data, dy.data, call->xDesc->get(), dx.data, call->hDesc.get(),
                              call->h0.data, dhy.data, dhx.data, call->cDesc.get(), call->c0.data,
                              dcy.data, dcx.data, call->weightBytes, call->weights.data,
                              work.bytes(), work.data(), call->reserveBytes, call->reserve.data));

  // CUDNN_WGRAD_MODE_ADD into a zeroed space (so gaps between parameters, if any, are zero too),
  // zeroed within the retried call so that a retry never adds to a first attempt's sums.
  DeviceData dWeights = type == CUDNN_DATA_FLOAT
                            ? DeviceData{out.dWeights.data<float>(), out.dWeights.storage}
                            : allocateBytes(device, call->weightBytes);
  auto backwardWeightsIntoZeros = [&] {
    CUDA_CHECK(cudaMemsetAsync(dWeights.data, 0, call->weightBytes, context.stream));
    return cudnnRNNBackwardWeights_v8(context.cudnn, call->rnn.get(), CUDNN_WGRAD_MODE_ADD,
                                      call->lengths(), call->xDesc->get(), call->x.data,
                                      call->hDesc.get(), call->h0.data, call->yDesc->get(),
                                      call->y.data, call->weightBytes, dWeights.data, work.bytes(),
                                      work.data(), call->reserveBytes, call->reserve.data);
  };
  CUDNN_CHECK_ALLOCATING(context, backwardWeightsIntoZeros());

  finishOutput(context, dx, out.dx, type);
  finishOutput(context, dhx, out.dh0, type);
  if (lstm) finishOutput(context, dcx, *out.dc0, type);
  if (type != CUDNN_DATA_FLOAT) {
    convertWeightSpace(context, call->weightRuns, dWeights.data, type, out.dWeights.data<float>(),
                       CUDNN_DATA_FLOAT, static_cast<size_t>(out.dWeights.numel()) * 4);
  }
  // Steps past a sequence's end had no effect on anything: their gradient is zero, as on the CPU.
  if (!call->uniform) {
    zeroPadding(context.stream, out.dx.data<float>(), cfg.batchFirst, problem.batch, problem.time,
                cfg.inputSize, call->lengths());
  }
}

}  // namespace rk::cuda
