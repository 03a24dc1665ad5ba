// The CPU backend: oneDNN for matmul, OpenMP loops for the rest. Each op family's kernels live
// in their own file (elementwise.cpp, reduce.cpp, softmax.cpp, matmul.cpp, gather.cpp,
// cross_entropy.cpp, dropout.cpp, rnn.cpp); memory and transfers in cpu_backend.cpp.
#pragma once

#include "core/backend.h"

namespace rk::cpu {

class CpuBackend final : public Backend {
 public:
  const char* name() const override { return "oneDNN"; }
  bool runsOnHost() const override { return true; }
  std::string detail() const override;

  void* allocate(size_t bytes) override;
  void deallocate(void* data, size_t bytes) noexcept override;
  void upload(const Tensor& dst, const void* host) override;
  void fill(const Tensor& dst, double value) override;
  void download(const Tensor& src, void* host) override;

  void copy(const Tensor& src, const Tensor& dst) override;
  void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) override;
  void unary(UnaryOp op, const Tensor& x, const Tensor& out) override;
  void unaryBackward(UnaryOp op, const Tensor& grad, const Tensor& saved,
                     const Tensor& out) override;
  void reduce(ReduceOp op, const Tensor& x, const std::vector<bool>& reduced,
              const Tensor& out) override;
  void maxBackward(const Tensor& grad, const Tensor& x, const std::vector<bool>& reduced,
                   const Tensor& out) override;
  void softmax(const Tensor& x, int64_t axis, bool log, const Tensor& out) override;
  void softmaxBackward(const Tensor& grad, const Tensor& y, int64_t axis, bool log,
                       const Tensor& out) override;
  void matmul(const Tensor& a, const Tensor& b, const Tensor& out) override;
  void gather(const Tensor& table, const Tensor& indices, const Tensor& out) override;
  void gatherBackward(const Tensor& grad, const Tensor& indices, std::optional<int64_t> paddingIdx,
                      const Tensor& out) override;
  void dropout(const Tensor& x, double p, uint64_t seed, const Tensor& out,
               const Tensor& mask) override;  // dropout.cpp
  void crossEntropy(const Tensor& logits, const Tensor& targets, const CrossEntropyOptions& options,
                    const Tensor& loss, const Tensor& logProbs) override;
  void crossEntropyBackward(const Tensor& gradLoss, const Tensor& logProbs, const Tensor& targets,
                            const CrossEntropyOptions& options, const Tensor& out) override;
  void rnnForward(const RnnProblem& problem, const RnnInputs& in, bool training, uint64_t seed,
                  const RnnOutputs& out, RnnReserve* reserve) override;
  void rnnBackward(const RnnProblem& problem, const RnnInputs& in, const RnnReserve& reserve,
                   const RnnGrads& grads, const RnnInputGrads& out) override;
  void optimizerStep(OptimizerKind kind, const OptimizerHyper& hyper,
                     const std::vector<ParamUpdate>& updates) override;  // optim.cpp
  void clipGradNorm(const std::vector<Tensor>& tensors, double maxNorm, double normType,
                    const Tensor& norm) override;
  void clampInPlace(const std::vector<Tensor>& tensors, double min, double max) override;
};

/** Calls f(T{}) with T the C++ type of `dtype` (float or int32_t). */
template <class F>
decltype(auto) withDType(DType dtype, F&& f) {
  if (dtype == DType::Float32) return f(float{});
  return f(int32_t{});
}

}  // namespace rk::cpu
