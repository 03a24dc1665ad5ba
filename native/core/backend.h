// The interface a device backend fills. core/ops.cpp validates every argument and allocates the
// outputs; a backend only computes. Kernels run inside stream tasks, in stream order, and may
// assume their arguments are valid (shapes, dtypes, devices), except index values: core checks
// those through checkIndices, which on a GPU reports a bad index only later, so kernels that read
// indices must stay memory-safe with any value (they skip or zero what a bad index would read).
// Outputs are always fresh contiguous tensors unless noted.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/error.h"
#include "core/index_bounds.h"
#include "core/loss.h"
#include "core/op_kinds.h"
#include "core/optim.h"
#include "core/rnn.h"
#include "core/tensor.h"

namespace rk {

class Backend {
 public:
  virtual ~Backend() = default;

  virtual const char* name() const = 0;
  /** Library versions and threads, for backends(). */
  virtual std::string detail() const = 0;

  // Memory. allocate throws RK_OUT_OF_MEMORY; deallocate takes what allocate returned, with the
  // same size (backends may cache blocks by size).
  virtual void* allocate(size_t bytes) = 0;
  virtual void deallocate(void* data, size_t bytes) noexcept = 0;

  // Called on the JS thread: the result is complete when they return.
  virtual void upload(const Tensor& dst, const void* host) = 0;
  virtual void fill(const Tensor& dst, double value) = 0;
  /** Copies the view into `host` in row-major order (on the JS thread or in a task). */
  virtual void download(const Tensor& src, void* host) = 0;

  // Kernels (run in stream tasks).
  /** dst may be any view of the same shape; casts when the dtypes differ. */
  virtual void copy(const Tensor& src, const Tensor& dst) = 0;
  /** a and b broadcast to out's shape. */
  virtual void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) = 0;
  virtual void unary(UnaryOp op, const Tensor& x, const Tensor& out) = 0;
  virtual void unaryBackward(UnaryOp op, const Tensor& grad, const Tensor& saved,
                             const Tensor& out) = 0;
  /** `reduced[i]` says whether axis i of x is reduced; out holds the kept axes in order. */
  virtual void reduce(ReduceOp op, const Tensor& x, const std::vector<bool>& reduced,
                      const Tensor& out) = 0;
  /**
   * out (zeroed, x's shape) gets grad's element of each group at the group's first maximal
   * element of x (first NaN, if any). grad has the kept axes, with or without size-1 reduced ones.
   */
  virtual void maxBackward(const Tensor& grad, const Tensor& x, const std::vector<bool>& reduced,
                           const Tensor& out) = 0;
  virtual void softmax(const Tensor& x, int64_t axis, bool log, const Tensor& out) = 0;
  virtual void softmaxBackward(const Tensor& grad, const Tensor& y, int64_t axis, bool log,
                               const Tensor& out) = 0;
  /** a [..., M, K] and b [..., K, N] with batch dims broadcast to out [..., M, N]. */
  virtual void matmul(const Tensor& a, const Tensor& b, const Tensor& out) = 0;
  virtual void gather(const Tensor& table, const Tensor& indices, const Tensor& out) = 0;
  /** Rows whose index equals paddingIdx (when given) add nothing. */
  virtual void gatherBackward(const Tensor& grad, const Tensor& indices,
                              std::optional<int64_t> paddingIdx, const Tensor& out) = 0;
  /** out = x * mask, mask (contiguous) = 0 or 1/(1-p), decided by (seed, row-major index). */
  virtual void dropout(const Tensor& x, double p, uint64_t seed, const Tensor& out,
                       const Tensor& mask) = 0;
  virtual void crossEntropy(const Tensor& logits, const Tensor& targets,
                            const CrossEntropyOptions& options, const Tensor& loss,
                            const Tensor& logProbs) = 0;
  virtual void crossEntropyBackward(const Tensor& gradLoss, const Tensor& logProbs,
                                    const Tensor& targets, const CrossEntropyOptions& options,
                                    const Tensor& out) = 0;
  /**
   * The recurrent stack forward. `reserve` is null for inference; for training the kernel
   * stores in reserve->saved what rnnBackward needs. `seed` drives the dropout masks.
   */
  virtual void rnnForward(const RnnProblem& problem, const RnnInputs& in, bool training,
                          uint64_t seed, const RnnOutputs& out, RnnReserve* reserve) = 0;
  /** Gradients of the training forward that filled `reserve` (which matches `problem`). */
  virtual void rnnBackward(const RnnProblem& problem, const RnnInputs& in,
                           const RnnReserve& reserve, const RnnGrads& grads,
                           const RnnInputGrads& out) = 0;

  // In-place kernels (core/ops_optim.cpp checked dtypes, shapes, contiguity and aliasing).
  /** One step of `kind` over every parameter: param and states updated in place. */
  virtual void optimizerStep(OptimizerKind kind, const OptimizerHyper& hyper,
                             const std::vector<ParamUpdate>& updates) = 0;
  /** Writes the total norm into `norm` ([]); scales the tensors unless maxNorm is inf. */
  virtual void clipGradNorm(const std::vector<Tensor>& tensors, double maxNorm, double normType,
                            const Tensor& norm) = 0;
  virtual void clampInPlace(const std::vector<Tensor>& tensors, double min, double max) = 0;

  // With defaults, so a backend overrides only what differs. Every virtual is pure or inline:
  // Backend then has no key function, and the CUDA module, which does not compile backend.cpp,
  // gets its own copy of Backend's vtable and type info.
  /**
   * Where each canonical parameter sits in this backend's flat weight buffer for a validated
   * config (default: rk::rnnLayout, the canonical consecutive order). Called on the JS thread.
   */
  virtual RnnLayout rnnLayout(const RnnConfig& config) { return rk::rnnLayout(config); }
  /**
   * Whether kernels finish their work on the calling thread before returning, so a small task may
   * run inline on the JS thread (core/op_support.h). A GPU's kernels only enqueue, and its reads
   * wait for the device: its tasks stay on the worker.
   */
  virtual bool runsOnHost() const { return false; }
  /**
   * Called in a stream task by reads and syncs: returns when the device has finished all the work
   * queued before it, and throws the device's failure if asynchronous work failed. The CPU runs
   * its kernels inside the tasks, so it has nothing to wait for.
   */
  virtual void synchronize() {}
  /**
   * Checks, in the task of an op that reads `indices`, that every element passes `bounds`
   * (core/index_check.h). The default reads them back and throws RK_INDEX for the first bad one,
   * which fails the task and poisons the stream. A backend whose reads wait for a device checks
   * on the device instead and reports the failure through takeDeviceFailure.
   */
  virtual void checkIndices(const Tensor& indices, const IndexBounds& bounds) {
    std::vector<int32_t> values(static_cast<size_t>(indices.numel()));
    download(indices, values.data());
    bounds.check(indices.shape, values.data());
  }
  /**
   * Called in the stream task of every read and sync, before it reads: the first failure that
   * work queued since the last call recorded on the device instead of throwing (a bad index found
   * by checkIndices), cleared, or nothing; waits for that work when there is any to wait for. The
   * read reports it as the failure of the op that recorded it, like a poisoned stream's. The CPU
   * records none.
   */
  virtual std::optional<Error> takeDeviceFailure() { return std::nullopt; }
};

/** The backend serving `device` (a CUDA device must be available: see requireCudaDevice). */
Backend& backendFor(Device device);

/** Defined by native/cpu. */
Backend& cpuBackend();

/**
 * The backend of CUDA device `index`, made on first use; throws RK_DEVICE "device 'cuda:N' is not
 * available: <reason>" when it cannot be. Defined by core/cuda_module.cpp in the addon (which
 * loads the separate CUDA module), and by the native CUDA tests, which link the backend directly.
 */
Backend& cudaBackend(int index);
/** The CUDA devices whose backend was made so far (memory() reports them). */
std::vector<Device> cudaDevicesInUse();

/** Throws RK_DEVICE (as cudaBackend) unless `device` is the CPU or an available CUDA device. */
void requireCudaDevice(Device device);

}  // namespace rk
