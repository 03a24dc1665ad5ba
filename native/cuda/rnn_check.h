// The statuses of cuDNN's RNN descriptor setup. Setting up the descriptors is where cuDNN decides
// whether it supports a config: cudnnSetRNNDescriptor_v8 and the weight- and temp-space queries
// (cudnnGetRNNWeightSpaceSize, cudnnGetRNNWeightParams, cudnnGetRNNTempSpaceSizes). A refusal
// there of a bf16 / fp16 config is the user's choice of precision failing, so it names the
// precision and the alternatives. The calls that run the RNN (forward, backward) are checked
// like any cuDNN call (CUDNN_CHECK): an execution failure is a real error, reported as such.
#pragma once

#include <cudnn.h>

namespace rk::cuda {

/**
 * CUDNN_CHECK for a setup call of a config whose data is `type`, except that a refusal
 * (CUDNN_STATUS_NOT_SUPPORTED or CUDNN_STATUS_BAD_PARAM, any sub-code) of a half-width type
 * throws RK_BACKEND "rnn: cuDNN <version> refuses precision 'bf16' for this recurrent config on
 * <GPU> (sm_XY): <status> in <call>; use precision ...".
 */
void checkRnnSetup(cudnnStatus_t status, cudnnDataType_t type, const char* file, int line,
                   const char* expr);

}  // namespace rk::cuda

#define RNN_SETUP_CHECK(type, expr) \
  ::rk::cuda::checkRnnSetup((expr), (type), __FILE__, __LINE__, #expr)
