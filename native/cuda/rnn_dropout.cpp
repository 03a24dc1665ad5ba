#include "cuda/rnn_dropout.h"

#include <array>
#include <map>
#include <memory>
#include <mutex>

#include "core/device.h"
#include "cuda/cuda_check.h"
#include "cuda/cudnn_descriptors.h"

namespace rk::cuda {

namespace {

/** One device's dropout state, its copies under recent seeds, and a descriptor per probability. */
class DropoutState {
 public:
  cudnnDropoutDescriptor_t prepare(CudaContext& context, float p, uint64_t seed) {
    // Descriptors per p: the backward of an earlier forward may still read its own p.
    std::unique_ptr<DropoutDescriptor>& desc = descriptors_[p];
    if (!desc) desc = std::make_unique<DropoutDescriptor>();
    if (!states_) {
      // The one seeding. states_ is set only once it is seeded, so a failure here retries.
      CUDNN_CHECK(cudnnDropoutGetStatesSize(context.cudnn, &bytes_));
      void* states = context.allocate(bytes_);
      cudnnStatus_t seeded =
          cudnnSetDropoutDescriptor(desc->get(), context.cudnn, p, states, bytes_, seed);
      if (seeded != CUDNN_STATUS_SUCCESS) context.deallocate(states, bytes_);
      CUDNN_CHECK(seeded);
      states_ = states;
      seed_ = seed;
      keep(context, seed);
      return desc->get();
    }
    if (const Copy* copy = find(seed)) {
      copyState(context, copy->data, states_);
    } else {
      keep(context, seed);
    }
    CUDNN_CHECK(
        cudnnRestoreDropoutDescriptor(desc->get(), context.cudnn, p, states_, bytes_, seed_));
    return desc->get();
  }

 private:
  struct Copy {
    uint64_t seed = 0;
    void* data = nullptr;  // null: not used yet
  };

  const Copy* find(uint64_t seed) const {
    for (const Copy& copy : copies_) {
      if (copy.data && copy.seed == seed) return &copy;
    }
    return nullptr;
  }

  /** Copies the state as it is now under `seed`, replacing the oldest copy. */
  void keep(CudaContext& context, uint64_t seed) {
    Copy& copy = copies_[next_];
    next_ = (next_ + 1) % copies_.size();
    if (!copy.data) copy.data = context.allocate(bytes_);
    copy.seed = seed;
    copyState(context, states_, copy.data);
  }

  void copyState(CudaContext& context, const void* from, void* to) const {
    CUDA_CHECK(cudaMemcpyAsync(to, from, bytes_, cudaMemcpyDeviceToDevice, context.stream));
  }

  // Device memory from the pool, kept for the life of the process.
  void* states_ = nullptr;
  size_t bytes_ = 0;
  uint64_t seed_ = 0;  // the seed the state was seeded with
  std::array<Copy, kRecentSeeds> copies_;
  size_t next_ = 0;
  std::map<float, std::unique_ptr<DropoutDescriptor>> descriptors_;
};

}  // namespace

cudnnDropoutDescriptor_t rnnDropout(CudaContext& context, float p, uint64_t seed) {
  static std::mutex mutex;
  // Never destroyed: the states live as long as the process (freeing device memory during static
  // destruction would race the CUDA driver's own teardown).
  static auto* states = new std::array<std::unique_ptr<DropoutState>, kMaxCudaDevices>();
  DropoutState* state;
  {
    std::lock_guard<std::mutex> lock(mutex);
    std::unique_ptr<DropoutState>& slot = (*states)[static_cast<size_t>(context.device)];
    if (!slot) slot = std::make_unique<DropoutState>();
    state = slot.get();
  }
  // Only the device's stream worker gets here for this device: its state needs no lock.
  return state->prepare(context, p, seed);
}

}  // namespace rk::cuda
