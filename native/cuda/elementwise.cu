// Elementwise kernels over strided views: copy/cast, fill, binary ops with broadcasting, unary
// ops and their gradients, clamping and scaling in place. Same math as the CPU backend's
// elementwise.cpp: int32 arithmetic wraps, float -> int32 saturates, relu keeps NaN.
#include <cstdint>
#include <type_traits>

#include "cuda/kernels.h"
#include "cuda/launch.cuh"
#include "cuda/strided_index.h"

namespace rk::cuda {

namespace {

// ---- kernels ------------------------------------------------------------------------------------

/** out[i] = f(in[i]) over a view (out and in may be the same storage: in place). */
template <class Out, class In, class F>
__global__ void map1Kernel(StridedIndex<2> index, int64_t n, Out* out, const In* in, F f) {
  RK_GRID_LOOP(i, n) {
    int64_t at[2];
    index.offsets(i, at);
    out[at[0]] = f(in[at[1]]);
  }
}

template <class Out, class A, class B, class F>
__global__ void map2Kernel(StridedIndex<3> index, int64_t n, Out* out, const A* a, const B* b,
                           F f) {
  RK_GRID_LOOP(i, n) {
    int64_t at[3];
    index.offsets(i, at);
    out[at[0]] = f(a[at[1]], b[at[2]]);
  }
}

template <class T>
__global__ void fillKernel(StridedIndex<1> index, int64_t n, T* out, T value) {
  RK_GRID_LOOP(i, n) out[index.offset(i)] = value;
}

__global__ void scaleBelowOneKernel(StridedIndex<1> index, int64_t n, float* data,
                                    const float* coef) {
  float c = *coef;
  if (c >= 1.0f) return;  // NaN scales too (as the CPU and torch)
  RK_GRID_LOOP(i, n) {
    int64_t at = index.offset(i);
    data[at] = data[at] * c;
  }
}

// ---- functors -----------------------------------------------------------------------------------

template <class Dst, class Src>
struct Convert {
  __device__ Dst operator()(Src x) const { return static_cast<Dst>(x); }
};

template <>
struct Convert<int32_t, float> {
  __device__ int32_t operator()(float x) const {
    if (x != x) return 0;
    if (x <= -2147483648.0f) return INT32_MIN;
    if (x >= 2147483648.0f) return INT32_MAX;
    return static_cast<int32_t>(x);
  }
};

template <class T>
struct Binary {
  BinaryOp op;
  __device__ T operator()(T x, T y) const {
    if constexpr (std::is_integral_v<T>) {  // int32 wraps around like the hardware
      uint32_t a = static_cast<uint32_t>(x), b = static_cast<uint32_t>(y);
      switch (op) {
        case BinaryOp::Add:
          return static_cast<T>(a + b);
        case BinaryOp::Sub:
          return static_cast<T>(a - b);
        case BinaryOp::Mul:
          return static_cast<T>(a * b);
        default:
          return T(0);  // div is float32 only (core checked)
      }
    } else {
      switch (op) {
        case BinaryOp::Add:
          return x + y;
        case BinaryOp::Sub:
          return x - y;
        case BinaryOp::Mul:
          return x * y;
        case BinaryOp::Div:
          return x / y;
      }
      return x;
    }
  }
};

struct Unary {
  UnaryOp op;
  __device__ float operator()(float v) const {
    switch (op) {
      case UnaryOp::Neg:
        return -v;
      case UnaryOp::Tanh:
        return tanhf(v);
      case UnaryOp::Sigmoid:
        return 1.0f / (1.0f + expf(-v));
      case UnaryOp::Relu:
        return v < 0.0f ? 0.0f : v;  // keeps NaN
      case UnaryOp::Exp:
        return expf(v);
      case UnaryOp::Log:
        return logf(v);
    }
    return v;
  }
};

struct NegInt {
  __device__ int32_t operator()(int32_t v) const {
    return static_cast<int32_t>(0u - static_cast<uint32_t>(v));
  }
};

/** `s` is the forward output (tanh, sigmoid, exp) or the forward input (neg, relu, log). */
struct UnaryGrad {
  UnaryOp op;
  __device__ float operator()(float g, float s) const {
    switch (op) {
      case UnaryOp::Neg:
        return -g;
      case UnaryOp::Tanh:
        return g * (1.0f - s * s);
      case UnaryOp::Sigmoid:
        return g * s * (1.0f - s);
      case UnaryOp::Relu:
        return s > 0.0f ? g : 0.0f;
      case UnaryOp::Exp:
        return g * s;
      case UnaryOp::Log:
        return g / s;
    }
    return g;
  }
};

struct Clamp {
  float lo, hi;
  __device__ float operator()(float x) const { return x < lo ? lo : x > hi ? hi : x; }
};

// ---- launchers ----------------------------------------------------------------------------------

/** Strides of t read over `shape` (broadcast). */
Strides readStrides(const Tensor& t, const Shape& shape) {
  return broadcastStrides(t.shape, t.strides, shape);
}

template <class Out, class In, class F>
void map1(CudaContext& context, const Tensor& out, const Tensor& in, F f) {
  int64_t n = out.numel();
  if (n == 0) return;
  auto index = makeIndex<2>(out.shape, {out.strides, readStrides(in, out.shape)});
  map1Kernel<<<gridFor(n), kBlock, 0, context.stream>>>(index, n, out.data<Out>(),
                                                        in.data<const In>(), f);
  RK_CHECK_LAUNCH();
}

template <class Out, class A, class B, class F>
void map2(CudaContext& context, const Tensor& out, const Tensor& a, const Tensor& b, F f) {
  int64_t n = out.numel();
  if (n == 0) return;
  auto index =
      makeIndex<3>(out.shape, {out.strides, readStrides(a, out.shape), readStrides(b, out.shape)});
  map2Kernel<<<gridFor(n), kBlock, 0, context.stream>>>(index, n, out.data<Out>(),
                                                        a.data<const A>(), b.data<const B>(), f);
  RK_CHECK_LAUNCH();
}

}  // namespace

void copyTensor(CudaContext& context, const Tensor& src, const Tensor& dst) {
  bool srcFloat = src.dtype == DType::Float32, dstFloat = dst.dtype == DType::Float32;
  if (srcFloat && dstFloat) return map1<float, float>(context, dst, src, Convert<float, float>{});
  if (srcFloat) return map1<int32_t, float>(context, dst, src, Convert<int32_t, float>{});
  if (dstFloat) return map1<float, int32_t>(context, dst, src, Convert<float, int32_t>{});
  map1<int32_t, int32_t>(context, dst, src, Convert<int32_t, int32_t>{});
}

void fillTensor(CudaContext& context, const Tensor& dst, double value) {
  int64_t n = dst.numel();
  if (n == 0) return;
  auto index = makeIndex<1>(dst.shape, {dst.strides});
  if (dst.dtype == DType::Float32) {
    fillKernel<<<gridFor(n), kBlock, 0, context.stream>>>(index, n, dst.data<float>(),
                                                          static_cast<float>(value));
  } else {
    fillKernel<<<gridFor(n), kBlock, 0, context.stream>>>(index, n, dst.data<int32_t>(),
                                                          static_cast<int32_t>(value));
  }
  RK_CHECK_LAUNCH();
}

void binaryOp(CudaContext& context, BinaryOp op, const Tensor& a, const Tensor& b,
              const Tensor& out) {
  if (out.dtype == DType::Float32)
    return map2<float, float, float>(context, out, a, b, Binary<float>{op});
  map2<int32_t, int32_t, int32_t>(context, out, a, b, Binary<int32_t>{op});
}

void unaryOp(CudaContext& context, UnaryOp op, const Tensor& x, const Tensor& out) {
  if (x.dtype == DType::Int32)
    return map1<int32_t, int32_t>(context, out, x, NegInt{});  // only neg
  map1<float, float>(context, out, x, Unary{op});
}

void unaryBackwardOp(CudaContext& context, UnaryOp op, const Tensor& grad, const Tensor& saved,
                     const Tensor& out) {
  if (grad.dtype == DType::Int32) return map1<int32_t, int32_t>(context, out, grad, NegInt{});
  map2<float, float, float>(context, out, grad, saved, UnaryGrad{op});
}

void clampTensor(CudaContext& context, const Tensor& t, float lo, float hi) {
  map1<float, float>(context, t, t, Clamp{lo, hi});
}

void scaleTensorBelowOne(CudaContext& context, const Tensor& t, const float* coef) {
  int64_t n = t.numel();
  if (n == 0) return;
  auto index = makeIndex<1>(t.shape, {t.strides});
  scaleBelowOneKernel<<<gridFor(n), kBlock, 0, context.stream>>>(index, n, t.data<float>(), coef);
  RK_CHECK_LAUNCH();
}

}  // namespace rk::cuda
