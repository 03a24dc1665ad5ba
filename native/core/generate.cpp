// ops::generate: validation on the JS thread, then the one task that runs the whole generation.
#include "core/generate.h"

#include <cmath>

#include "core/backend.h"
#include "core/generate_loop.h"
#include "core/op_support.h"
#include "core/ops.h"

namespace rk::ops {

namespace {

constexpr const char* kOp = "generate";

void checkTensors(const GenerateRequest& r) {
  const RnnConfig& config = r.config;
  validateRnnConfig(kOp, config);
  if (config.bidirectional)
    fail(Error::Code::Argument, kOp, ": the recurrent stack must be unidirectional");
  requireSameDevice(kOp,
                    {{"table", r.table}, {"weights", r.weights}, {"headWeight", r.headWeight}});
  for (NamedTensor t : {NamedTensor{"table", r.table}, NamedTensor{"weights", r.weights},
                        NamedTensor{"headWeight", r.headWeight}}) {
    requireDType(kOp, t, DType::Float32);
  }
  if (r.table.rank() != 2 || r.table.shape[1] != config.inputSize || r.table.shape[0] < 1) {
    fail(Error::Code::Shape, kOp,
         ": table must have shape [vocab, config.inputSize = ", config.inputSize, "], got ",
         shapeToString(r.table.shape));
  }
  int64_t vocab = r.table.shape[0];
  int64_t size = backendFor(r.table.device).rnnLayout(config).size;
  if (r.weights.rank() != 1 || r.weights.shape[0] != size || !r.weights.isContiguous()) {
    fail(Error::Code::Shape, kOp, ": weights must be a contiguous 1-D tensor of ", size,
         " elements (rnnLayout(config).size), got ", shapeToString(r.weights.shape));
  }
  requireShape(kOp, {"headWeight", r.headWeight}, {vocab, config.hiddenOut()}, "[vocab, hOut]");
  if (r.headBias) {
    requireSameDevice(kOp, {{"table", r.table}, {"headBias", *r.headBias}});
    requireDType(kOp, {"headBias", *r.headBias}, DType::Float32);
    requireShape(kOp, {"headBias", *r.headBias}, {vocab}, "[vocab]");
  }
}

void checkPrompts(const GenerateRequest& r) {
  size_t batch = r.lengths.size();
  if (batch == 0) fail(Error::Code::Argument, kOp, ": lengths must have at least one entry");
  if (r.promptIds.size() % batch != 0 || r.promptIds.empty()) {
    fail(Error::Code::Shape, kOp, ": promptIds has ", r.promptIds.size(),
         " ids, expected a positive multiple of the ", batch, " lengths");
  }
  int64_t time = static_cast<int64_t>(r.promptIds.size() / batch);
  for (size_t b = 0; b < batch; ++b) {
    if (r.lengths[b] < 1 || r.lengths[b] > time) {
      fail(Error::Code::Argument, kOp, ": lengths[", b, "] = ", r.lengths[b],
           " is out of range 1..", time);
    }
  }
  int64_t vocab = r.table.shape[0];
  for (size_t i = 0; i < r.promptIds.size(); ++i) {
    if (r.promptIds[i] < 0 || r.promptIds[i] >= vocab) {
      fail(Error::Code::Index, kOp, ": promptIds[", i, "] = ", r.promptIds[i],
           " is out of range for a vocabulary of ", vocab);
    }
  }
  if (r.seeds.size() != batch) {
    fail(Error::Code::Argument, kOp, ": seeds has ", r.seeds.size(),
         " entries, expected one per prompt (", batch, ")");
  }
}

void checkSampling(const GenerateRequest& r) {
  const SamplingOptions& s = r.sampling;
  if (r.maxTokens < 0)
    fail(Error::Code::Argument, kOp, ": maxTokens must be >= 0, got ", r.maxTokens);
  if (!(s.temperature >= 0 && std::isfinite(s.temperature))) {
    fail(Error::Code::Argument, kOp, ": temperature must be a finite number >= 0, got ",
         s.temperature);
  }
  if (s.topK < 0) fail(Error::Code::Argument, kOp, ": topK must be >= 0, got ", s.topK);
  if (!(s.topP > 0 && s.topP <= 1))
    fail(Error::Code::Argument, kOp, ": topP must be in (0, 1], got ", s.topP);
}

}  // namespace

void generate(GenerateRequest request, std::shared_ptr<TokenSink> sink) {
  checkTensors(request);
  checkPrompts(request);
  checkSampling(request);
  request.config.dropout = 0;  // evaluation: no dropout between layers
  GenerateBuffers buffers = allocateBuffers(request);
  Device device = request.table.device;
  Backend& backend = backendFor(device);
  // Like a read: a failure queued before (a poisoned stream, a failure the device recorded) is
  // this call's to report, and a failure of its own goes to the caller, not to the stream.
  complete(
      device, kOp, kLongWork,
      [&backend, request = std::move(request), buffers = std::move(buffers), sink] {
        runGeneration(request, buffers, backend, *sink);
      },
      [sink](std::optional<Error> failure) { sink->finish(std::move(failure)); });
}

}  // namespace rk::ops
