#!/usr/bin/env bash
# Everything that needs an NVIDIA GPU, in one run: builds the addon with the CUDA backend and its
# native tests, runs the native tests (ctest), the GPU test suites, the same suites under
# compute-sanitizer's memcheck, and the GPU benchmark beside PyTorch. Prints a summary line per
# step and exits 1 if any step failed. Without a GPU the suites skip (and say why) and the
# benchmark exits 2.
#
#   bash scripts/gpu-check.sh                 # everything
#   RNNKIT_GPU_CHECK_SKIP=bench bash scripts/gpu-check.sh   # leave steps out (build,ctest,suite,memcheck,bench)
#   CMAKE_CUDA_ARCHITECTURES=90 bash scripts/gpu-check.sh   # the GPU's architecture only (faster build)
#
# Needs: node and npm dependencies installed (npm ci), nvcc, cmake, the cuDNN/cuBLAS runtime
# (`npm run fetch:cuda-deps -- --runtime`, pip wheels, or CUDNN_PATH), compute-sanitizer for the
# memcheck step, and a Python with torch+CUDA for the benchmark's peer (RNNKIT_BENCH_PYTHON).
set -uo pipefail
cd "$(dirname "$0")/.."

out=build-gpu
skip=",${RNNKIT_GPU_CHECK_SKIP:-},"
archs=${CMAKE_CUDA_ARCHITECTURES:-}
failed=0
summary=()

step() {  # step NAME COMMAND...: runs unless skipped, records the outcome
  local name=$1
  shift
  if [[ $skip == *",$name,"* ]]; then
    summary+=("$name: skipped (RNNKIT_GPU_CHECK_SKIP)")
    return
  fi
  echo "==> $name: $*"
  local start=$SECONDS
  "$@"
  local status=$?
  summary+=("$name: exit $status in $((SECONDS - start)) s")
  if [[ $status -ne 0 && $status -ne 77 ]]; then failed=1; fi
}

export RNNKIT_ADDON="$PWD/$out/Release/rnnkit.node"
step build npx cmake-js build --out "$out" --CDRNNKIT_CUDA=ON --CDRNNKIT_CUDA_TESTS=ON \
  ${archs:+--CDCMAKE_CUDA_ARCHITECTURES=$archs}
step ctest ctest --test-dir "$out" --output-on-failure
step suite npx vitest run test/gpu
# memcheck over the GPU suites: every process node starts (vitest's workers too).
step memcheck compute-sanitizer --tool memcheck --target-processes all --error-exitcode 1 \
  npx vitest run test/gpu
step bench npm run bench:gpu

echo
printf '%s\n' "${summary[@]}"
exit $failed
