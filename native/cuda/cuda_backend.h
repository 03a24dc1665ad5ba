// The CUDA backend of one device: its CudaContext (stream, cuDNN and cuBLAS handles, the
// stream-ordered pool), and every Backend op as a launch on the device's stream. Kernels live in
// the *.cu files (kernels.h), the recurrent stack in rnn_cudnn.*; each op runs inside an NVTX
// range named after it.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "core/backend.h"
#include "cuda/cuda_context.h"
#include "cuda/index_faults.h"
#include "cuda/module_api.h"

namespace rk::cuda {

class CudaBackend final : public Backend {
 public:
  /** Makes the device's stream, pool and library handles; throws rk::Error on failure. */
  explicit CudaBackend(int device);
  ~CudaBackend() override;
  CudaBackend(const CudaBackend&) = delete;
  CudaBackend& operator=(const CudaBackend&) = delete;

  const char* name() const override { return "cuDNN"; }
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
               const Tensor& mask) override;
  void crossEntropy(const Tensor& logits, const Tensor& targets, const CrossEntropyOptions& options,
                    const Tensor& loss, const Tensor& logProbs) override;
  void crossEntropyBackward(const Tensor& gradLoss, const Tensor& logProbs, const Tensor& targets,
                            const CrossEntropyOptions& options, const Tensor& out) override;
  void rnnForward(const RnnProblem& problem, const RnnInputs& in, bool training, uint64_t seed,
                  const RnnOutputs& out, RnnReserve* reserve) override;
  void rnnBackward(const RnnProblem& problem, const RnnInputs& in, const RnnReserve& reserve,
                   const RnnGrads& grads, const RnnInputGrads& out) override;
  void optimizerStep(OptimizerKind kind, const OptimizerHyper& hyper,
                     const std::vector<ParamUpdate>& updates) override;
  void clipGradNorm(const std::vector<Tensor>& tensors, double maxNorm, double normType,
                    const Tensor& norm) override;
  void clampInPlace(const std::vector<Tensor>& tensors, double min, double max) override;

  /** cuDNN's weight-space layout, computed once per config (on the JS thread). */
  RnnLayout rnnLayout(const RnnConfig& config) override;
  void synchronize() override;
  /** On the device, without waiting for it (index_faults.h). */
  void checkIndices(const Tensor& indices, const IndexBounds& bounds) override;
  std::optional<Error> takeDeviceFailure() override;

 private:
  /** Makes this device current on the calling thread (the JS thread or the stream's worker). */
  void makeCurrent() const;
  void destroy() noexcept;

  PinnedStaging staging_;
  IndexFaults indexFaults_;
  CudaContext context_;
  // rnnLayout runs on the JS thread while the worker uses context_.cudnn: it has its own handle.
  std::mutex layoutMutex_;
  CudaContext layoutContext_;
  std::map<std::string, RnnLayout> layouts_;
};

/** The versions the module runs with (runtime, driver, cuDNN, cuBLAS). */
LibraryVersions libraryVersions();

}  // namespace rk::cuda
