// In the CUDA module, Storage::allocate is the addon's: the module's temporaries are counted by
// memory() and freed through the addon's backend table like every other storage. (The native
// tests link core's storage.cpp instead.)
#include "cuda/module_storage.h"

namespace rk {

namespace {
const cuda::HostApi* gHost = nullptr;
}  // namespace

void cuda::setHost(const HostApi* host) { gHost = host; }

std::shared_ptr<Storage> Storage::allocate(Device device, DType dtype, int64_t numel) {
  return gHost->allocateStorage(device, dtype, numel);
}

}  // namespace rk
