#include "cuda/index_faults.h"

#include <cstring>

#include "cuda/device_buffer.h"
#include "cuda/launch.cuh"
#include "cuda/strided_index.h"

namespace rk::cuda {

namespace {

constexpr uint64_t kNoPosition = ~uint64_t{0};
constexpr int32_t kNoCheck = -1;  // all bits set, as cudaMemset(0xFF) leaves it

/** IndexBounds::allows on the device; lengths (B entries) is null without lengths. */
struct DeviceBounds {
  int64_t limit;
  bool hasIgnore;
  int64_t ignore;
  const int32_t* lengths;
  int64_t time;

  __device__ bool allows(int64_t flat, int64_t value) const {
    if ((value >= 0 && value < limit) || (hasIgnore && value == ignore)) return true;
    return lengths && flat % time >= lengths[flat / time];
  }
};

/** Lowers fault->position to every bad element's position, unless an earlier check failed. */
__global__ void findBadIndexKernel(StridedIndex<1> ix, int64_t n, const int32_t* indices,
                                   DeviceBounds bounds, IndexFault* fault) {
  if (fault->check != kNoCheck) return;  // the first failure is the one reported
  RK_GRID_LOOP(i, n) {
    if (!bounds.allows(i, indices[ix.offset(i)])) {
      atomicMin(reinterpret_cast<unsigned long long*>(&fault->position),
                static_cast<unsigned long long>(i));
    }
  }
}

/** One thread, after the scan: claims the slot for check `check` if its scan found something. */
__global__ void recordBadIndexKernel(StridedIndex<1> ix, const int32_t* indices, int32_t check,
                                     IndexFault* fault) {
  if (fault->check != kNoCheck || fault->position == kNoPosition) return;
  fault->value = indices[ix.offset(static_cast<int64_t>(fault->position))];
  fault->check = check;
}

void clearSlot(CudaContext& context, IndexFault* slot) {
  CUDA_CHECK(cudaMemsetAsync(slot, 0xFF, sizeof(IndexFault), context.stream));
}

}  // namespace

IndexFaults::~IndexFaults() {
  // Failures here have no one to report to.
  if (slot_) cudaFree(slot_);
  if (mirror_) cudaFreeHost(mirror_);
  cudaGetLastError();
}

int32_t IndexFaults::describe(const IndexBounds& bounds, const Shape& shape) {
  std::string key = str(bounds.op, '\0', bounds.arg, '\0', bounds.limit, '\0',
                        bounds.ignore ? str(*bounds.ignore) : "-", '\0', shapeToString(shape));
  auto found = ids_.find(key);
  if (found != ids_.end()) return found->second;
  int32_t id = static_cast<int32_t>(pending_.size());
  pending_.push_back(
      Described{IndexBounds{bounds.op, bounds.arg, bounds.limit, bounds.ignore, {}}, shape});
  ids_.emplace(std::move(key), id);
  return id;
}

void IndexFaults::check(CudaContext& context, const Tensor& indices, const IndexBounds& bounds) {
  int64_t n = indices.numel();
  if (n == 0) return;
  std::lock_guard<std::mutex> lock(mutex_);
  if (!slot_) {
    CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&slot_), sizeof(IndexFault)));
    CUDA_CHECK(cudaMallocHost(reinterpret_cast<void**>(&mirror_), sizeof(IndexFault)));
    clearSlot(context, slot_);
  }
  int32_t id = describe(bounds, indices.shape);
  DeviceBuffer<int32_t> lengths(context, bounds.lengths ? bounds.lengths->size() : 0);
  DeviceBounds device{bounds.limit, bounds.ignore.has_value(), bounds.ignore.value_or(0), nullptr,
                      1};
  if (bounds.lengths) {
    context.copyToDevice(lengths.data(), bounds.lengths->data(), lengths.bytes());
    device.lengths = lengths.data();
    device.time = indices.shape[1];
  }
  auto ix = makeIndex<1>(indices.shape, {indices.strides});
  findBadIndexKernel<<<gridFor(n), kBlock, 0, context.stream>>>(
      ix, n, indices.data<const int32_t>(), device, slot_);
  RK_CHECK_LAUNCH();
  recordBadIndexKernel<<<1, 1, 0, context.stream>>>(ix, indices.data<const int32_t>(), id, slot_);
  RK_CHECK_LAUNCH();
}

std::optional<Error> IndexFaults::take(CudaContext& context) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (pending_.empty()) return std::nullopt;
  CUDA_CHECK(
      cudaMemcpyAsync(mirror_, slot_, sizeof(IndexFault), cudaMemcpyDeviceToHost, context.stream));
  CUDA_CHECK(cudaStreamSynchronize(context.stream));
  IndexFault fault;
  std::memcpy(&fault, mirror_, sizeof fault);
  std::optional<Error> failure;
  if (fault.check != kNoCheck) {
    const Described& d = pending_[static_cast<size_t>(fault.check)];
    failure = d.bounds.error(d.shape, static_cast<int64_t>(fault.position), fault.value);
    clearSlot(context, slot_);
  }
  pending_.clear();
  ids_.clear();
  return failure;
}

}  // namespace rk::cuda
