"""What the PyTorch peers share: the timing flags, the timed loop and the one JSON line."""

import json
import statistics
import sys
import time


def add_stack_args(ap):
    """The recurrent stack and batch: --layers --bidirectional --input --hidden --batch --time."""
    ap.add_argument("--layers", type=int, default=1)
    ap.add_argument("--bidirectional", action="store_true")
    ap.add_argument("--input", type=int, required=True)
    ap.add_argument("--hidden", type=int, required=True)
    ap.add_argument("--batch", type=int, required=True)
    ap.add_argument("--time", type=int, required=True)


def add_timing_args(ap):
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--lockstep", action="store_true",
                    help="after warm-up print 'ready', then run each timed step when a line comes on stdin "
                         "and answer its time as {\"ms\": ...} (the benchmark alternates the sides step by step)")


def time_steps(step, warmup, iters, sync=lambda: None, lockstep=False):
    """Runs `step` `warmup` times, then times `iters` runs (seconds each, `sync` before and after).

    With `lockstep`, each timed run waits for a line on stdin and answers with its time, so the
    caller can alternate it with its own steps."""
    for _ in range(warmup):
        step()
    sync()
    if lockstep:
        print("ready", flush=True)
    times = []
    for _ in range(iters):
        if lockstep and not sys.stdin.readline():
            break
        sync()
        t0 = time.perf_counter()
        step()
        sync()
        times.append(time.perf_counter() - t0)
        if lockstep:
            print(json.dumps({"ms": round(times[-1] * 1e3, 3)}), flush=True)
    return times


def emit(row, tokens, times):
    """Prints `row` plus the timing fields as ONE JSON line on stdout (the benchmark reads the last line)."""
    med = statistics.median(times)
    row = dict(row, tokens=tokens, ms_per_iter=round(med * 1e3, 3),
               times_ms=[round(t * 1e3, 3) for t in times], tokens_per_s=round(tokens / med, 1))
    print(json.dumps(row), flush=True)
