#include "cuda/cuda_backend.h"

#include <cublas_v2.h>
#include <cudnn.h>

#include <cstdint>

#include "cuda/cuda_check.h"
#include "cuda/kernels.h"
#include "cuda/nvtx_range.h"
#include "cuda/rnn_cudnn.h"

namespace rk::cuda {

namespace {

std::string versionText(int major, int minor) { return str(major, ".", minor); }

/** A cache key naming every field of the config. */
std::string configKey(const RnnConfig& c) {
  return str(int(c.mode), ',', c.inputSize, ',', c.hiddenSize, ',', c.projSize, ',', c.numLayers,
             ',', c.bidirectional, ',', c.bias, ',', c.batchFirst, ',', c.dropout, ',', c.cellClip,
             ',', int(c.precision));
}

/** Bytes of a tensor's elements (both dtypes are 4 bytes wide). */
size_t bytesOf(const Tensor& t) { return static_cast<size_t>(t.numel()) * dtypeSize(t.dtype); }

}  // namespace

LibraryVersions libraryVersions() {
  LibraryVersions v;
  int runtime = 0, driver = 0;
  cudaRuntimeGetVersion(&runtime);
  cudaDriverGetVersion(&driver);
  cudaGetLastError();
  v.cudaRuntime = versionText(runtime / 1000, (runtime % 1000) / 10);
  v.cudaDriver = versionText(driver / 1000, (driver % 1000) / 10);
  size_t cudnn = cudnnGetVersion();  // major * 10000 + minor * 100 + patch (cuDNN 9)
  v.cudnn = str(cudnn / 10000, ".", (cudnn % 10000) / 100, ".", cudnn % 100);
  int major = 0, minor = 0, patch = 0;
  cublasGetProperty(MAJOR_VERSION, &major);
  cublasGetProperty(MINOR_VERSION, &minor);
  cublasGetProperty(PATCH_LEVEL, &patch);
  v.cublas = str(major, ".", minor, ".", patch);
  return v;
}

CudaBackend::CudaBackend(int device) {
  context_.device = device;
  context_.staging = &staging_;
  try {
    makeCurrent();
    CUDA_CHECK(cudaGetDeviceProperties(&context_.properties, device));
    CUDA_CHECK(cudaStreamCreateWithFlags(&context_.stream, cudaStreamNonBlocking));
    // Keep freed blocks in the pool instead of returning them to the driver at each sync, so
    // the next step's allocations are served from the pool.
    CUDA_CHECK(cudaDeviceGetDefaultMemPool(&context_.pool, device));
    uint64_t threshold = UINT64_MAX;
    CUDA_CHECK(cudaMemPoolSetAttribute(context_.pool, cudaMemPoolAttrReleaseThreshold, &threshold));
    CUDNN_CHECK(cudnnCreate(&context_.cudnn));
    CUDNN_CHECK(cudnnSetStream(context_.cudnn, context_.stream));
    CUBLAS_CHECK(cublasCreate(&context_.cublas));
    CUBLAS_CHECK(cublasSetStream(context_.cublas, context_.stream));
    // Plain FP32 (no TF32 tensor cores), so results match the CPU to ~1e-6.
    CUBLAS_CHECK(cublasSetMathMode(context_.cublas, CUBLAS_DEFAULT_MATH));
    layoutContext_ = context_;
    layoutContext_.cudnn = nullptr;
    layoutContext_.cublas = nullptr;
    CUDNN_CHECK(cudnnCreate(&layoutContext_.cudnn));
  } catch (...) {
    destroy();
    throw;
  }
}

CudaBackend::~CudaBackend() { destroy(); }

void CudaBackend::destroy() noexcept {
  if (layoutContext_.cudnn) cudnnDestroy(layoutContext_.cudnn);
  if (context_.cublas) cublasDestroy(context_.cublas);
  if (context_.cudnn) cudnnDestroy(context_.cudnn);
  if (context_.stream) cudaStreamDestroy(context_.stream);
  layoutContext_.cudnn = context_.cudnn = nullptr;
  context_.cublas = nullptr;
  context_.stream = nullptr;
}

void CudaBackend::makeCurrent() const { CUDA_CHECK(cudaSetDevice(context_.device)); }

std::string CudaBackend::detail() const {
  LibraryVersions v = libraryVersions();
  return str(context_.properties.name, "; cuDNN ", v.cudnn, ", cuBLAS ", v.cublas,
             ", CUDA runtime ", v.cudaRuntime, " (driver supports CUDA ", v.cudaDriver, ")");
}

void* CudaBackend::allocate(size_t bytes) {
  makeCurrent();
  return context_.allocate(bytes);
}

void CudaBackend::deallocate(void* data, size_t bytes) noexcept {
  context_.deallocate(data, bytes);
}

// ---- transfers (the JS thread or a task) --------------------------------------------------------

void CudaBackend::upload(const Tensor& dst, const void* host) {
  makeCurrent();
  NvtxRange range("upload");
  size_t bytes = bytesOf(dst);
  if (bytes == 0) return;
  // Through pinned staging: `host` may go when this returns, and the JS thread does not wait
  // for the GPU to reach the copy.
  if (dst.isContiguous()) {
    context_.copyToDevice(dst.data<uint32_t>(), host, bytes);
    return;
  }
  Tensor staged = emptyTensor(dst.device, dst.dtype, dst.shape);
  context_.copyToDevice(staged.data<uint32_t>(), host, bytes);
  copyTensor(context_, staged, dst);
}

void CudaBackend::fill(const Tensor& dst, double value) {
  makeCurrent();
  NvtxRange range("fill");
  fillTensor(context_, dst, value);
}

void CudaBackend::download(const Tensor& src, void* host) {
  makeCurrent();
  NvtxRange range("download");
  size_t bytes = bytesOf(src);
  if (bytes > 0) {
    if (src.isContiguous()) {
      CUDA_CHECK(cudaMemcpyAsync(host, src.data<const uint32_t>(), bytes, cudaMemcpyDeviceToHost,
                                 context_.stream));
    } else {
      Tensor staged = emptyTensor(src.device, src.dtype, src.shape);
      copyTensor(context_, src, staged);
      CUDA_CHECK(cudaMemcpyAsync(host, staged.data<const uint32_t>(), bytes, cudaMemcpyDeviceToHost,
                                 context_.stream));
    }
  }
  // The host buffer is complete, and any failure of earlier work surfaces here.
  CUDA_CHECK(cudaStreamSynchronize(context_.stream));
}

void CudaBackend::synchronize() {
  makeCurrent();
  CUDA_CHECK(cudaStreamSynchronize(context_.stream));
}

void CudaBackend::checkIndices(const Tensor& indices, const IndexBounds& bounds) {
  makeCurrent();
  NvtxRange range("checkIndices");
  indexFaults_.check(context_, indices, bounds);
}

std::optional<Error> CudaBackend::takeDeviceFailure() {
  makeCurrent();
  return indexFaults_.take(context_);
}

// ---- kernels (stream tasks) ---------------------------------------------------------------------

void CudaBackend::copy(const Tensor& src, const Tensor& dst) {
  makeCurrent();
  NvtxRange range("copy");
  copyTensor(context_, src, dst);
}

void CudaBackend::binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  makeCurrent();
  NvtxRange range(opName(op));
  binaryOp(context_, op, a, b, out);
}

void CudaBackend::unary(UnaryOp op, const Tensor& x, const Tensor& out) {
  makeCurrent();
  NvtxRange range(opName(op));
  unaryOp(context_, op, x, out);
}

void CudaBackend::unaryBackward(UnaryOp op, const Tensor& grad, const Tensor& saved,
                                const Tensor& out) {
  makeCurrent();
  NvtxRange range("unaryBackward");
  unaryBackwardOp(context_, op, grad, saved, out);
}

void CudaBackend::reduce(ReduceOp op, const Tensor& x, const std::vector<bool>& reduced,
                         const Tensor& out) {
  makeCurrent();
  NvtxRange range(opName(op));
  reduceOp(context_, op, x, reduced, out);
}

void CudaBackend::maxBackward(const Tensor& grad, const Tensor& x, const std::vector<bool>& reduced,
                              const Tensor& out) {
  makeCurrent();
  NvtxRange range("maxBackward");
  maxBackwardOp(context_, grad, x, reduced, out);
}

void CudaBackend::softmax(const Tensor& x, int64_t axis, bool log, const Tensor& out) {
  makeCurrent();
  NvtxRange range(log ? "logSoftmax" : "softmax");
  softmaxOp(context_, x, axis, log, out);
}

void CudaBackend::softmaxBackward(const Tensor& grad, const Tensor& y, int64_t axis, bool log,
                                  const Tensor& out) {
  makeCurrent();
  NvtxRange range(log ? "logSoftmaxBackward" : "softmaxBackward");
  softmaxBackwardOp(context_, grad, y, axis, log, out);
}

void CudaBackend::matmul(const Tensor& a, const Tensor& b, const Tensor& out) {
  makeCurrent();
  NvtxRange range("matmul");
  matmulOp(context_, a, b, out);
}

void CudaBackend::gather(const Tensor& table, const Tensor& indices, const Tensor& out) {
  makeCurrent();
  NvtxRange range("gather");
  gatherOp(context_, table, indices, out);
}

void CudaBackend::gatherBackward(const Tensor& grad, const Tensor& indices,
                                 std::optional<int64_t> paddingIdx, const Tensor& out) {
  makeCurrent();
  NvtxRange range("gatherBackward");
  gatherBackwardOp(context_, grad, indices, paddingIdx, out);
}

void CudaBackend::dropout(const Tensor& x, double p, uint64_t seed, const Tensor& out,
                          const Tensor& mask) {
  makeCurrent();
  NvtxRange range("dropout");
  dropoutOp(context_, x, p, seed, out, mask);
}

void CudaBackend::crossEntropy(const Tensor& logits, const Tensor& targets,
                               const CrossEntropyOptions& options, const Tensor& loss,
                               const Tensor& logProbs) {
  makeCurrent();
  NvtxRange range("crossEntropy");
  crossEntropyOp(context_, logits, targets, options, loss, logProbs);
}

void CudaBackend::crossEntropyBackward(const Tensor& gradLoss, const Tensor& logProbs,
                                       const Tensor& targets, const CrossEntropyOptions& options,
                                       const Tensor& out) {
  makeCurrent();
  NvtxRange range("crossEntropyBackward");
  crossEntropyBackwardOp(context_, gradLoss, logProbs, targets, options, out);
}

void CudaBackend::optimizerStep(OptimizerKind kind, const OptimizerHyper& hyper,
                                const std::vector<ParamUpdate>& updates) {
  makeCurrent();
  static const char* const kNames[] = {"sgd.step", "adam.step", "adamw.step", "rmsprop.step",
                                       "adagrad.step"};
  NvtxRange range(kNames[static_cast<int>(kind)]);
  optimizerStepOp(context_, kind, hyper, updates);
}

void CudaBackend::clipGradNorm(const std::vector<Tensor>& tensors, double maxNorm, double normType,
                               const Tensor& norm) {
  makeCurrent();
  NvtxRange range("clipGradNorm");
  clipGradNormOp(context_, tensors, maxNorm, normType, norm);
}

void CudaBackend::clampInPlace(const std::vector<Tensor>& tensors, double min, double max) {
  makeCurrent();
  NvtxRange range("clampInPlace");
  // float bounds: -inf/inf stay infinite; finite ones round to the nearest float32 (as torch).
  for (const Tensor& t : tensors)
    clampTensor(context_, t, static_cast<float>(min), static_cast<float>(max));
}

// ---- the recurrent stack (rnn_cudnn.*)
// ------------------------------------------------------------

RnnLayout CudaBackend::rnnLayout(const RnnConfig& config) {
  std::lock_guard<std::mutex> lock(layoutMutex_);
  std::string key = configKey(config);
  auto found = layouts_.find(key);
  if (found != layouts_.end()) return found->second;
  makeCurrent();
  RnnLayout layout = cudnnRnnLayout(layoutContext_, config);
  layouts_.emplace(key, layout);
  return layout;
}

void CudaBackend::rnnForward(const RnnProblem& problem, const RnnInputs& in, bool training,
                             uint64_t seed, const RnnOutputs& out, RnnReserve* reserve) {
  makeCurrent();
  std::string name = str(rnnModeName(problem.config.mode), training ? ".fwd" : ".infer");
  NvtxRange range(name.c_str());
  cudnnRnnForward(context_, problem, in, training, seed, out, reserve);
}

void CudaBackend::rnnBackward(const RnnProblem& problem, const RnnInputs& in,
                              const RnnReserve& reserve, const RnnGrads& grads,
                              const RnnInputGrads& out) {
  makeCurrent();
  std::string name = str(rnnModeName(problem.config.mode), ".bwd");
  NvtxRange range(name.c_str());
  cudnnRnnBackward(context_, problem, in, reserve, grads, out);
}

}  // namespace rk::cuda
