// softmax / logSoftmax along an axis (max-subtracted, sums in double) and their gradients.
#include <cmath>
#include <limits>

#include "cpu/cpu_backend.h"
#include "cpu/strided_loop.h"

namespace rk::cpu {

void CpuBackend::softmax(const Tensor& x, int64_t axis, bool log, const Tensor& out) {
  size_t dim = static_cast<size_t>(axis);
  int64_t n = x.shape[dim];
  int64_t xs = x.strides[dim], os = out.strides[dim];
  const float* src = x.data<const float>();
  float* dst = out.data<float>();
  forEachLine<2>(x.shape, dim, {x.strides, out.strides}, [&](const Offsets<2>& first) {
    const float* in = src + first[0];
    float* o = dst + first[1];
    float max = -std::numeric_limits<float>::infinity();
    for (int64_t j = 0; j < n; ++j) max = std::max(max, in[j * xs]);
    double sum = 0;
    for (int64_t j = 0; j < n; ++j) sum += std::exp(double(in[j * xs]) - max);
    if (log) {
      double shift = max + std::log(sum);
      for (int64_t j = 0; j < n; ++j) o[j * os] = static_cast<float>(in[j * xs] - shift);
    } else {
      for (int64_t j = 0; j < n; ++j) {
        o[j * os] = static_cast<float>(std::exp(double(in[j * xs]) - max) / sum);
      }
    }
  });
}

void CpuBackend::softmaxBackward(const Tensor& grad, const Tensor& y, int64_t axis, bool log,
                                 const Tensor& out) {
  size_t dim = static_cast<size_t>(axis);
  int64_t n = y.shape[dim];
  int64_t gs = grad.strides[dim], ys = y.strides[dim], os = out.strides[dim];
  const float* gBase = grad.data<const float>();
  const float* yBase = y.data<const float>();
  float* oBase = out.data<float>();
  forEachLine<3>(
      y.shape, dim, {grad.strides, y.strides, out.strides}, [&](const Offsets<3>& first) {
        const float* g = gBase + first[0];
        const float* yl = yBase + first[1];
        float* o = oBase + first[2];
        if (log) {  // dx = g - exp(y) * sum(g)
          double sumG = 0;
          for (int64_t j = 0; j < n; ++j) sumG += g[j * gs];
          for (int64_t j = 0; j < n; ++j) {
            o[j * os] = static_cast<float>(g[j * gs] - std::exp(double(yl[j * ys])) * sumG);
          }
        } else {  // dx = y * (g - sum(g * y))
          double dot = 0;
          for (int64_t j = 0; j < n; ++j) dot += double(g[j * gs]) * yl[j * ys];
          for (int64_t j = 0; j < n; ++j) {
            o[j * os] = static_cast<float>(yl[j * ys] * (g[j * gs] - dot));
          }
        }
      });
}

}  // namespace rk::cpu
