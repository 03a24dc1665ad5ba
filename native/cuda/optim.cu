// Optimizer steps over every parameter in ONE kernel launch (multi-tensor apply): the host lays
// out a table of parameters and a table of fixed-size chunks; each block updates one chunk. The
// per-element math is the CPU's optim.cpp operation by operation (torch.optim's order, float32,
// fused multiply-adds exactly where torch fuses them; the kernels are compiled with --fmad=false
// so nvcc adds no others), so both devices agree to the last bit or so.
#include <cmath>
#include <cstring>
#include <vector>

#include "cuda/device_buffer.h"
#include "cuda/kernels.h"
#include "cuda/launch.cuh"

namespace rk::cuda {

namespace {

constexpr int64_t kChunk = 16384;  // elements per block

/** One parameter: its buffers and the scalars that depend on its step count. */
struct ParamSlot {
  float* param;
  const float* grad;  // contiguous
  float* state[3];
  int64_t numel;
  float negStepSize;  // adam: -(lr / bc1); adagrad: -clr
  float bc2Sqrt;      // adam
  int first;          // sgd: step == 1
};

struct Chunk {
  int32_t slot;
  int64_t begin;
};

/** The hyperparameters, rounded to float32 where torch rounds them. */
struct Hyper {
  OptimizerKind kind;
  float lr, negLr, wd, decay, momentum, keep, w1, beta2, w2, eps, alpha, w;
  bool nesterov, maximize, decay0, hasMomentum, centered;
};

__device__ float lerp(float self, float end, float weight) {
  float diff = end - self;
  return fabsf(weight) < 0.5f ? fmaf(weight, diff, self) : fmaf(-diff, 1.0f - weight, end);
}

__device__ void updateElement(const Hyper& h, const ParamSlot& s, int64_t i) {
  float* p = s.param;
  float g = h.maximize ? -s.grad[i] : s.grad[i];
  switch (h.kind) {
    case OptimizerKind::Sgd: {
      float* buf = s.state[0];
      if (h.decay0) g = fmaf(h.wd, p[i], g);
      if (buf) {
        buf[i] = s.first ? g : fmaf(h.keep, g, buf[i] * h.momentum);
        g = h.nesterov ? fmaf(h.momentum, buf[i], g) : buf[i];
      }
      p[i] = fmaf(h.negLr, g, p[i]);
      return;
    }
    case OptimizerKind::Adam:
    case OptimizerKind::AdamW: {
      float* m = s.state[0];
      float* v = s.state[1];
      if (h.decay0) {
        if (h.kind == OptimizerKind::AdamW)
          p[i] = p[i] * h.decay;
        else
          g = fmaf(h.wd, p[i], g);
      }
      m[i] = lerp(m[i], g, h.w1);
      v[i] = fmaf(h.w2 * g, g, v[i] * h.beta2);
      float denom = sqrtf(v[i]) / s.bc2Sqrt + h.eps;
      p[i] = p[i] + (s.negStepSize * m[i]) / denom;
      return;
    }
    case OptimizerKind::RmsProp: {
      float* sq = s.state[0];
      float* buf = h.hasMomentum ? s.state[1] : nullptr;
      float* avgG = h.centered ? s.state[h.hasMomentum ? 2 : 1] : nullptr;
      if (h.decay0) g = fmaf(h.wd, p[i], g);
      sq[i] = fmaf(h.w * g, g, sq[i] * h.alpha);
      float avg;
      if (avgG) {
        avgG[i] = lerp(avgG[i], g, h.w);
        avg = sqrtf(fmaf(-avgG[i], avgG[i], sq[i]));
      } else {
        avg = sqrtf(sq[i]);
      }
      avg = avg + h.eps;
      if (buf) {
        buf[i] = buf[i] * h.momentum + g / avg;
        p[i] = fmaf(h.negLr, buf[i], p[i]);
      } else {
        p[i] = p[i] + (h.negLr * g) / avg;
      }
      return;
    }
    case OptimizerKind::Adagrad: {
      float* sum = s.state[0];
      if (h.decay0) g = fmaf(h.wd, p[i], g);
      sum[i] = fmaf(g, g, sum[i]);
      float std = sqrtf(sum[i]) + h.eps;
      p[i] = p[i] + (s.negStepSize * g) / std;
      return;
    }
  }
}

__global__ void multiTensorStepKernel(Hyper h, const ParamSlot* slots, const Chunk* chunks) {
  Chunk chunk = chunks[blockIdx.x];
  const ParamSlot slot = slots[chunk.slot];
  int64_t end = chunk.begin + kChunk < slot.numel ? chunk.begin + kChunk : slot.numel;
  for (int64_t i = chunk.begin + threadIdx.x; i < end; i += blockDim.x) updateElement(h, slot, i);
}

Hyper hyperOf(OptimizerKind kind, const OptimizerHyper& h) {
  Hyper out{};
  out.kind = kind;
  out.lr = static_cast<float>(h.lr);
  out.negLr = static_cast<float>(-h.lr);
  out.wd = static_cast<float>(h.weightDecay);
  out.decay = static_cast<float>(1 - h.lr * h.weightDecay);
  out.momentum = static_cast<float>(h.momentum);
  out.keep = static_cast<float>(1.0 - h.dampening);
  out.w1 = static_cast<float>(1 - h.beta1);
  out.beta2 = static_cast<float>(h.beta2);
  out.w2 = static_cast<float>(1 - h.beta2);
  out.eps = static_cast<float>(h.eps);
  out.alpha = static_cast<float>(h.alpha);
  out.w = static_cast<float>(1 - h.alpha);
  out.nesterov = h.nesterov;
  out.maximize = h.maximize;
  out.decay0 = h.weightDecay != 0;
  out.hasMomentum = h.momentum > 0;
  out.centered = h.centered;
  return out;
}

}  // namespace

void optimizerStepOp(CudaContext& context, OptimizerKind kind, const OptimizerHyper& hyper,
                     const std::vector<ParamUpdate>& updates) {
  std::vector<ParamSlot> slots;
  std::vector<Chunk> chunks;
  // Non-contiguous gradients are copied first; the copies live until the step is queued, and
  // their memory is freed in stream order after it.
  std::vector<Tensor> gradCopies;
  for (const ParamUpdate& u : updates) {
    int64_t n = u.param.numel();
    if (n == 0) continue;
    ParamSlot s{};
    s.param = u.param.data<float>();
    s.grad = u.grad.data<const float>();
    if (!u.grad.isContiguous()) {
      gradCopies.push_back(emptyTensor(u.grad.device, DType::Float32, u.grad.shape));
      copyTensor(context, u.grad, gradCopies.back());
      s.grad = gradCopies.back().data<const float>();
    }
    for (size_t k = 0; k < u.states.size() && k < 3; ++k) s.state[k] = u.states[k].data<float>();
    s.numel = n;
    const double step = static_cast<double>(u.step);
    if (kind == OptimizerKind::Adam || kind == OptimizerKind::AdamW) {
      const double bc1 = 1 - std::pow(hyper.beta1, step);
      const double bc2 = 1 - std::pow(hyper.beta2, step);
      s.negStepSize = static_cast<float>(-(hyper.lr / bc1));
      s.bc2Sqrt = static_cast<float>(std::sqrt(bc2));
    } else if (kind == OptimizerKind::Adagrad) {
      s.negStepSize = static_cast<float>(-(hyper.lr / (1 + (step - 1) * hyper.lrDecay)));
    }
    s.first = u.step == 1;
    for (int64_t begin = 0; begin < n; begin += kChunk) {
      chunks.push_back(Chunk{static_cast<int32_t>(slots.size()), begin});
    }
    slots.push_back(s);
  }
  if (chunks.empty()) return;
  // One upload of both tables.
  size_t slotBytes = slots.size() * sizeof(ParamSlot);
  std::vector<unsigned char> tables(slotBytes + chunks.size() * sizeof(Chunk));
  std::memcpy(tables.data(), slots.data(), slotBytes);
  std::memcpy(tables.data() + slotBytes, chunks.data(), chunks.size() * sizeof(Chunk));
  DeviceBuffer<unsigned char> device(context, tables.size());
  context.copyToDevice(device.data(), tables.data(), tables.size());
  multiTensorStepKernel<<<static_cast<unsigned>(chunks.size()), kBlock, 0, context.stream>>>(
      hyperOf(kind, hyper), reinterpret_cast<const ParamSlot*>(device.data()),
      reinterpret_cast<const Chunk*>(device.data() + slotBytes));
  RK_CHECK_LAUNCH();
}

}  // namespace rk::cuda
