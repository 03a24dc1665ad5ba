// RAII owners of cuDNN descriptors: created on construction, destroyed with their owner, so an
// exception between two cuDNN calls leaks nothing.
#pragma once

#include <vector>

#include "cuda/cuda_check.h"

namespace rk::cuda {

/** Owns one cuDNN descriptor `Handle` made by `create` and released by `destroy`. */
template <class Handle, cudnnStatus_t (*create)(Handle*), cudnnStatus_t (*destroy)(Handle)>
class CudnnDescriptor {
 public:
  CudnnDescriptor() { CUDNN_CHECK(create(&handle_)); }
  ~CudnnDescriptor() {
    if (handle_) destroy(handle_);  // a failure here has no one to report to
  }
  CudnnDescriptor(const CudnnDescriptor&) = delete;
  CudnnDescriptor& operator=(const CudnnDescriptor&) = delete;

  Handle get() const { return handle_; }

 private:
  Handle handle_ = nullptr;
};

using RnnDescriptor =
    CudnnDescriptor<cudnnRNNDescriptor_t, cudnnCreateRNNDescriptor, cudnnDestroyRNNDescriptor>;
using DropoutDescriptor = CudnnDescriptor<cudnnDropoutDescriptor_t, cudnnCreateDropoutDescriptor,
                                          cudnnDestroyDropoutDescriptor>;

/** A dense row-major tensor descriptor (cuDNN wants at least 3 dims for RNN states). */
class TensorDescriptor
    : public CudnnDescriptor<cudnnTensorDescriptor_t, cudnnCreateTensorDescriptor,
                             cudnnDestroyTensorDescriptor> {
 public:
  void set(cudnnDataType_t type, const std::vector<int>& dims) {
    std::vector<int> strides(dims.size(), 1);
    for (size_t i = dims.size() - 1; i-- > 0;) strides[i] = strides[i + 1] * dims[i + 1];
    CUDNN_CHECK(cudnnSetTensorNdDescriptor(get(), type, static_cast<int>(dims.size()), dims.data(),
                                           strides.data()));
  }
};

/** A padded (unpacked) RNN data descriptor with each sequence's own length. */
class RnnDataDescriptor
    : public CudnnDescriptor<cudnnRNNDataDescriptor_t, cudnnCreateRNNDataDescriptor,
                             cudnnDestroyRNNDataDescriptor> {
 public:
  RnnDataDescriptor(cudnnDataType_t type, cudnnRNNDataLayout_t layout, int maxLength, int batch,
                    int vectorSize, const std::vector<int>& lengths) {
    // Padding is written as zero bits, which is 0 in float, half and bfloat16 alike.
    double zero = 0;
    CUDNN_CHECK(cudnnSetRNNDataDescriptor(get(), type, layout, maxLength, batch, vectorSize,
                                          lengths.data(), &zero));
  }
};

}  // namespace rk::cuda
