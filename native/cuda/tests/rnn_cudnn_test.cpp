// CTest (no Node): one LSTM forward and backward on the GPU through core's ops (so through the
// CUDA backend and cuDNN), checked against a float64 loop on the host: the outputs and final
// states against the loop, every gradient against central finite differences of the loop.
// A 2-layer bidirectional LSTM over an unsorted batch of unequal lengths, with initial states,
// precision 'fp32' (no TF32). Skips (77) or fails before it starts as gpu_gate.h says.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <future>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/error.h"
#include "core/ops.h"
#include "core/rnn.h"
#include "cuda/cuda_check.h"
#include "cuda/cudnn_descriptors.h"
#include "cuda/rnn_check.h"
#include "cuda/rnn_weight_space.h"
#include "gpu_gate.h"

namespace {

using rk::Error;
using rk::RnnConfig;
using rk::RnnLayout;
using rk::str;
using rk::Tensor;

struct Problem {
  RnnConfig cfg;
  int64_t B = 3, T = 5;
  std::vector<int32_t> lengths{5, 2, 4};
};

/** Row-major [B, T, C] (batchFirst). */
double& at(std::vector<double>& v, int64_t T, int64_t C, int64_t b, int64_t t, int64_t c) {
  return v[static_cast<size_t>((b * T + t) * C + c)];
}

double sigmoid(double v) { return 1 / (1 + std::exp(-v)); }

struct Result {
  std::vector<double> y, h, c;  // [B, T, 2H], [L*D, B, H], [L*D, B, H]
};

/** PyTorch's LSTM in float64, each sequence run within its own length (reverse: from its end). */
Result reference(const Problem& p, const RnnLayout& layout, const std::vector<double>& w,
                 const std::vector<double>& x, const std::vector<double>& h0,
                 const std::vector<double>& c0) {
  const RnnConfig& cfg = p.cfg;
  const int64_t H = cfg.hiddenSize, D = cfg.directions(), B = p.B, T = p.T;
  Result r;
  r.h.assign(static_cast<size_t>(cfg.numLayers * D * B * H), 0);
  r.c = r.h;
  std::vector<double> input = x;
  int64_t C = cfg.inputSize;
  for (int64_t k = 0; k < cfg.numLayers; ++k) {
    std::vector<double> out(static_cast<size_t>(B * T * D * H), 0);
    for (int64_t d = 0; d < D; ++d) {
      const rk::RnnParamOffsets& o = layout.offsets[static_cast<size_t>(k * D + d)];
      const int64_t s = k * D + d;
      for (int64_t b = 0; b < B; ++b) {
        std::vector<double> h(h0.begin() + (s * B + b) * H, h0.begin() + (s * B + b + 1) * H);
        std::vector<double> c(c0.begin() + (s * B + b) * H, c0.begin() + (s * B + b + 1) * H);
        const int64_t len = p.lengths[static_cast<size_t>(b)];
        for (int64_t step = 0; step < len; ++step) {
          const int64_t t = d == 0 ? step : len - 1 - step;
          std::vector<double> gates(static_cast<size_t>(4 * H));
          for (int64_t j = 0; j < 4 * H; ++j) {
            double v = w[static_cast<size_t>(o.biasIh + j)] + w[static_cast<size_t>(o.biasHh + j)];
            for (int64_t i = 0; i < C; ++i)
              v += w[static_cast<size_t>(o.weightIh + j * C + i)] * at(input, T, C, b, t, i);
            for (int64_t i = 0; i < H; ++i)
              v += w[static_cast<size_t>(o.weightHh + j * H + i)] * h[static_cast<size_t>(i)];
            gates[static_cast<size_t>(j)] = v;
          }
          for (int64_t j = 0; j < H; ++j) {
            double ig = sigmoid(gates[static_cast<size_t>(j)]);
            double fg = sigmoid(gates[static_cast<size_t>(H + j)]);
            double gg = std::tanh(gates[static_cast<size_t>(2 * H + j)]);
            double og = sigmoid(gates[static_cast<size_t>(3 * H + j)]);
            c[static_cast<size_t>(j)] = fg * c[static_cast<size_t>(j)] + ig * gg;
            h[static_cast<size_t>(j)] = og * std::tanh(c[static_cast<size_t>(j)]);
            at(out, T, D * H, b, t, d * H + j) = h[static_cast<size_t>(j)];
          }
        }
        std::copy(h.begin(), h.end(), r.h.begin() + (s * B + b) * H);
        std::copy(c.begin(), c.end(), r.c.begin() + (s * B + b) * H);
      }
    }
    input = out;
    C = D * H;
  }
  r.y = input;
  return r;
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

std::vector<float> toFloat(const std::vector<double>& v) { return {v.begin(), v.end()}; }

std::vector<double> random(std::mt19937& gen, size_t n, double scale) {
  std::uniform_real_distribution<double> u(-scale, scale);
  std::vector<double> v(n);
  for (double& e : v) e = static_cast<double>(static_cast<float>(u(gen)));  // exact in float32
  return v;
}

Tensor upload(const std::vector<double>& v, const rk::Shape& shape, rk::Device device) {
  std::vector<float> f = toFloat(v);
  return rk::ops::fromHost(f.data(), static_cast<int64_t>(f.size()), rk::DType::Float32, shape,
                           device);
}

std::vector<double> download(const Tensor& t) {
  std::vector<float> host(static_cast<size_t>(t.numel()));
  std::promise<std::optional<Error>> done;
  rk::ops::read(t, host.data(), [&](std::optional<Error> e) { done.set_value(std::move(e)); });
  if (auto e = done.get_future().get()) throw *e;
  return {host.begin(), host.end()};
}

int failures = 0;

void expectClose(const std::string& what, const std::vector<double>& got,
                 const std::vector<double>& want, double tolerance) {
  double worst = 0;
  size_t where = 0;
  for (size_t i = 0; i < std::min(got.size(), want.size()); ++i) {
    double e = std::abs(got[i] - want[i]);
    if (std::isnan(e) || e > worst) {
      worst = e;
      where = i;
      if (std::isnan(e)) break;  // a NaN stays the worst
    }
  }
  bool ok = got.size() == want.size() && worst <= tolerance;  // false for NaN
  std::string detail;
  if (got.size() != want.size()) {
    detail = str(": ", got.size(), " values, want ", want.size());
  } else if (!ok) {
    detail = str(" at ", where, ": got ", got[where], ", want ", want[where]);
  }
  std::printf("%s %-10s max |diff| %.3g (tolerance %.0e)%s\n", ok ? "ok  " : "FAIL", what.c_str(),
              worst, tolerance, detail.c_str());
  if (!ok) ++failures;
}

/** Central differences of f at every element of v (float64, step 1e-5). */
template <class F>
std::vector<double> numericGradient(std::vector<double>& v, F f) {
  std::vector<double> g(v.size());
  const double eps = 1e-5;
  for (size_t i = 0; i < v.size(); ++i) {
    double keep = v[i];
    v[i] = keep + eps;
    double plus = f();
    v[i] = keep - eps;
    double minus = f();
    v[i] = keep;
    g[i] = (plus - minus) / (2 * eps);
  }
  return g;
}

void expectTrue(bool ok, const std::string& what) {
  std::printf("%s %s\n", ok ? "ok  " : "FAIL", what.c_str());
  if (!ok) ++failures;
}

/**
 * cuDNN's dropout between layers: its state is seeded once per device and continued by every
 * training forward; a seed that comes again among the last few rewinds it, so the same seed
 * gives the same masks (outputs and gradients), other seeds other masks, and a replayed sequence
 * of seeds the same sequence of masks.
 */
void testDropoutSeeds(rk::Device device) {
  RnnConfig cfg;
  cfg.mode = rk::RnnMode::Lstm;
  cfg.inputSize = 8;
  cfg.hiddenSize = 16;
  cfg.numLayers = 3;
  cfg.dropout = 0.5;
  cfg.precision = rk::RnnPrecision::Fp32;
  const int64_t B = 4, T = 10;
  const std::vector<int32_t> lengths{10, 4, 7, 9};
  RnnLayout layout = rk::ops::rnnLayout(cfg, device);
  std::mt19937 gen(11);
  rk::RnnInputs in;
  in.x = upload(random(gen, static_cast<size_t>(B * T * cfg.inputSize), 1.0), {B, T, cfg.inputSize},
                device);
  in.weights = upload(random(gen, static_cast<size_t>(layout.size), 0.3), {layout.size}, device);
  Tensor gy = upload(random(gen, static_cast<size_t>(B * T * cfg.hiddenSize), 1.0),
                     {B, T, cfg.hiddenSize}, device);
  auto forward = [&](uint64_t seed) {
    return rk::ops::rnnForward(cfg, in, lengths, /*training=*/true, seed);
  };
  auto dx = [&](const rk::ops::RnnForwardResult& f) {
    rk::RnnGrads grads;
    grads.dOutput = gy;
    return download(rk::ops::rnnBackward(cfg, in, lengths, f.reserve, grads).dx);
  };
  auto output = [&](uint64_t seed) { return download(forward(seed).outputs.output); };

  rk::ops::RnnForwardResult first = forward(11);
  std::vector<double> y11 = download(first.outputs.output);
  rk::ops::RnnForwardResult again = forward(11);
  std::vector<double> y12 = output(12);
  // Backward after other forwards moved the state on: it reads its own reserve, not the state.
  std::vector<double> dx11 = dx(first), dx11again = dx(again);
  expectTrue(download(again.outputs.output) == y11,
             "dropout: the same seed twice in a row gives the same output");
  expectTrue(dx11again == dx11, "dropout: ... and the same input gradient");
  expectTrue(y12 != y11, "dropout: another seed gives another output");
  expectTrue(output(11) == y11, "dropout: a seed from two calls back still gives its output");
  std::vector<double> a = output(21), b = output(22), c = output(23);
  expectTrue(a != b && b != c && a != c, "dropout: consecutive seeds give different outputs");
  expectTrue(output(21) == a && output(22) == b && output(23) == c,
             "dropout: a replayed sequence of seeds gives the same sequence of outputs");
  rk::ops::RnnForwardResult evaluated = rk::ops::rnnForward(cfg, in, lengths, false, 11);
  expectTrue(download(evaluated.outputs.output) != y11,
             "dropout: inference (no dropout) differs from training");
}

/**
 * The half-width weight space of a bf16 / fp16 call is zeroed before the parameters' runs are
 * converted into it (and the float32 gradient space before the runs come back): bytes between
 * cuDNN's blocks read as zeros, never as the memory's old contents.
 */
void testWeightSpaceGaps() {
  rk::cuda::CudaContext context;
  CUDA_CHECK(cudaStreamCreate(&context.stream));
  // Float32 space of 10 elements, half-width space of 14; runs 0..2 -> 2..4 and 5..6 -> 8..9, so
  // the half space has gaps [0, 2), [5, 8), [10, 14) and the float32 space [3, 5), [7, 10).
  const std::vector<rk::cuda::WeightRun> runs{{0, 2, 3}, {5, 8, 2}};
  const std::vector<float> full{0.5f, -1.25f, 2, 3.75f, -0.125f, 6, 7, 8, 9, 10};  // exact in both
  const std::vector<size_t> covered{0, 1, 2, 5, 6};
  float* fullData = nullptr;
  void* halfData = nullptr;
  float* backData = nullptr;
  CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&fullData), full.size() * 4));
  CUDA_CHECK(cudaMalloc(&halfData, 14 * 2));
  CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&backData), full.size() * 4));
  CUDA_CHECK(cudaMemcpy(fullData, full.data(), full.size() * 4, cudaMemcpyHostToDevice));
  for (cudnnDataType_t type : {CUDNN_DATA_HALF, CUDNN_DATA_BFLOAT16}) {
    const std::string name = type == CUDNN_DATA_HALF ? "fp16" : "bf16";
    // Stale memory: all bits set (NaN in every float type).
    CUDA_CHECK(cudaMemset(halfData, 0xFF, 14 * 2));
    CUDA_CHECK(cudaMemset(backData, 0xFF, full.size() * 4));
    rk::cuda::convertWeightSpace(context, runs, fullData, CUDNN_DATA_FLOAT, halfData, type, 14 * 2);
    rk::cuda::convertWeightSpace(context, runs, halfData, type, backData, CUDNN_DATA_FLOAT,
                                 full.size() * 4);
    CUDA_CHECK(cudaStreamSynchronize(context.stream));
    std::vector<uint16_t> half(14);
    std::vector<float> back(full.size());
    CUDA_CHECK(cudaMemcpy(half.data(), halfData, 14 * 2, cudaMemcpyDeviceToHost));
    CUDA_CHECK(cudaMemcpy(back.data(), backData, full.size() * 4, cudaMemcpyDeviceToHost));
    bool gapsZero = true, runsSet = true;
    for (size_t i = 0; i < half.size(); ++i) {
      bool inRun = (i >= 2 && i < 5) || (i >= 8 && i < 10);
      if (inRun) runsSet = runsSet && half[i] != 0 && half[i] != 0xFFFF;
      if (!inRun) gapsZero = gapsZero && half[i] == 0;
    }
    bool backExact = true;
    for (size_t i = 0; i < full.size(); ++i) {
      bool inRun = std::find(covered.begin(), covered.end(), i) != covered.end();
      backExact = backExact && back[i] == (inRun ? full[i] : 0.0f);
    }
    expectTrue(gapsZero, "weight space " + name + ": the gaps between the runs are zero");
    expectTrue(runsSet, "weight space " + name + ": the runs hold the converted parameters");
    expectTrue(backExact, "weight space " + name +
                              ": back in float32, the runs are exact and the rest is zero");
  }
  cudaFree(fullData);
  cudaFree(halfData);
  cudaFree(backData);
  cudaStreamDestroy(context.stream);
}

/** The message of what `call` throws ("" if it throws nothing). */
template <class Call>
std::string thrown(Call call) {
  try {
    call();
  } catch (const Error& e) {
    return e.message();
  }
  return "";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/**
 * Only descriptor setup turns cuDNN refusing a half-width config into "refuses precision"; a call
 * that runs the RNN and fails is reported as the cuDNN error it is, with our file:line, even in
 * fp16.
 */
void testRefusalOnlyAtSetup() {
  cudnnHandle_t handle = nullptr;
  CUDNN_CHECK(cudnnCreate(&handle));
  rk::cuda::RnnDescriptor rnn;
  rk::cuda::DropoutDescriptor none;
  CUDNN_CHECK(cudnnSetDropoutDescriptor(none.get(), handle, 0.0f, nullptr, 0, 0));
  auto setup = [&](cudnnDataType_t type, int hidden) {
    RNN_SETUP_CHECK(type, cudnnSetRNNDescriptor_v8(rnn.get(), CUDNN_RNN_ALGO_STANDARD, CUDNN_LSTM,
                                                   CUDNN_RNN_DOUBLE_BIAS, CUDNN_UNIDIRECTIONAL,
                                                   CUDNN_LINEAR_INPUT, type, CUDNN_DATA_FLOAT,
                                                   CUDNN_TENSOR_OP_MATH, 4, hidden, hidden, 1,
                                                   none.get(), CUDNN_RNN_PADDED_IO_ENABLED));
  };
  std::string refusal = thrown([&] { setup(CUDNN_DATA_HALF, 0); });  // hiddenSize 0: refused
  expectTrue(contains(refusal, "refuses precision 'fp16'"),
             "setup refusing fp16 names the precision: '" + refusal + "'");
  std::string plain = thrown([&] { setup(CUDNN_DATA_FLOAT, 0); });
  expectTrue(!plain.empty() && !contains(plain, "refuses") && contains(plain, "(at "),
             "setup refusing fp32 is a plain cuDNN error: '" + plain + "'");
  std::string valid = thrown([&] { setup(CUDNN_DATA_HALF, 8); });
  expectTrue(valid.empty(), "a valid fp16 setup passes: '" + valid + "'");
  // Run with the valid fp16 descriptor but no data descriptors: cuDNN rejects the call up front.
  // Checked as rnn_cudnn.cu checks its forward (no memory retry: it is no allocation failure).
  rk::cuda::CudaContext context;
  std::string execution = thrown([&] {
    CUDNN_CHECK_ALLOCATING(
        context, cudnnRNNForward(handle, rnn.get(), CUDNN_FWD_MODE_INFERENCE, nullptr, nullptr,
                                 nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
                                 nullptr, nullptr, 0, nullptr, 0, nullptr, 0, nullptr));
  });
  expectTrue(contains(execution, "cuDNN CUDNN_STATUS_") && contains(execution, "cudnnRNNForward") &&
                 contains(execution, "(at ") && !contains(execution, "refuses"),
             "a rejected fp16 forward is the cuDNN error with file:line: '" + execution + "'");
  cudnnDestroy(handle);
}

int run() {
  rk::Device device = rk::parseDevice("cuda:0");
  testRefusalOnlyAtSetup();
  testWeightSpaceGaps();
  testDropoutSeeds(device);
  Problem p;
  p.cfg.mode = rk::RnnMode::Lstm;
  p.cfg.inputSize = 4;
  p.cfg.hiddenSize = 3;
  p.cfg.numLayers = 2;
  p.cfg.bidirectional = true;
  p.cfg.precision = rk::RnnPrecision::Fp32;
  const int64_t H = p.cfg.hiddenSize, S = p.cfg.numLayers * p.cfg.directions();

  RnnLayout layout = rk::ops::rnnLayout(p.cfg, device);
  std::mt19937 gen(7);
  // The weight space: every parameter random, any space between them zero.
  std::vector<double> w(static_cast<size_t>(layout.size), 0);
  for (const rk::RnnParam& param : layout.params) {
    std::vector<double> values = random(gen, static_cast<size_t>(rk::numel(param.shape)), 0.5);
    std::copy(values.begin(), values.end(), w.begin() + param.offset);
  }
  std::vector<double> x = random(gen, static_cast<size_t>(p.B * p.T * p.cfg.inputSize), 1.0);
  std::vector<double> h0 = random(gen, static_cast<size_t>(S * p.B * H), 0.5);
  std::vector<double> c0 = random(gen, static_cast<size_t>(S * p.B * H), 0.5);
  // The loss the gradients are of: <y, gy> + <h, gh> + <c, gc>.
  std::vector<double> gy = random(gen, static_cast<size_t>(p.B * p.T * 2 * H), 1.0);
  std::vector<double> gh = random(gen, h0.size(), 1.0), gc = random(gen, c0.size(), 1.0);

  rk::RnnInputs in;
  in.x = upload(x, {p.B, p.T, p.cfg.inputSize}, device);
  in.weights = upload(w, {layout.size}, device);
  in.h0 = upload(h0, {S, p.B, H}, device);
  in.c0 = upload(c0, {S, p.B, H}, device);
  auto forward = rk::ops::rnnForward(p.cfg, in, p.lengths, /*training=*/true, /*seed=*/1);
  rk::RnnGrads grads;
  grads.dOutput = upload(gy, {p.B, p.T, 2 * H}, device);
  grads.dh = upload(gh, {S, p.B, H}, device);
  grads.dc = upload(gc, {S, p.B, H}, device);
  rk::RnnInputGrads back = rk::ops::rnnBackward(p.cfg, in, p.lengths, forward.reserve, grads);

  Result want = reference(p, layout, w, x, h0, c0);
  expectClose("output", download(forward.outputs.output), want.y, 1e-5);
  expectClose("h", download(forward.outputs.h), want.h, 1e-5);
  expectClose("c", download(*forward.outputs.c), want.c, 1e-5);

  auto loss = [&] {
    Result r = reference(p, layout, w, x, h0, c0);
    return dot(r.y, gy) + dot(r.h, gh) + dot(r.c, gc);
  };
  expectClose("dx", download(back.dx), numericGradient(x, loss), 1e-4);
  expectClose("dh0", download(back.dh0), numericGradient(h0, loss), 1e-4);
  expectClose("dc0", download(*back.dc0), numericGradient(c0, loss), 1e-4);
  expectClose("dWeights", download(back.dWeights), numericGradient(w, loss), 1e-4);
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main() {
  if (int code = rk::test::gpuGate("rnn_cudnn_test"); code >= 0) return code;
  try {
    return run();
  } catch (const Error& e) {
    std::printf("FAIL rnn_cudnn_test: %s\n", e.what());
    return 1;
  }
}
