// The fused recurrent stack: validation, outputs and the reserve; the backend runs the cells.
#include <climits>

#include "core/backend.h"
#include "core/op_support.h"
#include "core/ops.h"

namespace rk::ops {

namespace {

// Config and lengths errors say "rnn: ..." whichever entry point found them; tensor errors name
// the entry point.
constexpr const char* kRnn = "rnn";

void requireFloat(const char* op, NamedTensor arg, const Tensor& x) {
  requireSameDevice(op, {{"x", x}, arg});
  requireDType(op, arg, DType::Float32);
}

/** Checks x, weights, h0, c0 and lengths against the config; returns the call's shape. */
RnnProblem checkInputs(const char* op, const RnnConfig& config, const RnnInputs& in,
                       const std::optional<std::vector<int32_t>>& lengths) {
  validateRnnConfig(kRnn, config);
  const Tensor& x = in.x;
  requireDType(op, {"x", x}, DType::Float32);
  if (x.rank() != 3) {
    fail(Error::Code::Shape, op, ": x must have 3 dims (",
         config.batchFirst ? "[batch, time, inputSize]" : "[time, batch, inputSize]", "), got ",
         shapeToString(x.shape));
  }
  RnnProblem p;
  p.config = config;
  p.device = x.device;
  p.batch = x.shape[config.batchFirst ? 0 : 1];
  p.time = x.shape[config.batchFirst ? 1 : 0];
  if (x.shape[2] != config.inputSize) {
    fail(Error::Code::Shape, op, ": x ", shapeToString(x.shape), " must have config.inputSize (",
         config.inputSize, ") features in its last dim");
  }
  if (p.batch < 1 || p.time < 1) {
    fail(Error::Code::Shape, op, ": x ", shapeToString(x.shape),
         " must have at least one sequence and one time step");
  }
  if (p.batch > INT32_MAX || p.time > INT32_MAX) {
    fail(Error::Code::Shape, op, ": x ", shapeToString(x.shape),
         " has a batch or time dim of 2^31 or more");
  }

  requireFloat(op, {"weights", in.weights}, x);
  int64_t size = backendFor(x.device).rnnLayout(config).size;
  if (in.weights.rank() != 1 || in.weights.shape[0] != size) {
    fail(Error::Code::Shape, op, ": weights must be a 1-D tensor of ", size,
         " elements (rnnLayout(config).size), got ", shapeToString(in.weights.shape));
  }
  if (!in.weights.isContiguous()) {
    fail(Error::Code::Shape, op, ": weights must be contiguous (stride 1), got strides ",
         shapeToString(in.weights.strides));
  }
  int64_t states = config.numLayers * config.directions();
  if (in.h0) {
    requireFloat(op, {"h0", *in.h0}, x);
    requireShape(op, {"h0", *in.h0}, {states, p.batch, config.hiddenOut()},
                 "[numLayers * directions, batch, hOut]");
  }
  if (config.mode != RnnMode::Lstm) {
    if (in.c0) {
      fail(Error::Code::Argument, op, ": c0 must be null for mode '", rnnModeName(config.mode),
           "' (only LSTM has a cell state)");
    }
  } else if (in.c0) {
    requireFloat(op, {"c0", *in.c0}, x);
    requireShape(op, {"c0", *in.c0}, {states, p.batch, config.hiddenSize},
                 "[numLayers * directions, batch, hiddenSize]");
  }

  if (lengths) {
    if (static_cast<int64_t>(lengths->size()) != p.batch) {
      fail(Error::Code::Shape, kRnn, ": lengths has ", lengths->size(),
           " entries, expected the batch size ", p.batch);
    }
    for (size_t b = 0; b < lengths->size(); ++b) {
      int32_t len = (*lengths)[b];
      if (len < 1 || len > p.time) {
        fail(Error::Code::Argument, kRnn, ": lengths[", b, "] = ", len, " is out of range 1..",
             p.time);
      }
    }
    p.lengths = *lengths;
  } else {
    p.lengths.assign(static_cast<size_t>(p.batch), static_cast<int32_t>(p.time));
  }
  return p;
}

Shape outputShape(const RnnProblem& p) {
  int64_t channels = p.config.directions() * p.config.hiddenOut();
  return p.config.batchFirst ? Shape{p.batch, p.time, channels} : Shape{p.time, p.batch, channels};
}

Shape stateShape(const RnnProblem& p, int64_t channels) {
  return {p.config.numLayers * p.config.directions(), p.batch, channels};
}

}  // namespace

RnnLayout rnnLayout(const RnnConfig& config, Device device) {
  validateRnnConfig(kRnn, config);
  return backendFor(device).rnnLayout(config);
}

RnnForwardResult rnnForward(const RnnConfig& config, const RnnInputs& in,
                            const std::optional<std::vector<int32_t>>& lengths, bool training,
                            uint64_t seed) {
  const char* op = "rnnForward";
  RnnProblem problem = checkInputs(op, config, in, lengths);
  RnnForwardResult result;
  RnnOutputs& out = result.outputs;
  out.output = emptyTensor(problem.device, DType::Float32, outputShape(problem));
  out.h = emptyTensor(problem.device, DType::Float32, stateShape(problem, config.hiddenOut()));
  std::vector<const Tensor*> written{&out.output, &out.h};
  if (config.mode == RnnMode::Lstm) {
    out.c = emptyTensor(problem.device, DType::Float32, stateShape(problem, config.hiddenSize));
    written.push_back(&*out.c);
  }
  if (training) result.reserve = std::make_shared<RnnReserve>(problem);
  Backend& backend = backendFor(problem.device);
  // Each step multiplies every weight once per sequence.
  int64_t work = problem.time * problem.batch * in.weights.numel();
  launch(op, written, work, [&backend, problem, in, training, seed, out, reserve = result.reserve] {
    backend.rnnForward(problem, in, training, seed, out, reserve.get());
  });
  return result;
}

RnnInputGrads rnnBackward(const RnnConfig& config, const RnnInputs& in,
                          const std::optional<std::vector<int32_t>>& lengths,
                          std::shared_ptr<RnnReserve> reserve, const RnnGrads& grads) {
  const char* op = "rnnBackward";
  RnnProblem problem = checkInputs(op, config, in, lengths);
  if (!(reserve->problem == problem)) {
    fail(Error::Code::Argument, op,
         ": reserve was made by a forward with another config, input shape or lengths");
  }
  if (grads.dOutput) {
    requireFloat(op, {"dOutput", *grads.dOutput}, in.x);
    requireShape(op, {"dOutput", *grads.dOutput}, outputShape(problem), "the output's shape");
  }
  if (grads.dh) {
    requireFloat(op, {"dh", *grads.dh}, in.x);
    requireShape(op, {"dh", *grads.dh}, stateShape(problem, config.hiddenOut()), "h's shape");
  }
  if (config.mode != RnnMode::Lstm) {
    if (grads.dc) {
      fail(Error::Code::Argument, op, ": dc must be null for mode '", rnnModeName(config.mode),
           "' (only LSTM has a cell state)");
    }
  } else if (grads.dc) {
    requireFloat(op, {"dc", *grads.dc}, in.x);
    requireShape(op, {"dc", *grads.dc}, stateShape(problem, config.hiddenSize), "c's shape");
  }
  RnnInputGrads out;
  out.dx = emptyTensor(problem.device, DType::Float32, in.x.shape);
  out.dh0 = emptyTensor(problem.device, DType::Float32, stateShape(problem, config.hiddenOut()));
  out.dWeights = emptyTensor(problem.device, DType::Float32, in.weights.shape);
  std::vector<const Tensor*> written{&out.dx, &out.dh0, &out.dWeights};
  if (config.mode == RnnMode::Lstm) {
    out.dc0 = emptyTensor(problem.device, DType::Float32, stateShape(problem, config.hiddenSize));
    written.push_back(&*out.dc0);
  }
  Backend& backend = backendFor(problem.device);
  int64_t work = 2 * problem.time * problem.batch * in.weights.numel();  // data and weights
  launch(op, written, work, [&backend, problem, in, reserve, grads, out] {
    backend.rnnBackward(problem, in, *reserve, grads, out);
  });
  return out;
}

}  // namespace rk::ops
