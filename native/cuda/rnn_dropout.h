// cuDNN's dropout between the layers of a recurrent stack, and its random state.
//
// cuDNN's dropout descriptor points at an RNG state on the device (one generator per GPU thread):
// cudnnSetDropoutDescriptor seeds all of it with a kernel over the whole state (slow), and every
// training cudnnRNNForward draws its masks from that state and advances it in place (PyTorch
// seeds one state per device once and restores it for each call; MXNet treats it the same way).
// cudnnRestoreDropoutDescriptor only points a descriptor at a state that is already seeded; its
// seed argument merely records which seed that was.
//
// So the state is the generator, as in PyTorch: it is seeded once per device, with the seed of the
// first dropout forward there, and every later forward continues it (re-seeding per call would run
// the seeding kernel on every training forward). A call's masks then depend on the dropout forwards
// before it on the device, not on its own seed alone. So that a seed met again still gives the same
// masks (rk.seed(n) replays the same per-call seeds, and the GPU tests rely on it), the state is
// copied under each of the last kRecentSeeds seeds before their call draws from it: when one of
// those seeds comes again the state is rewound to its copy (a device-to-device copy, far cheaper
// than seeding), that call draws the same masks, and calls after it continue as they did the first
// time. A seed seen longer ago continues the state instead (other masks). Either way a seeded run
// (rk.seed, rk.setDeterministic) repeats its masks in every process from its first dropout forward
// on, given the same sequence of forwards.
#pragma once

#include <cstdint>

#include <cudnn.h>

#include "cuda/cuda_context.h"

namespace rk::cuda {

/** Seeds whose state copies are kept per device (each is cudnnDropoutGetStatesSize bytes). */
constexpr int kRecentSeeds = 4;

/**
 * The dropout descriptor (probability p > 0) for a training forward with `seed` on context's
 * device, its state positioned as described above. Call from the device's stream worker; the
 * descriptor stays valid (and keeps p) for the backward of that forward.
 */
cudnnDropoutDescriptor_t rnnDropout(CudaContext& context, float p, uint64_t seed);

}  // namespace rk::cuda
