#include "core/generate_loop.h"

#include <vector>

namespace rk {

namespace {

int64_t batchOf(const GenerateRequest& r) { return static_cast<int64_t>(r.lengths.size()); }
int64_t timeOf(const GenerateRequest& r) {
  return static_cast<int64_t>(r.promptIds.size()) / batchOf(r);
}

Tensor view(Tensor t, Shape shape, Strides strides, int64_t offset) {
  t.shape = std::move(shape);
  t.strides = std::move(strides);
  t.offset = offset;
  return t;
}

/** x [B, T, C] contiguous as the config's layout wants it ([T, B, C] unless batchFirst). */
Tensor inLayout(const RnnConfig& config, const Tensor& x) {
  if (config.batchFirst) return x;
  const Shape& s = x.shape;
  return view(x, {s[1], s[0], s[2]}, {x.strides[1], x.strides[0], x.strides[2]}, x.offset);
}

Shape outputShape(const RnnConfig& config, int64_t batch, int64_t time) {
  int64_t channels = config.hiddenOut();
  return config.batchFirst ? Shape{batch, time, channels} : Shape{time, batch, channels};
}

/** The last layer's h [B, hOut]: for a unidirectional stack, each row's newest output. */
Tensor lastLayer(const Tensor& h) {
  int64_t layers = h.shape[0], batch = h.shape[1], channels = h.shape[2];
  return view(h, {batch, channels}, {channels, 1}, h.offset + (layers - 1) * batch * channels);
}

class Decoder {
 public:
  Decoder(const GenerateRequest& r, const GenerateBuffers& b, Backend& backend)
      : r_(r),
        b_(b),
        backend_(backend),
        batch_(batchOf(r)),
        vocab_(r.table.shape[0]),
        headT_(view(r.headWeight, {r.headWeight.shape[1], vocab_},
                    {r.headWeight.strides[1], r.headWeight.strides[0]}, r.headWeight.offset)),
        stepLengths_(static_cast<size_t>(batch_), 1),
        host_(static_cast<size_t>(batch_ * vocab_)) {}

  /** The prompt pass: state 0 and the logits after each row's last prompt token. */
  const float* prompt() {
    backend_.gather(r_.table, b_.promptIds, b_.promptX);
    RnnProblem problem{r_.config, r_.table.device, batch_, timeOf(r_), r_.lengths};
    backend_.rnnForward(problem, {inLayout(r_.config, b_.promptX), r_.weights, {}, {}}, false, 0,
                        {b_.promptOut, b_.h[0], b_.c[0]}, nullptr);
    return logits(b_.h[0]);
  }

  /** One step from state `from` (0 or 1) with each row's last id; the logits of the next. */
  const float* step(int from, const std::vector<int32_t>& ids) {
    const Tensor& table = r_.table;
    int64_t width = table.shape[1];
    for (int64_t row = 0; row < batch_; ++row) {
      Tensor src = view(table, {1, width}, {table.strides[0], table.strides[1]},
                        table.offset + ids[static_cast<size_t>(row)] * table.strides[0]);
      backend_.copy(src, view(b_.stepX, {1, width}, {width, 1}, b_.stepX.offset + row * width));
    }
    int to = 1 - from;
    RnnProblem problem{r_.config, table.device, batch_, 1, stepLengths_};
    backend_.rnnForward(problem,
                        {inLayout(r_.config, b_.stepX), r_.weights, b_.h[from], b_.c[from]}, false,
                        0, {b_.stepOut, b_.h[to], b_.c[to]}, nullptr);
    return logits(b_.h[to]);
  }

 private:
  const float* logits(const Tensor& h) {
    backend_.matmul(lastLayer(h), headT_, b_.product);
    if (r_.headBias) backend_.binary(BinaryOp::Add, b_.product, *r_.headBias, *b_.logits);
    backend_.download(b_.logits ? *b_.logits : b_.product, host_.data());
    return host_.data();
  }

  const GenerateRequest& r_;
  const GenerateBuffers& b_;
  Backend& backend_;
  int64_t batch_;
  int64_t vocab_;
  Tensor headT_;  // [hOut, V]
  std::vector<int32_t> stepLengths_;
  std::vector<float> host_;
};

}  // namespace

GenerateBuffers allocateBuffers(const GenerateRequest& r) {
  const RnnConfig& config = r.config;
  Device device = r.table.device;
  int64_t batch = batchOf(r), time = timeOf(r), width = r.table.shape[1];
  int64_t vocab = r.table.shape[0];
  Shape state{config.numLayers, batch, config.hiddenOut()};
  Shape cell{config.numLayers, batch, config.hiddenSize};
  GenerateBuffers b;
  b.promptIds = emptyTensor(device, DType::Int32, {batch, time});
  backendFor(device).upload(b.promptIds, r.promptIds.data());
  b.promptX = emptyTensor(device, DType::Float32, {batch, time, width});
  b.promptOut = emptyTensor(device, DType::Float32, outputShape(config, batch, time));
  b.stepX = emptyTensor(device, DType::Float32, {batch, 1, width});
  b.stepOut = emptyTensor(device, DType::Float32, outputShape(config, batch, 1));
  for (int i = 0; i < 2; ++i) {
    b.h[i] = emptyTensor(device, DType::Float32, state);
    if (config.mode == RnnMode::Lstm) b.c[i] = emptyTensor(device, DType::Float32, cell);
  }
  b.product = emptyTensor(device, DType::Float32, {batch, vocab});
  if (r.headBias) b.logits = emptyTensor(device, DType::Float32, {batch, vocab});
  return b;
}

void runGeneration(const GenerateRequest& r, const GenerateBuffers& buffers, Backend& backend,
                   TokenSink& sink) {
  Decoder decoder(r, buffers, backend);
  int64_t vocab = r.table.shape[0];
  Sampler sampler(r.sampling, r.excluded, vocab);
  std::vector<Mulberry32> randoms(r.seeds.begin(), r.seeds.end());
  std::vector<int32_t> ids(r.seeds.size());
  int state = 0;
  for (int64_t n = 0; n < r.maxTokens && !sink.cancelled(); ++n) {
    const float* logits = n == 0 ? decoder.prompt() : decoder.step(state, ids);
    if (n > 0) state = 1 - state;
    for (size_t row = 0; row < ids.size(); ++row) {
      ids[row] = sampler.draw(logits + row * vocab, randoms[row]);
    }
    sink.step(ids, logits, vocab);
  }
}

}  // namespace rk
