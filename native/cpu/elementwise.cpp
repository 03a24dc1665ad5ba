// Elementwise kernels: copy/cast, binary ops with broadcasting, unary ops and their gradients.
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "cpu/cpu_backend.h"
#include "cpu/strided_loop.h"

namespace rk::cpu {

namespace {

template <class T>
Operand<T> output(const Tensor& t) {
  return {t.data<T>(), t.strides};
}

/** t read over `shape` (broadcast where t has size-1 or missing dims). */
template <class T>
Operand<const T> input(const Tensor& t, const Shape& shape) {
  return {t.data<const T>(), broadcastStrides(t.shape, t.strides, shape)};
}

// int32 arithmetic wraps around like the hardware instead of being undefined behaviour.
template <class T, class F>
T wrapping(T a, T b, F op) {
  if constexpr (std::is_integral_v<T>) {
    return static_cast<T>(op(static_cast<uint32_t>(a), static_cast<uint32_t>(b)));
  } else {
    return op(a, b);
  }
}

int32_t saturatingInt32(float x) {
  if (std::isnan(x)) return 0;
  if (x <= -2147483648.0f) return std::numeric_limits<int32_t>::min();
  if (x >= 2147483648.0f) return std::numeric_limits<int32_t>::max();
  return static_cast<int32_t>(x);
}

template <class Dst, class Src>
Dst convert(Src x) {
  if constexpr (std::is_same_v<Dst, int32_t> && std::is_same_v<Src, float>) {
    return saturatingInt32(x);
  } else {
    return static_cast<Dst>(x);
  }
}

float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

}  // namespace

void CpuBackend::copy(const Tensor& src, const Tensor& dst) {
  withDType(src.dtype, [&](auto srcTag) {
    withDType(dst.dtype, [&](auto dstTag) {
      using Src = decltype(srcTag);
      using Dst = decltype(dstTag);
      mapElements(
          dst.shape, [](Src v) { return convert<Dst, Src>(v); }, output<Dst>(dst),
          input<Src>(src, dst.shape));
    });
  });
}

void CpuBackend::binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  withDType(out.dtype, [&](auto tag) {
    using T = decltype(tag);
    auto run = [&](auto f) {
      mapElements(out.shape, f, output<T>(out), input<T>(a, out.shape), input<T>(b, out.shape));
    };
    switch (op) {
      case BinaryOp::Add:
        return run([](T x, T y) { return wrapping(x, y, std::plus<>()); });
      case BinaryOp::Sub:
        return run([](T x, T y) { return wrapping(x, y, std::minus<>()); });
      case BinaryOp::Mul:
        return run([](T x, T y) { return wrapping(x, y, std::multiplies<>()); });
      case BinaryOp::Div:
        return run([](T x, T y) { return x / y; });  // float32 only
    }
  });
}

void CpuBackend::unary(UnaryOp op, const Tensor& x, const Tensor& out) {
  if (x.dtype == DType::Int32) {  // only neg takes int32
    mapElements(
        out.shape, [](int32_t v) { return wrapping(int32_t(0), v, std::minus<>()); },
        output<int32_t>(out), input<int32_t>(x, out.shape));
    return;
  }
  auto run = [&](auto f) {
    mapElements(out.shape, f, output<float>(out), input<float>(x, out.shape));
  };
  switch (op) {
    case UnaryOp::Neg:
      return run([](float v) { return -v; });
    case UnaryOp::Tanh:
      return run([](float v) { return std::tanh(v); });
    case UnaryOp::Sigmoid:
      return run([](float v) { return sigmoid(v); });
    case UnaryOp::Relu:
      return run([](float v) { return std::max(v, 0.0f); });  // keeps NaN
    case UnaryOp::Exp:
      return run([](float v) { return std::exp(v); });
    case UnaryOp::Log:
      return run([](float v) { return std::log(v); });
  }
}

void CpuBackend::unaryBackward(UnaryOp op, const Tensor& grad, const Tensor& saved,
                               const Tensor& out) {
  if (grad.dtype == DType::Int32) {  // only neg takes int32
    unary(UnaryOp::Neg, grad, out);
    return;
  }
  auto run = [&](auto f) {
    mapElements(out.shape, f, output<float>(out), input<float>(grad, out.shape),
                input<float>(saved, out.shape));
  };
  // `s` is the forward output (tanh, sigmoid, exp) or the forward input (neg, relu, log).
  switch (op) {
    case UnaryOp::Neg:
      return run([](float g, float) { return -g; });
    case UnaryOp::Tanh:
      return run([](float g, float y) { return g * (1.0f - y * y); });
    case UnaryOp::Sigmoid:
      return run([](float g, float y) { return g * y * (1.0f - y); });
    case UnaryOp::Relu:
      return run([](float g, float x) { return x > 0.0f ? g : 0.0f; });
    case UnaryOp::Exp:
      return run([](float g, float y) { return g * y; });
    case UnaryOp::Log:
      return run([](float g, float x) { return g / x; });
  }
}

}  // namespace rk::cpu
