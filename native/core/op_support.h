// Helpers shared by the op files: argument checks with uniform messages, and queuing a kernel.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>

#include "core/stream.h"
#include "core/tensor.h"

namespace rk {

/** A tensor argument with the name the binding gives it, for messages. */
struct NamedTensor {
  const char* name;
  const Tensor& tensor;
};

/** "<op>: <name> must be float32, got int32" (RK_DTYPE). */
void requireDType(const std::string& op, NamedTensor arg, DType dtype);
/** "<op>: a and b must have the same dtype, got float32 and int32" (RK_DTYPE). */
void requireSameDType(const std::string& op, NamedTensor a, NamedTensor b);
/** All on the device of the first (RK_DEVICE). */
void requireSameDevice(const std::string& op, std::initializer_list<NamedTensor> args);
/** "<op>: grad [2, 3] and y [3, 2] must have the same shape" (RK_SHAPE). */
void requireSameShape(const std::string& op, NamedTensor a, NamedTensor b);
/** "<op>: h0 must have shape [2, 3, 4] ([layers, batch, hOut]), got [2, 3]" (RK_SHAPE). */
void requireShape(const std::string& op, NamedTensor arg, const Shape& expected, const char* what);
/** "<op>: a must have at least 2 dims, got [3]" (RK_SHAPE). */
void requireRankAtLeast(const std::string& op, NamedTensor arg, size_t rank);

/**
 * Queues `kernel` on the stream of `outputs`' device; the outputs become ready when it has run.
 * The kernel captures its tensors by value, so their storages live until it finishes. Its work is
 * unknown, so it always goes to the worker (long or blocking work, such as a cross-device copy).
 */
void launch(const std::string& op, std::initializer_list<const Tensor*> outputs,
            std::function<void()> kernel);
void launch(const std::string& op, const std::vector<const Tensor*>& outputs,
            std::function<void()> kernel);

/**
 * Work (elements touched, or multiply-adds) below which a kernel may run inline: a few tens of
 * microseconds at most, so the JS thread is never blocked for long. Below the CPU kernels'
 * OpenMP threshold too, so an inline kernel stays on the JS thread alone.
 */
inline constexpr int64_t kInlineWorkLimit = int64_t{1} << 15;
/** The work of a task that must never run inline (long, or blocking). */
inline constexpr int64_t kLongWork = INT64_MAX;

/** Whether a kernel of `work` on `device` may run inline: small, and on a host backend. */
bool inlineEligible(Device device, int64_t work);

/**
 * Like launch, given the kernel's estimated `work`: when that is small, the backend computes on
 * the host and the stream is idle, the kernel runs at once on the calling thread. That keeps the
 * stream's order and saves the worker's wake-up, which costs far more than a small kernel.
 */
template <class Kernel>
void launch(const std::string& op, const std::vector<const Tensor*>& outputs, int64_t work,
            Kernel kernel) {
  Device device = outputs.front()->device;
  if (inlineEligible(device, work) && streamFor(device).runIfIdle(op.c_str(), kernel)) return;
  launch(op, outputs, std::function<void()>(std::move(kernel)));
}
template <class Kernel>
void launch(const std::string& op, std::initializer_list<const Tensor*> outputs, int64_t work,
            Kernel kernel) {
  launch(op, std::vector<const Tensor*>(outputs), work, std::move(kernel));
}

}  // namespace rk
