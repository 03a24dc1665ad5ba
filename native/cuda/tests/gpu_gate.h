// Whether a native CUDA test may run, must skip, or has failed before it started. It skips (77,
// CTest's skip code) only where there is no GPU at all: no NVIDIA driver (libcuda.so.1 does not
// load) or cudaGetDeviceCount reports no device. With RNNKIT_REQUIRE_GPU=1 (the GPU bundle sets
// it) that is a failure too, and so is any other start-up error, so a broken CUDA backend cannot
// pass as skipped on a GPU machine.
#pragma once

namespace rk::test {

constexpr int kSkip = 77;

/** -1: run the test. Otherwise the exit code (kSkip or 1), after printing why as one line. */
int gpuGate(const char* test);

}  // namespace rk::test
