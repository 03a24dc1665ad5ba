#!/usr/bin/env bash
# The native addon under AddressSanitizer + UndefinedBehaviorSanitizer, and under valgrind.
#
#   bash scripts/reliability/sanitize.sh            # build (once) + every stage below
#   bash scripts/reliability/sanitize.sh build      # only (re)build build-asan/
#   bash scripts/reliability/sanitize.sh suite      # the CPU vitest suite on the ASan build
#   bash scripts/reliability/sanitize.sh leaks      # the focused leak check (LeakSanitizer)
#   bash scripts/reliability/sanitize.sh hostile    # the long hostile-checkpoint run on it
#   bash scripts/reliability/sanitize.sh fuzz       # the long API fuzzer run on it
#   bash scripts/reliability/sanitize.sh valgrind   # memcheck over a small subset (plain build)
#
# Stages:
#  1. build: the addon with -fsanitize=address,undefined into build-asan/ (its own folder; the
#     flags go in through cmake-js --CD, CMakeLists.txt is unchanged). UBSan does not recover:
#     the first undefined behaviour aborts with its report.
#  2. suite: `vitest run` over the whole suite with RNNKIT_ADDON pointing at that build. Node is
#     not built with ASan, so the runtime is preloaded (LD_PRELOAD) and must come first. Leak
#     detection is off here: V8 and node keep memory at exit that LeakSanitizer cannot see through.
#  3. leaks: scripts/reliability/leak-check.mjs under LeakSanitizer (detect_leaks=1). It disposes
#     everything and collects garbage before exit, so every leak report with a frame in
#     rnnkit.node is ours; reports inside node/V8 only are counted apart and not failed on.
#  4. hostile: scripts/reliability/hostile-checkpoints.mjs (10,000+ files) on the ASan build.
#     fuzz: scripts/reliability/fuzz.mjs (10,000 calls; its findings are counted by the script,
#     this stage fails only on sanitizer reports or an abort).
#  5. valgrind: memcheck (no leak check) over leak-check.mjs and 300 hostile checkpoints on a
#     plain -O1 -g build (build-valgrind/, or VALGRIND_ADDON=<a plain rnnkit.node>): valgrind
#     cannot run ASan binaries.
# Every stage prints the number of sanitizer/valgrind reports it saw; the script exits 1 if any
# stage saw one in rnnkit's code or a test failed. It installs nothing: a missing tool is named
# with the apt-get line that installs it.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
STAGE=${1:-all}
LOGS=${RELIABILITY_LOGS:-$ROOT/build-asan/logs}
PARALLEL=${PARALLEL:-2}
mkdir -p "$LOGS"
status=0

libpath() { gcc -print-file-name="$1"; }
ASAN_LIB=$(libpath libasan.so)
UBSAN_LIB=$(libpath libubsan.so)

build() {
  local out=$1 cxx=$2 ld=$3
  npx cmake-js build --out "$out" --parallel "$PARALLEL" --CDRNNKIT_CUDA=OFF \
    --CDCMAKE_CXX_FLAGS_RELEASE="$cxx" --CDCMAKE_SHARED_LINKER_FLAGS_RELEASE="$ld" >"$LOGS/$(basename "$out").build.log" 2>&1 ||
    { echo "build of $out failed: see $LOGS/$(basename "$out").build.log"; tail -30 "$LOGS/$(basename "$out").build.log"; exit 1; }
}

stage_build() {
  if [ ! -f "$ASAN_LIB" ] || [ "$ASAN_LIB" = libasan.so ]; then
    echo "libasan not found: sudo apt-get install libasan8 libubsan1 (gcc's sanitizer runtimes)"; exit 1
  fi
  echo "== build: build-asan/ (-fsanitize=address,undefined)"
  build build-asan "-O1 -g -DNDEBUG -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
    "-fsanitize=address,undefined"
  echo "   built build-asan/Release/rnnkit.node"
}

# Runs a command with the sanitizer runtimes preloaded; the report log goes to $LOGS/$1.*
asan_run() {
  local name=$1; shift
  rm -f "$LOGS/$name".asan.* "$LOGS/$name".ubsan.*
  LD_PRELOAD="$ASAN_LIB:$UBSAN_LIB" \
  ASAN_OPTIONS="detect_leaks=${DETECT_LEAKS:-0}:log_path=$LOGS/$name.asan:abort_on_error=1:detect_odr_violation=0:allocator_may_return_null=1${ASAN_EXTRA:-}" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$LOGS/$name.ubsan" \
  LSAN_OPTIONS="suppressions=$ROOT/scripts/reliability/lsan.supp:print_suppressions=0" \
  RNNKIT_ADDON="$ROOT/build-asan/Release/rnnkit.node" "$@"
}

# The number of ASan/UBSan error reports in the logs of a run.
count_reports() {
  local name=$1
  cat "$LOGS/$name".asan.* "$LOGS/$name".ubsan.* 2>/dev/null | grep -cE '^(==[0-9]+==ERROR: |.*runtime error: )'
}

need_asan_build() {
  [ -f build-asan/Release/rnnkit.node ] || stage_build
}

# The scripts import the built package (dist/): build it once per run.
built_dist=0
need_dist() {
  [ "$built_dist" -eq 1 ] && return 0
  # tsc emits even when it reports type errors elsewhere in the tree; go on if dist/ is there.
  npm run build >"$LOGS/tsc.log" 2>&1 || echo "   (npm run build reported errors, see $LOGS/tsc.log; using the emitted dist/)"
  [ -f dist/index.js ] || { echo "no dist/index.js"; return 1; }
  built_dist=1
}

stage_suite() {
  need_asan_build
  echo "== suite: vitest run (all CPU tests) on the ASan build"
  asan_run suite npx vitest run --reporter=dot >"$LOGS/suite.vitest.log" 2>&1
  local rc=$?
  local n; n=$(count_reports suite)
  tail -8 "$LOGS/suite.vitest.log" | grep -E 'Test Files|Tests|Duration' || true
  echo "   vitest exit $rc; ASan/UBSan reports: $n (logs: $LOGS/suite.*)"
  [ "$rc" -eq 0 ] && [ "$n" -eq 0 ] || status=1
}

stage_leaks() {
  need_asan_build
  echo "== leaks: leak-check.mjs under LeakSanitizer"
  need_dist || { status=1; return; }
  DETECT_LEAKS=1 asan_run leaks node --expose-gc scripts/reliability/leak-check.mjs >"$LOGS/leaks.out" 2>&1
  local rc=$?
  cat "$LOGS/leaks.out"
  # One block per leak: "Direct/Indirect leak of N byte(s) ..." followed by its frames.
  local ours others
  read -r ours others < <(cat "$LOGS"/leaks.asan.* 2>/dev/null | awk '
    /^(Direct|Indirect) leak of/ { if (inblock) { if (hit) o++; else x++ } inblock=1; hit=0; next }
    inblock && /rnnkit\.node|rk::/ { hit=1 }
    END { if (inblock) { if (hit) o++; else x++ } print o+0, x+0 }')
  local errors; errors=$(cat "$LOGS"/leaks.asan.* "$LOGS"/leaks.ubsan.* 2>/dev/null | grep -E '^==[0-9]+==ERROR: |runtime error: ' | grep -vc 'LeakSanitizer' )
  echo "   exit $rc; leak reports with a frame in rnnkit: $ours; leak reports inside node/V8 only: $others; other ASan/UBSan reports: $errors"
  [ "$ours" -eq 0 ] && [ "$errors" -eq 0 ] || status=1
}

stage_hostile() {
  need_asan_build
  echo "== hostile: hostile-checkpoints.mjs on the ASan build"
  need_dist || { status=1; return; }
  asan_run hostile node scripts/reliability/hostile-checkpoints.mjs "${HOSTILE_ARGS[@]}" >"$LOGS/hostile.out" 2>&1
  local rc=$?
  tail -12 "$LOGS/hostile.out"
  local n; n=$(count_reports hostile)
  echo "   exit $rc; ASan/UBSan reports: $n"
  [ "$rc" -eq 0 ] && [ "$n" -eq 0 ] || status=1
}

stage_fuzz() {
  need_asan_build
  echo "== fuzz: fuzz.mjs (10,000 API calls) on the ASan build"
  need_dist || { status=1; return; }
  asan_run fuzz node scripts/reliability/fuzz.mjs --runs 10000 --seed "${FUZZ_SEED:-20261123}" >"$LOGS/fuzz.out" 2>&1
  local rc=$?
  grep -E "calls in|^memory|^findings|^PASS|^FAIL|^ABORT" "$LOGS/fuzz.out"
  local n; n=$(count_reports fuzz)
  echo "   exit $rc; ASan/UBSan reports: $n"
  [ "$n" -eq 0 ] || status=1
  if grep -q '^ABORT' "$LOGS/fuzz.out"; then status=1; fi
}

stage_valgrind() {
  if ! command -v valgrind >/dev/null; then
    echo "valgrind not found: sudo apt-get install valgrind"; status=1; return
  fi
  local addon=${VALGRIND_ADDON:-$ROOT/build-valgrind/Release/rnnkit.node}
  if [ -z "${VALGRIND_ADDON:-}" ] && [ ! -f "$addon" ]; then
    echo "== build: build-valgrind/ (-O1 -g, no sanitizer)"
    build build-valgrind "-O1 -g -fno-omit-frame-pointer -DNDEBUG" ""
  fi
  need_dist || { status=1; return; }
  # A subset, as plain node scripts (vitest's workers multiply valgrind's cost): the leak-check
  # workload (every op family, RNN forward/backward, optimizers, failing native calls) and 300
  # hostile checkpoints. JIT code makes V8 noisy under memcheck, so errors are counted only where
  # a frame is in rnnkit.node (all of them are printed too).
  echo "== valgrind: memcheck over leak-check.mjs and 300 hostile checkpoints ($addon)"
  rm -f "$LOGS"/valgrind.*.log
  local rc=0
  for run in "leak-check.mjs" "hostile-checkpoints.mjs --count 300"; do
    # shellcheck disable=SC2086
    RNNKIT_ADDON="$addon" OMP_NUM_THREADS=2 valgrind --tool=memcheck --leak-check=no --error-limit=no \
      --smc-check=all-non-file --num-callers=30 --log-file="$LOGS/valgrind.%p.log" \
      node --expose-gc scripts/reliability/$run >>"$LOGS/valgrind.out" 2>&1 || rc=$?
  done
  grep -E "^leak-check|^CheckpointError|^loaded|^PASS|^FAIL" "$LOGS/valgrind.out" || true
  local ours all
  read -r ours all < <(cat "$LOGS"/valgrind.*.log 2>/dev/null | awk '
    /^==[0-9]+== (Invalid|Conditional|Use of uninitialised|Mismatched|Source and destination overlap|Syscall param|Argument)/ { if (inblock && hit) o++; inblock=1; hit=0; a++; next }
    /^==[0-9]+== *$/ { if (inblock && hit) o++; inblock=0; hit=0; next }
    inblock && /rnnkit\.node/ { hit=1 }
    END { if (inblock && hit) o++; print o+0, a+0 }')
  echo "   exit $rc; memcheck errors with a frame in rnnkit.node: $ours (all, node/V8 included: $all; logs: $LOGS/valgrind.*.log)"
  [ "$rc" -eq 0 ] && [ "$ours" -eq 0 ] || status=1
}

HOSTILE_ARGS=()
case "$STAGE" in
  build) stage_build ;;
  suite) stage_suite ;;
  leaks) stage_leaks ;;
  hostile) shift; HOSTILE_ARGS=("$@"); stage_hostile ;;
  fuzz) stage_fuzz ;;
  valgrind) stage_valgrind ;;
  all) stage_build; stage_suite; stage_leaks; stage_hostile; stage_fuzz; stage_valgrind ;;
  *) echo "unknown stage '$STAGE' (build, suite, leaks, hostile, fuzz, valgrind, all)"; exit 2 ;;
esac
exit $status
