// The launchers of the CUDA backend's own kernels, one family per .cu file (kernels first, then
// their launchers, as llm.c lays them out). Each queues its work on context.stream and returns;
// arguments were validated by core, so launchers only compute.
#pragma once

#include <optional>
#include <vector>

#include "core/loss.h"
#include "core/op_kinds.h"
#include "core/optim.h"
#include "core/tensor.h"
#include "cuda/cuda_context.h"

namespace rk::cuda {

// elementwise.cu
/** dst (any view) = src read over dst's shape (broadcast), cast when the dtypes differ. */
void copyTensor(CudaContext& context, const Tensor& src, const Tensor& dst);
void fillTensor(CudaContext& context, const Tensor& dst, double value);
void binaryOp(CudaContext& context, BinaryOp op, const Tensor& a, const Tensor& b,
              const Tensor& out);
void unaryOp(CudaContext& context, UnaryOp op, const Tensor& x, const Tensor& out);
void unaryBackwardOp(CudaContext& context, UnaryOp op, const Tensor& grad, const Tensor& saved,
                     const Tensor& out);
/** Every element of t (in place) clamped to [lo, hi]; NaN stays NaN. */
void clampTensor(CudaContext& context, const Tensor& t, float lo, float hi);
/** Every element of t (in place) times *coef, unless *coef >= 1 (read on the device). */
void scaleTensorBelowOne(CudaContext& context, const Tensor& t, const float* coef);

// reduce.cu
void reduceOp(CudaContext& context, ReduceOp op, const Tensor& x, const std::vector<bool>& reduced,
              const Tensor& out);
void maxBackwardOp(CudaContext& context, const Tensor& grad, const Tensor& x,
                   const std::vector<bool>& reduced, const Tensor& out);

// softmax.cu
void softmaxOp(CudaContext& context, const Tensor& x, int64_t axis, bool log, const Tensor& out);
void softmaxBackwardOp(CudaContext& context, const Tensor& grad, const Tensor& y, int64_t axis,
                       bool log, const Tensor& out);

// matmul.cpp (cuBLAS)
void matmulOp(CudaContext& context, const Tensor& a, const Tensor& b, const Tensor& out);

// gather.cu
void gatherOp(CudaContext& context, const Tensor& table, const Tensor& indices, const Tensor& out);
void gatherBackwardOp(CudaContext& context, const Tensor& grad, const Tensor& indices,
                      std::optional<int64_t> paddingIdx, const Tensor& out);

// dropout.cu
void dropoutOp(CudaContext& context, const Tensor& x, double p, uint64_t seed, const Tensor& out,
               const Tensor& mask);

// cross_entropy.cu
void crossEntropyOp(CudaContext& context, const Tensor& logits, const Tensor& targets,
                    const CrossEntropyOptions& options, const Tensor& loss, const Tensor& logProbs);
void crossEntropyBackwardOp(CudaContext& context, const Tensor& gradLoss, const Tensor& logProbs,
                            const Tensor& targets, const CrossEntropyOptions& options,
                            const Tensor& out);

// optim.cu
void optimizerStepOp(CudaContext& context, OptimizerKind kind, const OptimizerHyper& hyper,
                     const std::vector<ParamUpdate>& updates);

// clip.cu
void clipGradNormOp(CudaContext& context, const std::vector<Tensor>& tensors, double maxNorm,
                    double normType, const Tensor& norm);

}  // namespace rk::cuda
