"""What the PyTorch peers share: the timing flags, the timed loop and the one JSON line."""

import json
import statistics
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


def time_steps(step, warmup, iters, sync=lambda: None):
    """Runs `step` `warmup` times, then times `iters` runs (seconds each, `sync` before and after)."""
    for _ in range(warmup):
        step()
    sync()
    times = []
    for _ in range(iters):
        sync()
        t0 = time.perf_counter()
        step()
        sync()
        times.append(time.perf_counter() - t0)
    return times


def emit(row, tokens, times):
    """Prints `row` plus the timing fields as ONE JSON line on stdout (the benchmark reads the last line)."""
    med = statistics.median(times)
    row = dict(row, tokens=tokens, ms_per_iter=round(med * 1e3, 3),
               times_ms=[round(t * 1e3, 3) for t in times], tokens_per_s=round(tokens / med, 1))
    print(json.dumps(row), flush=True)
