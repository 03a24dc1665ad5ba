// CTest (no Node): every op family of the CUDA backend, run through core's ops on cuda:0 and on
// the CPU backend with the same inputs, compared element by element (strided views, broadcasting,
// int32, NaN-free random data at unit scale). Exact where both devices do the same float32
// operations in the same order (copies, gather and its scatter-add, dropout masks, optimizer
// steps); 1e-5 elsewhere. Skips (77) or fails before it starts as gpu_gate.h says.
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/backend.h"
#include "core/ops.h"
#include "core/stream.h"
#include "cuda/cuda_check.h"
#include "cuda/cuda_context.h"
#include "gpu_gate.h"

namespace {

using namespace rk;

const Device kCpu{};
const Device kGpu{DeviceKind::Cuda, 0};

int gFailures = 0;
int gChecks = 0;

/** t's elements in row-major order, as doubles (waits for the stream). */
std::vector<double> values(const Tensor& t) {
  std::vector<uint32_t> raw(static_cast<size_t>(t.numel()));
  std::promise<std::optional<Error>> finished;
  ops::read(t, raw.data(),
            [&](std::optional<Error> failure) { finished.set_value(std::move(failure)); });
  if (std::optional<Error> failure = finished.get_future().get()) throw *failure;
  std::vector<double> out(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (t.dtype == DType::Float32) {
      float f;
      std::memcpy(&f, &raw[i], 4);
      out[i] = f;
    } else {
      out[i] = static_cast<int32_t>(raw[i]);
    }
  }
  return out;
}

void expectClose(const std::string& what, const Tensor& cpu, const Tensor& gpu, double tol) {
  ++gChecks;
  if (cpu.shape != gpu.shape || cpu.dtype != gpu.dtype) {
    std::printf("FAIL %s: cpu %s %s vs gpu %s %s\n", what.c_str(), shapeToString(cpu.shape).c_str(),
                dtypeName(cpu.dtype), shapeToString(gpu.shape).c_str(), dtypeName(gpu.dtype));
    ++gFailures;
    return;
  }
  std::vector<double> a = values(cpu), b = values(gpu);
  for (size_t i = 0; i < a.size(); ++i) {
    bool same = (std::isnan(a[i]) && std::isnan(b[i])) ||
                std::fabs(a[i] - b[i]) <= tol * std::max(1.0, std::fabs(a[i]));
    if (!same) {
      std::printf("FAIL %s: element %zu: cpu %.9g, gpu %.9g (tolerance %g)\n", what.c_str(), i,
                  a[i], b[i], tol);
      ++gFailures;
      return;
    }
  }
}

/** Runs `op` on both devices and compares each pair of outputs. */
void both(const std::string& what, double tol,
          const std::function<std::vector<Tensor>(Device)>& op) {
  try {
    std::vector<Tensor> cpu = op(kCpu), gpu = op(kGpu);
    for (size_t i = 0; i < cpu.size(); ++i)
      expectClose(what + "[" + std::to_string(i) + "]", cpu[i], gpu[i], tol);
  } catch (const std::exception& e) {
    std::printf("FAIL %s: threw %s\n", what.c_str(), e.what());
    ++gFailures;
  }
}

std::vector<float> randomFloats(int64_t n, uint32_t seed, float lo = -2, float hi = 2) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(gen);
  return v;
}

Tensor floats(Device d, const Shape& shape, uint32_t seed, float lo = -2, float hi = 2) {
  std::vector<float> v = randomFloats(numel(shape), seed, lo, hi);
  return ops::fromHost(v.data(), static_cast<int64_t>(v.size()), DType::Float32, shape, d);
}

Tensor ints(Device d, const Shape& shape, const std::vector<int32_t>& v) {
  return ops::fromHost(v.data(), static_cast<int64_t>(v.size()), DType::Int32, shape, d);
}

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

/** Waits until the device's stream worker has run every task queued so far (not their kernels). */
void drainQueue(Device d) {
  std::promise<void> reached;
  streamFor(d).submit("marker", {}, [&reached] { reached.set_value(); });
  reached.get_future().wait();
}

/**
 * Queues a few hundred milliseconds of GPU work (a chain of 4096^2 matmuls) and returns once the
 * worker has queued it on the GPU, so the GPU is still busy with it. Reading the result waits for
 * all of it.
 */
Tensor keepGpuBusy() {
  Tensor w = ops::full({4096, 4096}, 1.0 / 4096, DType::Float32, kGpu);
  Tensor x = w;
  for (int i = 0; i < 200; ++i) x = ops::matmul(x, w);
  drainQueue(kGpu);
  return x;
}

/** Counts a check; prints and counts a failure unless `ok`. */
void expect(bool ok, const std::string& what) {
  ++gChecks;
  if (!ok) {
    std::printf("FAIL %s\n", what.c_str());
    ++gFailures;
  }
}

/** The transpose of a 2-D or 3-D tensor's last two dims, as a view. */
Tensor transposed(const Tensor& t) {
  Shape s = t.shape;
  Strides st = t.strides;
  std::swap(s[s.size() - 1], s[s.size() - 2]);
  std::swap(st[st.size() - 1], st[st.size() - 2]);
  return ops::view(t, s, st, t.offset);
}

void testLayout() {
  both("contiguous of a transposed view", 0, [](Device d) {
    return std::vector<Tensor>{ops::contiguous(transposed(floats(d, {3, 4, 5}, 1)))};
  });
  both("cast float32 <-> int32", 0, [](Device d) {
    Tensor x = floats(d, {4, 6}, 2, -3e9f, 3e9f);
    Tensor i = ops::cast(x, DType::Int32);
    return std::vector<Tensor>{i, ops::cast(transposed(i), DType::Float32)};
  });
  both("concat", 0, [](Device d) {
    return std::vector<Tensor>{ops::concat({floats(d, {2, 3}, 3), floats(d, {2, 1}, 4)}, 1)};
  });
  both("toDevice round trip", 0, [](Device d) {
    Tensor x = floats(d, {5, 7}, 5);
    Tensor other = ops::toDevice(transposed(x), d == kCpu ? kGpu : kCpu);
    return std::vector<Tensor>{ops::toDevice(other, d)};
  });
}

void testElementwise() {
  for (BinaryOp op : {BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Div}) {
    both(std::string("binary ") + opName(op) + " broadcast", 1e-6, [op](Device d) {
      return std::vector<Tensor>{
          ops::binary(op, floats(d, {4, 1, 3}, 6), transposed(floats(d, {3, 5}, 7, 0.5f, 2)))};
    });
  }
  for (BinaryOp op : {BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul}) {
    both(std::string("binary int32 ") + opName(op) + " (wraps)", 0, [op](Device d) {
      Tensor a = ints(d, {4}, {2147483647, -5, 70000, 3});
      Tensor b = ints(d, {1}, {65536});
      return std::vector<Tensor>{ops::binary(op, a, b)};
    });
  }
  for (UnaryOp op :
       {UnaryOp::Neg, UnaryOp::Tanh, UnaryOp::Sigmoid, UnaryOp::Relu, UnaryOp::Exp, UnaryOp::Log}) {
    both(std::string("unary ") + opName(op), 1e-5, [op](Device d) {
      bool positive = op == UnaryOp::Log;
      Tensor x = transposed(floats(d, {6, 5}, 8, positive ? 0.1f : -2, 2));
      Tensor y = ops::unary(op, x);
      Tensor g = floats(d, {5, 6}, 9);
      bool savesOutput = op == UnaryOp::Tanh || op == UnaryOp::Sigmoid || op == UnaryOp::Exp;
      return std::vector<Tensor>{y, ops::unaryBackward(op, g, savesOutput ? y : x)};
    });
  }
  both("unary neg int32", 0, [](Device d) {
    return std::vector<Tensor>{ops::unary(UnaryOp::Neg, ints(d, {3}, {INT32_MIN, 0, 7}))};
  });
  both("dropout (same mask on both devices)", 0, [](Device d) {
    ops::DropoutResult r = ops::dropout(transposed(floats(d, {40, 30}, 10)), 0.3, 42);
    return std::vector<Tensor>{r.output, r.mask};
  });
}

void testReductions() {
  struct Case {
    ReduceOp op;
    std::vector<int64_t> axes;
    bool keep;
  };
  for (const Case& c : std::vector<Case>{{ReduceOp::Sum, {1}, false},
                                         {ReduceOp::Sum, {0, 2}, true},
                                         {ReduceOp::Sum, {}, false},
                                         {ReduceOp::Mean, {-1}, false},
                                         {ReduceOp::Max, {1}, true},
                                         {ReduceOp::Max, {}, false}}) {
    both(std::string("reduce ") + opName(c.op) + " axes " + shapeToString(c.axes), 1e-5,
         [&c](Device d) {
           Tensor x = transposed(floats(d, {3, 5, 4}, 11));
           // Ties, so max's gradient must pick the first maximum.
           Tensor tied = ops::binary(
               BinaryOp::Mul,
               ops::cast(
                   ops::cast(ops::binary(BinaryOp::Mul, x, ops::full({}, 2, DType::Float32, d)),
                             DType::Int32),
                   DType::Float32),
               ops::full({}, 0.5, DType::Float32, d));
           std::vector<Tensor> out{ops::reduce(c.op, tied, c.axes, c.keep)};
           if (c.op == ReduceOp::Max) {
             Tensor g =
                 ops::binary(BinaryOp::Add, ops::full(out[0].shape, 1, DType::Float32, d), out[0]);
             out.push_back(ops::maxBackward(g, tied, c.axes, c.keep));
           }
           return out;
         });
  }
  both("reduce over many small groups (one thread per output)", 1e-5, [](Device d) {
    Tensor x = floats(d, {64, 20, 5}, 46);
    Tensor i = ints(d, {1200, 2}, std::vector<int32_t>(2400, 7));
    return std::vector<Tensor>{ops::reduce(ReduceOp::Sum, x, {-1}, false),
                               ops::reduce(ReduceOp::Max, x, {2}, true),
                               ops::reduce(ReduceOp::Mean, transposed(x), {1}, false),
                               ops::reduce(ReduceOp::Sum, i, {1}, false)};
  });
  both("reduce sum int32", 0, [](Device d) {
    return std::vector<Tensor>{
        ops::reduce(ReduceOp::Sum, ints(d, {2, 3}, {2147483647, 1, 5, -3, 4, 9}), {0}, false)};
  });
  for (int64_t axis : {0, -1}) {
    for (bool log : {false, true}) {
      both(std::string(log ? "logSoftmax" : "softmax") + " axis " + std::to_string(axis), 1e-5,
           [=](Device d) {
             Tensor x = transposed(floats(d, {5, 4, 6}, 12));
             Tensor y = ops::softmax(x, axis, log);
             return std::vector<Tensor>{y,
                                        ops::softmaxBackward(floats(d, y.shape, 13), y, axis, log)};
           });
    }
  }
}

void testMatmul() {
  both("matmul batched, b broadcast", 1e-5, [](Device d) {
    return std::vector<Tensor>{ops::matmul(floats(d, {2, 3, 4}, 14), floats(d, {4, 5}, 15))};
  });
  both("matmul broadcast batch dims, transposed views", 1e-5, [](Device d) {
    Tensor a = transposed(floats(d, {3, 1, 6, 4}, 16));  // [3, 1, 4, 6]
    Tensor b = floats(d, {2, 6, 5}, 17);
    return std::vector<Tensor>{ops::matmul(a, b),
                               ops::matmul(b, transposed(floats(d, {7, 5}, 18)))};
  });
  both("matmul k = 0", 0, [](Device d) {
    return std::vector<Tensor>{ops::matmul(floats(d, {3, 0}, 19), floats(d, {0, 2}, 20))};
  });
}

void testIndexing() {
  std::vector<int32_t> idx{1, 2, 2, 9, 0, 2, 7, 1, 1, 5, 3, 2, 8, 2, 4};
  both("gather", 0, [&](Device d) {
    return std::vector<Tensor>{
        ops::gather(transposed(floats(d, {4, 10}, 21)), transposed(ints(d, {5, 3}, idx)))};
  });
  both("gatherBackward (deterministic scatter-add, paddingIdx)", 0, [&](Device d) {
    Tensor indices = ints(d, {3, 5}, idx);
    Tensor grad = transposed(floats(d, {3, 4, 5}, 22));  // [3, 5, 4]
    return std::vector<Tensor>{ops::gatherBackward(grad, indices, 10),
                               ops::gatherBackward(grad, indices, 10, 2)};
  });
  for (Reduction reduction : {Reduction::Mean, Reduction::Sum, Reduction::None}) {
    both(std::string("crossEntropy ") + opName(reduction), 1e-5, [=](Device d) {
      CrossEntropyOptions o;
      o.reduction = reduction;
      o.labelSmoothing = 0.1;
      o.lengths = std::vector<int32_t>{4, 2};
      Tensor logits = floats(d, {2, 4, 7}, 23, -4, 4);
      Tensor targets = ints(d, {2, 4}, {0, 6, -100, 3, 2, 5, 99, 99});
      ops::CrossEntropyResult r = ops::crossEntropy(logits, targets, o);
      Tensor gradLoss = reduction == Reduction::None ? floats(d, {2, 4}, 24)
                                                     : ops::full({}, 1.5, DType::Float32, d);
      return std::vector<Tensor>{r.loss, r.logProbs,
                                 ops::crossEntropyBackward(gradLoss, r.logProbs, targets, o)};
    });
  }
}

void testOptimizers() {
  struct Case {
    OptimizerKind kind;
    OptimizerHyper hyper;
  };
  std::vector<Case> cases(5);
  cases[0].kind = OptimizerKind::Sgd;
  cases[0].hyper.lr = 0.1, cases[0].hyper.momentum = 0.9, cases[0].hyper.nesterov = true,
  cases[0].hyper.weightDecay = 0.01;
  cases[1].kind = OptimizerKind::Adam;
  cases[1].hyper.lr = 0.01, cases[1].hyper.weightDecay = 0.01;
  cases[2].kind = OptimizerKind::AdamW;
  cases[2].hyper.lr = 0.01, cases[2].hyper.weightDecay = 0.1, cases[2].hyper.maximize = true;
  cases[3].kind = OptimizerKind::RmsProp;
  cases[3].hyper.lr = 0.01, cases[3].hyper.momentum = 0.9, cases[3].hyper.centered = true;
  cases[4].kind = OptimizerKind::Adagrad;
  cases[4].hyper.lr = 0.1, cases[4].hyper.lrDecay = 0.01;
  for (const Case& c : cases) {
    both(std::string("optimizerStep ") + optimizerKindName(c.kind) + " (3 steps, one launch each)",
         1e-6, [&c](Device d) {
           std::vector<Tensor> params{floats(d, {3, 4}, 25), floats(d, {5}, 26)};
           std::vector<std::vector<Tensor>> states(2);
           size_t stateCount = optimizerStateNames(c.kind, c.hyper).size();
           for (size_t p = 0; p < 2; ++p) {
             for (size_t s = 0; s < stateCount; ++s)
               states[p].push_back(ops::full(params[p].shape, 0, DType::Float32, d));
           }
           for (int64_t step = 1; step <= 3; ++step) {
             std::vector<ParamUpdate> updates;
             for (size_t p = 0; p < 2; ++p) {
               // The first parameter's gradient is a transposed view (not contiguous).
               Tensor g =
                   p == 0 ? transposed(floats(d, {4, 3}, 27 + step)) : floats(d, {5}, 30 + step);
               updates.push_back(ParamUpdate{params[p], g, states[p], step});
             }
             ops::optimizerStep(c.kind, c.hyper, updates);
           }
           std::vector<Tensor> out = params;
           for (const auto& s : states) out.insert(out.end(), s.begin(), s.end());
           return out;
         });
  }
  for (double normType : std::vector<double>{2.0, 1.0, INFINITY}) {
    both("clipGradNorm p=" + std::to_string(normType), 1e-6, [=](Device d) {
      std::vector<Tensor> grads{transposed(floats(d, {3, 4}, 40)), floats(d, {6}, 41)};
      Tensor norm = ops::clipGradNorm(grads, 0.5, normType);
      return std::vector<Tensor>{norm, grads[0], grads[1]};
    });
  }
  both("clampInPlace", 0, [](Device d) {
    Tensor t = floats(d, {4, 5}, 42);
    ops::clampInPlace({transposed(t)}, -0.5, 0.75);
    return std::vector<Tensor>{t};
  });
}

void testPoisoning() {
  ++gChecks;
  Tensor x = floats(kGpu, {3}, 43);
  ops::injectFault(kGpu, "injected");
  bool rejected = false;
  try {
    values(x);
  } catch (const Error& e) {
    rejected = std::string(e.what()).find("injected") != std::string::npos;
  }
  bool usable = values(x).size() == 3;  // the poison was taken by the first read
  if (!rejected || !usable) {
    std::printf("FAIL poisoning: rejected %d, usable afterwards %d\n", rejected, usable);
    ++gFailures;
  }
}

/** The failure a read of t reports (nothing when it succeeds). */
std::optional<Error> readFailure(const Tensor& t) {
  try {
    values(t);
  } catch (const Error& e) {
    return e;
  }
  return std::nullopt;
}

std::optional<Error> syncFailure(Device d) {
  std::promise<std::optional<Error>> finished;
  ops::sync(d, [&](std::optional<Error> failure) { finished.set_value(std::move(failure)); });
  return finished.get_future().get();
}

/** The RK_INDEX error `op` throws at once on the CPU (ready indices), or "" if it throws none. */
std::string cpuIndexError(const std::function<void(Device)>& op) {
  try {
    op(kCpu);
  } catch (const Error& e) {
    if (e.code() == Error::Code::Index) return e.message();
  }
  return "";
}

/** `failure` is exactly the RK_INDEX error `want` (non-empty). */
void expectIndexError(const std::string& what, const std::optional<Error>& failure,
                      const std::string& want) {
  bool same = failure && failure->code() == Error::Code::Index && failure->message() == want;
  expect(same && !want.empty(),
         what + ": got " +
             (failure ? str(errorCodeName(failure->code()), " '", failure->message(), "'")
                      : std::string("no error")) +
             ", want RK_INDEX '" + want + "'");
}

// GPU index checks run on the device: the op's task does not wait for the GPU, and the first bad
// element (lowest position, respecting ignoreIndex and lengths) surfaces at the next read or sync
// as the same RK_INDEX error the CPU throws; kernels stay memory-safe with any index value.
void testIndexChecksOnDevice() {
  auto badGather = [](Device d) {
    return ops::gather(floats(d, {10, 4}, 50), ints(d, {2, 2}, {0, 1, 12, -1}));
  };
  std::string gatherError = cpuIndexError([&](Device d) { badGather(d); });
  expect(gatherError == "gather: indices[1, 0] = 12 is out of range [0, 10)",
         "index check: the CPU's message is '" + gatherError + "'");
  {
    Tensor busy = keepGpuBusy();
    Clock::time_point queued = Clock::now();
    Tensor g = badGather(kGpu);
    drainQueue(kGpu);  // gather's task (its check and kernel) has run
    double checked = msSince(queued);
    std::optional<Error> failure = readFailure(g);
    double busyFor = msSince(queued);
    expect(busyFor > 100, "index check: the GPU was busy for " + std::to_string(busyFor) +
                              " ms only (the test needs > 100 ms)");
    expect(checked < busyFor / 4, "index check: gather's task took " + std::to_string(checked) +
                                      " ms of the GPU's busy " + std::to_string(busyFor) +
                                      " ms: the check waited for the GPU");
    expectIndexError("index check: gather read", failure, gatherError);
    expect(!readFailure(g), "index check: a second read failed again (the failure was kept)");
  }
  {
    // Many threads find bad elements; the lowest position is reported.
    std::vector<int32_t> idx(100000);
    for (size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<int32_t>(i % 10);
    idx[70000] = 99;
    idx[12345] = -7;
    auto op = [&](Device d) { ops::gather(floats(d, {10, 3}, 51), ints(d, {100, 1000}, idx)); };
    std::string want = cpuIndexError(op);
    Tensor g = ops::gather(floats(kGpu, {10, 3}, 51), ints(kGpu, {100, 1000}, idx));
    expectIndexError("index check: lowest bad position", readFailure(g), want);
  }
  {
    auto op = [](Device d) {
      return ops::gatherBackward(floats(d, {3, 2}, 52), ints(d, {3}, {4, 1, 5}), 5);
    };
    std::string want = cpuIndexError([&](Device d) { op(d); });
    Tensor g = op(kGpu);
    expectIndexError("index check: gatherBackward, then sync", syncFailure(kGpu), want);
    expect(!readFailure(g), "index check: the read after the sync that took the failure failed");
  }
  CrossEntropyOptions lengths;
  lengths.lengths = std::vector<int32_t>{4, 2};
  {
    // Past each length anything goes, and ignoreIndex is skipped: no failure.
    Tensor logits = floats(kGpu, {2, 4, 7}, 53);
    Tensor targets = ints(kGpu, {2, 4}, {0, 6, -100, 3, 2, 5, 99, -99});
    ops::CrossEntropyResult r = ops::crossEntropy(logits, targets, lengths);
    Tensor back = ops::crossEntropyBackward(ops::full({}, 1, DType::Float32, kGpu), r.logProbs,
                                            targets, lengths);
    std::optional<Error> failure = readFailure(back);
    expect(!failure, "index check: crossEntropy with ignored and padded targets failed: " +
                         (failure ? failure->message() : std::string()));
  }
  auto badTargets = [&](Device d) {
    return ops::crossEntropy(floats(d, {2, 4, 7}, 54), ints(d, {2, 4}, {0, 1, 2, 3, 7, 5, 99, 99}),
                             lengths)
        .loss;
  };
  std::string targetsError = cpuIndexError([&](Device d) { badTargets(d); });
  expect(targetsError ==
             "crossEntropy: targets[1, 0] = 7 is out of range [0, 7) and is not ignoreIndex (-100)",
         "index check: the CPU's crossEntropy message is '" + targetsError + "'");
  expectIndexError("index check: crossEntropy with lengths", readFailure(badTargets(kGpu)),
                   targetsError);
  {
    // Two failing checks before a read: the first is reported, the second dropped with it.
    Tensor first = badGather(kGpu);
    Tensor second = badTargets(kGpu);
    expectIndexError("index check: the first of two failures", readFailure(second), gatherError);
    expect(!readFailure(second), "index check: the second failure outlived the first's read");
    expectIndexError("index check: a later failure is found again", readFailure(badGather(kGpu)),
                     gatherError);
  }
  {
    // Far out of range: an unchecked kernel would read far outside the table and fault.
    Tensor table = floats(kGpu, {10, 4}, 55);
    Tensor far = ints(kGpu, {4}, {1 << 30, -(1 << 30), INT32_MAX, INT32_MIN});
    Tensor g = ops::gather(table, far);
    Tensor gb = ops::gatherBackward(floats(kGpu, {4, 4}, 56), far, 10);
    Tensor ce = ops::crossEntropy(floats(kGpu, {4, 10}, 57), far, CrossEntropyOptions{}).loss;
    std::optional<Error> failure = readFailure(ce);
    expect(failure && failure->code() == Error::Code::Index,
           "index check: far out-of-range indices gave " +
               (failure ? failure->message() : std::string("no error")) + ", not RK_INDEX");
    std::optional<Error> after =
        readFailure(ops::binary(BinaryOp::Add, floats(kGpu, {4}, 58), floats(kGpu, {4}, 59)));
    expect(!after, "index check: the device is unusable after far out-of-range indices: " +
                       (after ? after->message() : std::string()));
  }
}

// Uploads go through pinned staging: upload returns without waiting for a busy GPU, the host
// buffer may be overwritten and freed at once, and uploads beyond the ring's capacity (chunked,
// wrapping around) arrive intact.
void testPinnedUpload() {
  std::vector<std::vector<float>> want;
  for (uint32_t i = 0; i < 8; ++i) want.push_back(randomFloats(1 << 19, 100 + i));  // 2 MiB each
  std::vector<Tensor> uploads;
  Tensor busy = keepGpuBusy();
  Clock::time_point queued = Clock::now();
  // Small uploads within the ring's capacity while the GPU is busy: none may wait for it.
  double slowest = 0;
  for (const std::vector<float>& data : want) {
    auto host = std::make_unique<std::vector<float>>(data);
    Clock::time_point start = Clock::now();
    uploads.push_back(ops::fromHost(host->data(), static_cast<int64_t>(host->size()),
                                    DType::Float32, {1 << 19}, kGpu));
    slowest = std::max(slowest, msSince(start));
    std::fill(host->begin(), host->end(), -1.0f);  // overwritten, then freed, right away
    host.reset();
  }
  double uploaded = msSince(queued);
  values(busy);
  double busyFor = msSince(queued);
  expect(busyFor > 100, "pinned upload: the GPU was busy for " + std::to_string(busyFor) +
                            " ms only (the test needs > 100 ms)");
  expect(uploaded < busyFor / 4, "pinned upload: 8 uploads of 2 MiB took " +
                                     std::to_string(uploaded) + " ms of the GPU's busy " +
                                     std::to_string(busyFor) + " ms (slowest " +
                                     std::to_string(slowest) + " ms): they waited for the GPU");
  // More than the ring holds, in one upload and in many that wrap around it.
  for (int64_t n : {int64_t{20} << 20, int64_t{3} << 20, int64_t{5} << 18, int64_t{7}}) {
    for (int repeat = 0; repeat < 3; ++repeat) {
      auto host =
          std::make_unique<std::vector<float>>(randomFloats(n, static_cast<uint32_t>(n + repeat)));
      want.push_back(*host);
      uploads.push_back(ops::fromHost(host->data(), n, DType::Float32, {n}, kGpu));
      std::fill(host->begin(), host->end(), -1.0f);
      host.reset();
    }
  }
  for (size_t i = 0; i < uploads.size(); ++i) {
    std::vector<double> got = values(uploads[i]);
    bool same = got.size() == want[i].size() &&
                std::equal(got.begin(), got.end(), want[i].begin(),
                           [](double g, float w) { return g == static_cast<double>(w); });
    expect(same, "pinned upload: upload " + std::to_string(i) + " (" +
                     std::to_string(want[i].size()) + " floats) arrived changed");
  }
}

// When cuDNN or cuBLAS cannot allocate, the call runs again once the pool's cached blocks went
// back to the driver: the pool keeps every freed block, which their own cudaMalloc cannot use.
void testReleaseCachedMemory() {
  cuda::CudaContext context;
  context.device = 0;
  CUDA_CHECK(cudaStreamCreate(&context.stream));
  CUDA_CHECK(cudaDeviceGetDefaultMemPool(&context.pool, 0));
  // Fills the GPU through the pool (the backend's too) in 1 GiB blocks, then frees them: the pool
  // keeps them all. Returns how many it took.
  const size_t GiB = size_t{1} << 30;
  auto hoard = [&] {
    std::vector<void*> blocks;
    for (void* block = nullptr; cudaMallocAsync(&block, GiB, context.stream) == cudaSuccess;) {
      blocks.push_back(block);
    }
    cudaGetLastError();
    for (void* block : blocks) CUDA_CHECK(cudaFreeAsync(block, context.stream));
    CUDA_CHECK(cudaStreamSynchronize(context.stream));
    return blocks.size();
  };
  size_t hoarded = hoard();
  // What cuDNN and cuBLAS do inside: a plain cudaMalloc, which fails while the pool holds it all.
  int calls = 0;
  auto libraryCall = [&] {
    ++calls;
    void* data = nullptr;
    if (cudaMalloc(&data, 2 * GiB) != cudaSuccess) {
      cudaGetLastError();
      return CUBLAS_STATUS_ALLOC_FAILED;
    }
    cudaFree(data);
    return CUBLAS_STATUS_SUCCESS;
  };
  bool heldByPool = libraryCall() == CUBLAS_STATUS_ALLOC_FAILED;
  expect(heldByPool && hoarded > 4, "memory retry: the pool did not hold the GPU's memory (" +
                                        std::to_string(hoarded) +
                                        " GiB cached); the test needs it to");
  calls = 0;
  cublasStatus_t status = context.retryOutOfMemory(libraryCall);
  expect(status == CUBLAS_STATUS_SUCCESS && calls == 2,
         "memory retry: a cuBLAS-like call out of memory ran " + std::to_string(calls) +
             " times, last status " + std::to_string(static_cast<int>(status)) +
             " (want: 2 runs, success after the release)");
  calls = 0;
  cudnnStatus_t cudnnStatus = context.retryOutOfMemory([&] {
    return ++calls == 1 ? CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED
                        : CUDNN_STATUS_SUCCESS;
  });
  expect(cudnnStatus == CUDNN_STATUS_SUCCESS && calls == 2,
         "memory retry: a cuDNN call out of device memory is run again");
  calls = 0;
  context.retryOutOfMemory([&] {
    ++calls;
    return CUDNN_STATUS_BAD_PARAM;
  });
  expect(calls == 1, "memory retry: a call failing otherwise is not run again");
  // The backend's own allocations: with the GPU held in cached 1 GiB blocks, a 4 GiB tensor.
  hoard();
  std::optional<Error> failure;
  try {
    Tensor big = ops::full({int64_t{1} << 30}, 1, DType::Float32, kGpu);
    failure = readFailure(ops::reduce(ReduceOp::Max, big, {}, false));
  } catch (const Error& e) {
    failure = e;
  }
  expect(!failure, "memory retry: a 4 GiB tensor next to a pool of cached blocks failed: " +
                       (failure ? failure->message() : std::string()));
  context.releaseCachedMemory();
  CUDA_CHECK(cudaStreamDestroy(context.stream));
}

void testOutOfMemory() {
  ++gChecks;
  bool typed = false;
  try {
    ops::full({int64_t{1} << 42}, 0, DType::Float32, kGpu);  // 16 TiB
  } catch (const Error& e) {
    typed = e.code() == Error::Code::OutOfMemory;
  }
  bool usable =
      values(ops::binary(BinaryOp::Add, floats(kGpu, {4}, 44), floats(kGpu, {4}, 45))).size() == 4;
  if (!typed || !usable) {
    std::printf("FAIL out of memory: RK_OUT_OF_MEMORY %d, usable afterwards %d\n", typed, usable);
    ++gFailures;
  }
}

}  // namespace

int main() {
  if (int code = test::gpuGate("backend_test"); code >= 0) return code;
  testLayout();
  testElementwise();
  testReductions();
  testMatmul();
  testIndexing();
  testOptimizers();
  testPoisoning();
  testIndexChecksOnDevice();
  testPinnedUpload();
  testReleaseCachedMemory();
  testOutOfMemory();
  std::printf("%d of %d checks failed\n", gFailures, gChecks);
  shutdownStreams();
  return gFailures == 0 ? 0 : 1;
}
