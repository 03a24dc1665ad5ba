// Helpers shared by the op files: argument checks with uniform messages, and queuing a kernel.
#pragma once

#include <functional>
#include <initializer_list>
#include <string>

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
/** "<op>: a must have at least 2 dims, got [3]" (RK_SHAPE). */
void requireRankAtLeast(const std::string& op, NamedTensor arg, size_t rank);

/**
 * Queues `kernel` on the stream of `outputs`' device; the outputs become ready when it has run.
 * The kernel captures its tensors by value, so their storages live until it finishes.
 */
void launch(const std::string& op, std::initializer_list<const Tensor*> outputs,
            std::function<void()> kernel);
void launch(const std::string& op, const std::vector<const Tensor*>& outputs,
            std::function<void()> kernel);

}  // namespace rk
