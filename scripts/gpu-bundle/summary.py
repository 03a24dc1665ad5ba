#!/usr/bin/env python3
"""The GPU bundle's summary: reads what run.sh left in OUT_DIR and writes OUT_DIR/summary.json,
then prints it as a short table. Standard library only (it runs on the GPU machine's python3).

    summary.py OUT_DIR --seconds N        after the steps ran
    summary.py OUT_DIR --missing REASON   when a prerequisite is missing (nothing ran)

summary.json: ok, seconds, missing (or null), bundle (MANIFEST.json), gpu, steps (name, outcome,
seconds, budget, exit, and counts: tests passed/failed/skipped from each suite's TAP, checks of the
native tests), bench (the benchmark's table rows), nvtx (ncu's kernels per NVTX range and whether
the cuDNN RNN and optimizer kernels ran inside the ranges named after them). Exits 1 when a check
made here fails (the NVTX ranges, or a suite whose TAP reports failures although it exited 0).
"""

import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# Where each kernel must be seen: the native ranges the CUDA backend opens around its ops.
REQUIRED_RANGES = ("lstm.fwd", "lstm.bwd", "adam.step")


def read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return None


def tap_counts(text):
    """node:test's closing TAP comments (tests, pass, fail, skipped, todo, cancelled), and the
    skipped suites (a suite skipped whole counts as no skipped test)."""
    counts = {}
    for key, value in re.findall(r"^# (tests|pass|fail|skipped|todo|cancelled) (\d+)$", text, re.M):
        counts[key] = int(value)
    counts["skippedSuites"] = len(re.findall(r"^\s*ok \d+ - .* # SKIP", text, re.M))
    return counts


def native_counts(text):
    """backend_test's closing 'N of M checks failed'; rnn_cudnn_test's ok/FAIL lines."""
    m = re.search(r"^(\d+) of (\d+) checks failed$", text, re.M)
    if m:
        return {"checks": int(m.group(2)), "failed": int(m.group(1))}
    ok = len(re.findall(r"^ok  ", text, re.M))
    bad = len(re.findall(r"^FAIL", text, re.M))
    return {"checks": ok + bad, "failed": bad} if ok + bad else {}


KERNEL = re.compile(r"^  (\S.*?) \(\d+, \d+, \d+\)x\(\d+, \d+, \d+\), (?:Context|Device)")
RANGE = re.compile(r"<\d+,\s*([^>]+)>")


def nvtx_report(text):
    """Kernels that ncu profiled, grouped by the innermost NVTX push/pop range around each."""
    kernels = []
    for line in text.splitlines():
        m = KERNEL.match(line)
        if m:
            kernels.append({"kernel": m.group(1), "ranges": []})
        elif kernels and "NVTX" not in line:
            kernels[-1]["ranges"] += RANGE.findall(line)
    by_range = {}
    for k in kernels:
        inner = k["ranges"][-1] if k["ranges"] else "(no NVTX range)"
        names = by_range.setdefault(inner, [])
        short = k["kernel"].split("(")[0][-80:]
        if short not in names:
            names.append(short)
    missing = [r for r in REQUIRED_RANGES if not any(r in k["ranges"] for k in kernels)]
    return {
        "kernels": len(kernels),
        "kernelsInRanges": sum(1 for k in kernels if k["ranges"]),
        "byRange": by_range,
        "missingRanges": missing,
        "ok": len(kernels) > 0 and not missing,
    }


def main(argv):
    out = argv[1]
    args = dict(zip(argv[2::2], argv[3::2]))
    summary = {
        "ok": False,
        "seconds": int(args.get("--seconds", 0)),
        "missing": args.get("--missing"),
        "bundle": json.loads(read(os.path.join(HERE, "MANIFEST.json")) or "null"),
        "gpu": (read(os.path.join(out, "gpu.txt")) or "").strip() or None,
        "steps": [],
        "bench": [],
        "nvtx": None,
    }
    problems = []
    for line in (read(os.path.join(out, "steps.tsv")) or "").splitlines():
        name, outcome, seconds, budget, status = line.split("\t")
        step = {"name": name, "outcome": outcome, "seconds": int(seconds), "budget": int(budget), "exit": status}
        tap = read(os.path.join(out, name + ".tap"))
        text = read(os.path.join(out, name + ".out")) or ""
        if tap is not None:
            step["tests"] = tap_counts(tap)
            failures = step["tests"].get("fail", 0)
            # --selftest's "-required" runs must fail through their tests, not by crashing.
            if name.endswith("-required") and failures == 0:
                problems.append(f"{name}: exited {status} without a failed test (RNNKIT_REQUIRE_GPU=1 must fail each suite)")
            elif not name.endswith("-required") and outcome == "passed" and failures > 0:
                problems.append(f"{name}: exited {status} but its TAP reports failures")
        elif name.startswith(("native", "memcheck-native")):
            step["checks"] = native_counts(text)
        if name in ("bench", "bench-generate"):
            summary["bench"] += [l for l in text.splitlines() if l.startswith("|")]
        if name == "nvtx" and outcome == "passed":
            summary["nvtx"] = nvtx_report(text)
            if not summary["nvtx"]["ok"]:
                problems.append("nvtx: no kernel profiled inside " + ", ".join(summary["nvtx"]["missingRanges"] or ["any range"]))
        summary["steps"].append(step)
    summary["problems"] = problems
    summary["ok"] = (
        summary["missing"] is None
        and bool(summary["steps"])
        and all(s["outcome"] in ("passed", "not run") for s in summary["steps"])
        and not problems
    )
    with open(os.path.join(out, "summary.json"), "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=2)
        f.write("\n")

    if summary["missing"]:
        print(f"summary: nothing ran: {summary['missing']}")
        return 2
    print(f"{'step':<34} {'outcome':<11} {'seconds':>7}  counts")
    for s in summary["steps"]:
        counts = s.get("tests") or s.get("checks") or {}
        shown = " ".join(f"{k} {v}" for k, v in counts.items() if k in ("pass", "fail", "skipped", "skippedSuites", "checks", "failed"))
        print(f"{s['name']:<34} {s['outcome']:<11} {s['seconds']:>7}  {shown}")
    if summary["nvtx"]:
        for name, kernels in summary["nvtx"]["byRange"].items():
            print(f"nvtx {name}: {', '.join(kernels[:4])}{' ...' if len(kernels) > 4 else ''}")
    for line in summary["bench"]:
        print(line)
    for p in problems:
        print(f"problem: {p}")
    print(f"summary: {'all passed' if summary['ok'] else 'FAILED'} in {summary['seconds']} s -> {os.path.join(out, 'summary.json')}")
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
