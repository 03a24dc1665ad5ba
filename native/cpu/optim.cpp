// Optimizer steps and gradient clipping on the CPU, in place.
//
// The updates follow torch.optim's single-tensor CPU code operation by operation, in float32,
// with each scalar hyperparameter rounded to float32 where torch rounds it (a Python float
// multiplied into a float32 tensor) and computed in double where torch computes it in Python
// (bias corrections, step sizes). torch's CPU kernels fuse `a + s*b` (add with alpha, addcmul,
// lerp) into one fused multiply-add; std::fmaf does the same here, so the roundings agree.
#include <cmath>
#include <limits>

#include "cpu/cpu_backend.h"
#include "cpu/strided_loop.h"

namespace rk::cpu {

namespace {

inline float fma(float a, float b, float c) { return std::fmaf(a, b, c); }

/** torch.lerp(self, end, weight) as ATen computes it (two formulas, by the weight's size). */
inline float lerp(float self, float end, float weight) {
  float diff = end - self;
  return std::fabs(weight) < 0.5f ? fma(weight, diff, self) : fma(-diff, 1.0f - weight, end);
}

/** elem(i, g) over a contiguous gradient: a plain loop the compiler can vectorise. */
template <class Elem>
void contiguousLoop(int64_t n, const float* grad, bool maximize, bool parallel, const Elem& elem) {
#pragma omp parallel if (parallel)
  {
    // A private copy of the kernel (its pointers and constants): stores through the parameter
    // cannot alias it, so the loop vectorises.
    const Elem kernel = elem;
    const float sign = maximize ? -1.0f : 1.0f;
#pragma omp for schedule(static)
    for (int64_t i = 0; i < n; ++i) kernel(i, sign * grad[i]);
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
// The same loop compiled for AVX2 + FMA (picked at run time): std::fmaf becomes one instruction
// instead of a call into libm. Both give the same, exactly rounded, results.
template <class Elem>
__attribute__((target("avx2,fma"))) void contiguousLoopFma(int64_t n, const float* grad,
                                                           bool maximize, bool parallel,
                                                           const Elem& elem) {
#pragma omp parallel if (parallel)
  {
    // A private copy of the kernel (its pointers and constants): stores through the parameter
    // cannot alias it, so the loop vectorises.
    const Elem kernel = elem;
    const float sign = maximize ? -1.0f : 1.0f;
#pragma omp for schedule(static)
    for (int64_t i = 0; i < n; ++i) kernel(i, sign * grad[i]);
  }
}

bool hasFma() {
  static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return yes;
}
#endif

/**
 * Calls elem(i, g) for every element of a parameter: i its index in the (contiguous) parameter
 * and its states, g its gradient (negated when maximizing), on OpenMP threads when large.
 */
template <class Elem>
void forEachElement(const ParamUpdate& u, bool maximize, int64_t cost, Elem elem) {
  const float* grad = u.grad.data<const float>();
  if (u.grad.isContiguous()) {
    int64_t n = u.param.numel();
    bool parallel = worthThreads(n * cost);
#if defined(__x86_64__) && defined(__GNUC__)
    if (hasFma()) return contiguousLoopFma(n, grad, maximize, parallel, elem);
#endif
    return contiguousLoop(n, grad, maximize, parallel, elem);
  }
  StridedLoop<2> loop(u.param.shape, {contiguousStrides(u.param.shape), u.grad.strides});
  loop.forEachRun(
      [&](const Offsets<2>& start, int64_t count, const Offsets<2>& step) {
        const float* g = grad + start[1];
        for (int64_t k = 0; k < count; ++k) {
          float gk = g[k * step[1]];
          elem(start[0] + k * step[0], maximize ? -gk : gk);
        }
      },
      cost);
}

void sgd(const OptimizerHyper& h, const ParamUpdate& u) {
  float* p = u.param.data<float>();
  float* buf = u.states.empty() ? nullptr : u.states[0].data<float>();
  const float wd = static_cast<float>(h.weightDecay);
  const float momentum = static_cast<float>(h.momentum);
  const float keep = static_cast<float>(1.0 - h.dampening);
  const float negLr = static_cast<float>(-h.lr);
  const bool first = u.step == 1;
  forEachElement(u, h.maximize, 4, [=](int64_t i, float g) {
    if (h.weightDecay != 0) g = fma(wd, p[i], g);  // grad.add(param, alpha=wd)
    if (buf) {
      buf[i] = first ? g : fma(keep, g, buf[i] * momentum);  // buf.mul_(m).add_(g, alpha=1-d)
      g = h.nesterov ? fma(momentum, buf[i], g) : buf[i];    // grad.add(buf, alpha=m)
    }
    p[i] = fma(negLr, g, p[i]);  // param.add_(g, alpha=-lr)
  });
}

void adam(bool decoupled, const OptimizerHyper& h, const ParamUpdate& u) {
  float* p = u.param.data<float>();
  float* m = u.states[0].data<float>();
  float* v = u.states[1].data<float>();
  const double step = static_cast<double>(u.step);
  const double bc1 = 1 - std::pow(h.beta1, step);
  const double bc2 = 1 - std::pow(h.beta2, step);
  const float decay = static_cast<float>(1 - h.lr * h.weightDecay);
  const float wd = static_cast<float>(h.weightDecay);
  const float w1 = static_cast<float>(1 - h.beta1);
  const float beta2 = static_cast<float>(h.beta2);
  const float w2 = static_cast<float>(1 - h.beta2);
  const float bc2Sqrt = static_cast<float>(std::sqrt(bc2));
  const float eps = static_cast<float>(h.eps);
  const float negStepSize = static_cast<float>(-(h.lr / bc1));
  const bool decay0 = h.weightDecay != 0;
  forEachElement(u, h.maximize, 12, [=](int64_t i, float g) {
    if (decay0) {
      if (decoupled)
        p[i] = p[i] * decay;  // param.mul_(1 - lr*wd)
      else
        g = fma(wd, p[i], g);  // grad.add(param, alpha=wd)
    }
    m[i] = lerp(m[i], g, w1);                       // exp_avg.lerp_(g, 1-b1)
    v[i] = fma(w2 * g, g, v[i] * beta2);            // .mul_(b2).addcmul_(g, g, 1-b2)
    float denom = std::sqrt(v[i]) / bc2Sqrt + eps;  // (sqrt(v)/sqrt(bc2)).add_(eps)
    p[i] = p[i] + (negStepSize * m[i]) / denom;     // addcdiv_(m, denom, -lr/bc1)
  });
}

void rmsprop(const OptimizerHyper& h, const ParamUpdate& u) {
  float* p = u.param.data<float>();
  float* sq = u.states[0].data<float>();
  size_t next = 1;
  float* buf = h.momentum > 0 ? u.states[next++].data<float>() : nullptr;
  float* avgG = h.centered ? u.states[next++].data<float>() : nullptr;
  const float wd = static_cast<float>(h.weightDecay);
  const float alpha = static_cast<float>(h.alpha);
  const float w = static_cast<float>(1 - h.alpha);
  const float eps = static_cast<float>(h.eps);
  const float momentum = static_cast<float>(h.momentum);
  const float negLr = static_cast<float>(-h.lr);
  const bool decay0 = h.weightDecay != 0;
  forEachElement(u, h.maximize, 12, [=](int64_t i, float g) {
    if (decay0) g = fma(wd, p[i], g);
    sq[i] = fma(w * g, g, sq[i] * alpha);  // .mul_(a).addcmul_(g, g, 1-a)
    float avg;
    if (avgG) {
      avgG[i] = lerp(avgG[i], g, w);                   // grad_avg.lerp_(g, 1-a)
      avg = std::sqrt(fma(-avgG[i], avgG[i], sq[i]));  // sq.addcmul(ga, ga, -1).sqrt_()
    } else {
      avg = std::sqrt(sq[i]);
    }
    avg = avg + eps;
    if (buf) {
      buf[i] = buf[i] * momentum + g / avg;  // buf.mul_(m).addcdiv_(g, avg)
      p[i] = fma(negLr, buf[i], p[i]);       // param.add_(buf, alpha=-lr)
    } else {
      p[i] = p[i] + (negLr * g) / avg;  // param.addcdiv_(g, avg, -lr)
    }
  });
}

void adagrad(const OptimizerHyper& h, const ParamUpdate& u) {
  float* p = u.param.data<float>();
  float* sum = u.states[0].data<float>();
  const double clr = h.lr / (1 + static_cast<double>(u.step - 1) * h.lrDecay);
  const float negClr = static_cast<float>(-clr);
  const float wd = static_cast<float>(h.weightDecay);
  const float eps = static_cast<float>(h.eps);
  const bool decay0 = h.weightDecay != 0;
  forEachElement(u, h.maximize, 8, [=](int64_t i, float g) {
    if (decay0) g = fma(wd, p[i], g);
    sum[i] = fma(g, g, sum[i]);           // state_sum.addcmul_(g, g, 1)
    float std = std::sqrt(sum[i]) + eps;  // state_sum.sqrt().add_(eps)
    p[i] = p[i] + (negClr * g) / std;     // param.addcdiv_(g, std, -clr)
  });
}

/** Sum of |x|^p over a view (p = 1, 2 or another finite p), in double. */
double powerSum(const Tensor& t, double p) {
  StridedLoop<1> loop(t.shape, {t.strides});
  const float* x = t.data<const float>();
  return loop.sumRuns<double>(
      [&](const Offsets<1>& start, int64_t count, const Offsets<1>& step) {
        double acc = 0;
        const float* q = x + start[0];
        for (int64_t k = 0; k < count; ++k) {
          double a = std::fabs(static_cast<double>(q[k * step[0]]));
          acc += p == 2 ? a * a : p == 1 ? a : std::pow(a, p);
        }
        return acc;
      },
      true);
}

/** max |x| over a view; NaN when any element is NaN (as torch's inf-norm). */
double maxAbs(const Tensor& t) {
  StridedLoop<1> loop(t.shape, {t.strides});
  const float* x = t.data<const float>();
  double result = 0;
  loop.forEachRun([&](const Offsets<1>& start, int64_t count, const Offsets<1>& step) {
    double local = 0;
    for (int64_t k = 0; k < count; ++k) {
      double a = std::fabs(static_cast<double>(x[start[0] + k * step[0]]));
      if (!(a <= local)) local = a;  // keeps NaN
    }
#pragma omp critical(rk_max_abs)
    if (!(local <= result)) result = local;
  });
  return result;
}

/** Applies f to every element of a view in place. */
template <class F>
void updateInPlace(const Tensor& t, F f) {
  mapElements(t.shape, f, Operand<float>{t.data<float>(), t.strides},
              Operand<const float>{t.data<const float>(), t.strides});
}

}  // namespace

void CpuBackend::optimizerStep(OptimizerKind kind, const OptimizerHyper& hyper,
                               const std::vector<ParamUpdate>& updates) {
  for (const ParamUpdate& u : updates) {
    switch (kind) {
      case OptimizerKind::Sgd:
        sgd(hyper, u);
        break;
      case OptimizerKind::Adam:
        adam(false, hyper, u);
        break;
      case OptimizerKind::AdamW:
        adam(true, hyper, u);
        break;
      case OptimizerKind::RmsProp:
        rmsprop(hyper, u);
        break;
      case OptimizerKind::Adagrad:
        adagrad(hyper, u);
        break;
    }
  }
}

void CpuBackend::clipGradNorm(const std::vector<Tensor>& tensors, double maxNorm, double normType,
                              const Tensor& norm) {
  double total = 0;
  if (std::isinf(normType)) {
    for (const Tensor& t : tensors) {
      double m = maxAbs(t);
      if (!(m <= total)) total = m;
    }
  } else {
    for (const Tensor& t : tensors) total += powerSum(t, normType);
    total = normType == 2   ? std::sqrt(total)
            : normType == 1 ? total
                            : std::pow(total, 1 / normType);
  }
  const float totalNorm = static_cast<float>(total);
  *norm.data<float>() = totalNorm;
  if (std::isinf(maxNorm)) return;
  // torch: clip_coef = max_norm / (total_norm + 1e-6), i.e. reciprocal(total + 1e-6) * max_norm
  // in float32; then grads.mul_(clamp(clip_coef, max=1)).
  float coef = (1.0f / (totalNorm + 1e-6f)) * static_cast<float>(maxNorm);
  if (!(coef >= 1.0f)) {  // NaN scales too (every gradient becomes NaN, as in torch)
    for (const Tensor& t : tensors) updateInPlace(t, [coef](float x) { return x * coef; });
  }
}

void CpuBackend::clampInPlace(const std::vector<Tensor>& tensors, double min, double max) {
  // float bounds: -inf/inf stay infinite; finite ones round to the nearest float32 (as torch).
  const float lo = static_cast<float>(min);
  const float hi = static_cast<float>(max);
  for (const Tensor& t : tensors) {
    updateInPlace(t, [lo, hi](float x) { return x < lo ? lo : x > hi ? hi : x; });
  }
}

}  // namespace rk::cpu
