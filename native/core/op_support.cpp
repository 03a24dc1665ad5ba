#include "core/op_support.h"

#include "core/backend.h"
#include "core/error.h"

namespace rk {

void requireDType(const std::string& op, NamedTensor arg, DType dtype) {
  if (arg.tensor.dtype != dtype) {
    fail(Error::Code::DType, op, ": ", arg.name, " must be ", dtypeName(dtype), ", got ",
         dtypeName(arg.tensor.dtype));
  }
}

void requireSameDType(const std::string& op, NamedTensor a, NamedTensor b) {
  if (a.tensor.dtype != b.tensor.dtype) {
    fail(Error::Code::DType, op, ": ", a.name, " and ", b.name, " must have the same dtype, got ",
         dtypeName(a.tensor.dtype), " and ", dtypeName(b.tensor.dtype));
  }
}

void requireSameDevice(const std::string& op, std::initializer_list<NamedTensor> args) {
  const NamedTensor& first = *args.begin();
  for (const NamedTensor& arg : args) {
    if (arg.tensor.device != first.tensor.device) {
      fail(Error::Code::Device, op, ": ", arg.name, " is on ", deviceName(arg.tensor.device),
           " but ", first.name, " is on ", deviceName(first.tensor.device));
    }
  }
}

void requireSameShape(const std::string& op, NamedTensor a, NamedTensor b) {
  if (a.tensor.shape != b.tensor.shape) {
    fail(Error::Code::Shape, op, ": ", a.name, " ", shapeToString(a.tensor.shape), " and ", b.name,
         " ", shapeToString(b.tensor.shape), " must have the same shape");
  }
}

void requireShape(const std::string& op, NamedTensor arg, const Shape& expected, const char* what) {
  if (arg.tensor.shape != expected) {
    fail(Error::Code::Shape, op, ": ", arg.name, " must have shape ", shapeToString(expected), " (",
         what, "), got ", shapeToString(arg.tensor.shape));
  }
}

void requireRankAtLeast(const std::string& op, NamedTensor arg, size_t rank) {
  if (arg.tensor.rank() < rank) {
    fail(Error::Code::Shape, op, ": ", arg.name, " must have at least ", rank, " dim",
         rank == 1 ? "" : "s", ", got ", shapeToString(arg.tensor.shape));
  }
}

void launch(const std::string& op, std::initializer_list<const Tensor*> outputs,
            std::function<void()> kernel) {
  launch(op, std::vector<const Tensor*>(outputs), std::move(kernel));
}

void launch(const std::string& op, const std::vector<const Tensor*>& outputs,
            std::function<void()> kernel) {
  std::vector<std::shared_ptr<Storage>> storages;
  for (const Tensor* out : outputs) storages.push_back(out->storage);
  streamFor(outputs.front()->device).submit(op, std::move(storages), std::move(kernel));
}

bool inlineEligible(Device device, int64_t work) {
  return work < kInlineWorkLimit && backendFor(device).runsOnHost();
}

}  // namespace rk
