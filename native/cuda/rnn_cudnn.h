// The recurrent stack on cuDNN's v8/v9 RNN API (cudnnRNNForward, cudnnRNNBackwardData_v8,
// cudnnRNNBackwardWeights_v8) over padded batches with per-sequence lengths. The CUDA backend's
// rnn* entry points forward here; everything about descriptors, weight space and reserve space
// stays inside rnn_cudnn.*.
#pragma once

#include "core/rnn.h"
#include "cuda/cuda_context.h"

namespace rk::cuda {

/**
 * Where each canonical parameter (PyTorch's names and shapes) sits inside cuDNN's weight space
 * for `config`, located with cudnnGetRNNWeightParams; `size` is the weight space in float32
 * elements. Parameters become views at these offsets, so it must match what rnnForward reads.
 */
RnnLayout cudnnRnnLayout(CudaContext& context, const RnnConfig& config);

void cudnnRnnForward(CudaContext& context, const RnnProblem& problem, const RnnInputs& in,
                     bool training, uint64_t seed, const RnnOutputs& out, RnnReserve* reserve);

void cudnnRnnBackward(CudaContext& context, const RnnProblem& problem, const RnnInputs& in,
                      const RnnReserve& reserve, const RnnGrads& grads, const RnnInputGrads& out);

}  // namespace rk::cuda
