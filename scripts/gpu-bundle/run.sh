#!/usr/bin/env bash
# The GPU bundle's one run (built by `npm run gpu:bundle`, see scripts/gpu-bundle.mjs): every check
# of rnnkit's CUDA backend and its benchmark beside PyTorch, in at most 8 minutes, on a machine
# that has an NVIDIA GPU, its driver and a Python with NVIDIA's cuDNN 9 and cuBLAS wheels (PyTorch's
# own will do). Nothing is installed or built; Node.js comes with the bundle.
#
#   bash gpu-bundle/run.sh [OUT_DIR]               # OUT_DIR: default $OUT, else gpu-bundle/out
#   RNNKIT_GPU_STEPS=native,ops bash gpu-bundle/run.sh   # only these steps (names below)
#   bash gpu-bundle/run.sh --selftest [OUT_DIR]    # on a machine WITHOUT a GPU: checks the bundle
#
# Steps: native (the native CUDA tests), ops, rnn, faults, train, generate (the GPU suites, compared
# with the CPU backend and PyTorch's fixtures), memcheck (compute-sanitizer over a short subset),
# bench (bench:gpu beside PyTorch), nvtx (ncu on one training step with its NVTX ranges),
# bench-generate (bench:generate's generation rows on CUDA beside PyTorch on CUDA). Each has a
# time budget; a step starts only with time left of the run's 8 minutes, and gets at most that.
#
# Writes OUT_DIR/run.log (everything), OUT_DIR/summary.json (one object: each step's outcome and
# counts; printed as a table at the end) and each step's own output. A missing prerequisite is ONE
# line naming it, and exit 2; a failed step exits 1; all passed: 0. RNNKIT_REQUIRE_GPU=1 is set, so
# a suite that cannot create the CUDA backend fails with the backend's reason instead of skipping.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
selftest=0
if [[ ${1:-} == --selftest ]]; then
  selftest=1
  shift
fi
out=${1:-${OUT:-$here/out}}
mkdir -p "$out"
out=$(cd "$out" && pwd)
: >"$out/run.log"
: >"$out/steps.tsv"
exec > >(tee -a "$out/run.log") 2>&1

# summary.py needs only Python's standard library.
summarize() { python3 "$here/summary.py" "$out" "$@"; }

# A missing prerequisite: one line, the summary says so, exit 2.
missing() {
  echo "run.sh: cannot run: $1"
  summarize --missing "$1" >/dev/null 2>&1 || true
  exit 2
}

python3 -c 'import lzma, tarfile' 2>/dev/null ||
  missing "no working python3 on PATH (the bundle unpacks with Python's tarfile and lzma, and finds cuDNN in its NVIDIA wheels)"

if ((!selftest)); then
  python3 -c 'import ctypes; ctypes.CDLL("libcuda.so.1")' 2>/dev/null ||
    missing "no NVIDIA driver: libcuda.so.1 does not load (run this on a machine with an NVIDIA GPU and its driver; nvidia-smi should list the GPU)"
  # cuDNN and cuBLAS: CUDNN_PATH if given, else the NVIDIA wheels of this python3.
  libs=$(python3 - <<'EOF'
import importlib, os
def lib(*packages):
    for name in packages:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        for folder in getattr(module, "__path__", []):
            if os.path.isdir(os.path.join(folder, "lib")):
                return os.path.join(folder, "lib")
    return "-"
print(lib("nvidia.cudnn"), lib("nvidia.cu13", "nvidia.cublas"))
EOF
  )
  read -r cudnn_lib cublas_lib <<<"$libs"
  if [[ -n ${CUDNN_PATH:-} ]]; then
    cudnn_lib=$CUDNN_PATH/lib
    [[ -e $cudnn_lib/libcublas.so.13 ]] && cublas_lib=$cudnn_lib
  fi
  [[ -e $cudnn_lib/libcudnn.so.9 ]] ||
    missing "cuDNN 9 not found: no libcudnn.so.9 in ${CUDNN_PATH:+CUDNN_PATH/lib ($cudnn_lib) or }$(command -v python3)'s nvidia-cudnn-cu13 wheel (pip install nvidia-cudnn-cu13, or set CUDNN_PATH)"
  [[ -e $cublas_lib/libcublas.so.13 ]] ||
    missing "cuBLAS 13 not found: no libcublas.so.13 in $(command -v python3)'s nvidia-cublas wheel (pip install nvidia-cublas, or set CUDNN_PATH to a folder holding both)"
  export CUDNN_PATH=${cudnn_lib%/lib}
  # The native tests link cuDNN and cuBLAS directly; the addon's loader finds them through CUDNN_PATH.
  export LD_LIBRARY_PATH=$cudnn_lib:$cublas_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi

root=$(mktemp -d "${TMPDIR:-/tmp}/rnnkit-gpu-bundle.XXXXXX")
trap 'rm -rf "$root"' EXIT
python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$here/payload.tar.xz" "$root" ||
  missing "$here/payload.tar.xz could not be unpacked (rebuild the bundle: npm run gpu:bundle)"
node=$root/bin/node
"$node" --version >/dev/null || missing "the bundle's Node.js does not start on this machine ($node)"

export RNNKIT_ADDON=$root/addon/rnnkit.node
export CUBLAS_WORKSPACE_CONFIG=:4096:8 NO_COLOR=1 PYTHONUNBUFFERED=1
unset RNNKIT_DEVICE
((selftest)) || export RNNKIT_REQUIRE_GPU=1

start=$SECONDS
deadline=$((start + 470))
failed=0
wanted() { [[ -z ${RNNKIT_GPU_STEPS:-} || ",$RNNKIT_GPU_STEPS," == *",${1%%-*},"* ]]; }

# step NAME BUDGET EXPECTED COMMAND...: runs COMMAND (stdout and stderr into OUT_DIR/NAME.out) for
# at most BUDGET seconds; EXPECTED is the exit status that counts as passing.
step() {
  local name=$1 budget=$2 expected=$3
  shift 3
  if ! wanted "$name"; then
    printf '%s\tnot run\t0\t0\t-\n' "$name" >>"$out/steps.tsv"
    return
  fi
  local left=$((deadline - SECONDS))
  if ((left < 5)); then
    echo "==> $name: not started, the run's 8 minutes are used up"
    printf '%s\tout of time\t0\t%s\t-\n' "$name" "$budget" >>"$out/steps.tsv"
    failed=1
    return
  fi
  ((budget > left)) && budget=$left
  echo "==> $name (at most ${budget} s): ${*##*/}"
  local t0=$SECONDS
  timeout --kill-after=5 "$budget" "$@" 2>&1 | tee "$out/$name.out"
  local status=${PIPESTATUS[0]}
  local outcome=passed
  if ((status == 124 || status == 137)); then
    outcome="timed out"
  elif ((status != expected)); then
    outcome=failed
  fi
  [[ $outcome == passed ]] || failed=1
  echo "<== $name: $outcome (exit $status) in $((SECONDS - t0)) s"
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$outcome" "$((SECONDS - t0))" "$budget" "$status" >>"$out/steps.tsv"
}

# A GPU suite's command: node:test prints a readable report and writes TAP for the summary's counts.
suite() { printf '%s\n' "$node" --expose-gc --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$out/$1.tap"; }

if ((selftest)); then
  # Without a GPU: the bundle's Node.js, addon and libraries work on the CPU, each suite loads and
  # skips with the backend's reason, and fails with RNNKIT_REQUIRE_GPU=1; the native tests, which
  # link cuDNN and cuBLAS, start where CUDNN_PATH names them (a link-only copy will do) and skip.
  step selftest-cpu 60 0 "$node" "$root/checks/bundle-selftest.mjs"
  if [[ -n ${CUDNN_PATH:-} ]]; then
    export LD_LIBRARY_PATH=$CUDNN_PATH/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    for test in backend_test rnn_cudnn_test; do
      step "selftest-$test" 20 77 "$root/native/$test"
    done
  else
    echo "==> the native tests: not run (set CUDNN_PATH to a folder whose lib/ has libcudnn.so.9 and libcublas.so.13)"
  fi
  for check in "$root"/checks/*.gpu.mjs; do
    name=${check##*/}
    name=${name%.gpu.mjs}
    for mode in skips required; do
      mapfile -t run_suite < <(suite "selftest-$name-$mode")
      step "selftest-$name-$mode" 60 "$([[ $mode == skips ]] && echo 0 || echo 1)" \
        env RNNKIT_REQUIRE_GPU="$([[ $mode == skips ]] && echo 0 || echo 1)" "${run_suite[@]}" "$check"
    done
  done
  step selftest-bench 30 2 "$node" "$root/bench/gpu-lstm.mjs" --no-peer
  step selftest-bench-generate 30 0 "$node" "$root/bench/generate.mjs" --no-peer --rows 0 --threads 1 --steps 1
else
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader >"$out/gpu.txt" 2>&1 || true
  echo "GPU: $(cat "$out/gpu.txt"); cuDNN from $cudnn_lib; cuBLAS from $cublas_lib"
  step native-backend 20 0 "$root/native/backend_test"
  step native-rnn 15 0 "$root/native/rnn_cudnn_test"
  declare -A budgets=([ops]=45 [rnn]=70 [faults]=25 [train]=45 [generate]=30)
  for name in ops rnn faults train generate; do
    budget=${budgets[$name]}
    mapfile -t run_suite < <(suite "$name")
    step "$name" "$budget" 0 "${run_suite[@]}" "$root/checks/$name.gpu.mjs"
  done
  sanitizer=(compute-sanitizer --tool memcheck --error-exitcode 99 --print-limit 20)
  step memcheck-native 30 0 "${sanitizer[@]}" "$root/native/rnn_cudnn_test"
  step memcheck-suite 30 0 "${sanitizer[@]}" "$node" --expose-gc \
    --test-name-pattern='any order|strided x|projection #|cell clipping #' "$root/checks/rnn.gpu.mjs"
  step bench 90 0 env RNNKIT_BENCH_PYTHON=python3 "$node" "$root/bench/gpu-lstm.mjs"
  step nvtx 30 0 ncu --nvtx --profile-from-start off --clock-control none \
    --metrics gpu__time_duration.sum "$node" "$root/checks/nvtx-step.mjs"
  step bench-generate 45 0 env RNNKIT_BENCH_PYTHON=python3 "$node" "$root/bench/generate.mjs" \
    --device cuda --rows 0,1,2 --threads 2 --steps 3
fi

echo
summarize --seconds "$((SECONDS - start))" || failed=1
exit $failed
