"""What the perf check's harness costs per operation, against a bare loop calling the same function.

The perf check (lab/ftlab/engine/checks/perf.py) times a probe's operations with ``ftlab_probes.runtime.perf_workload``:
workers cycle through drawn calls on a shared object, checking a stop flag and timing every call with
two ``perf_counter_ns`` reads. That costs something per call; this benchmark says how much, so the
figures a report shows can be read knowing it:

- **bare**: ``for _ in range(n): fn(obj, *args)``, the cheapest way Python can call the operation;
- **harness**: ``perf_workload.timed_window`` with one thread (warm-up, then the window), exactly as a
  perf job runs it;
- **ratio**: harness time per operation / bare time per operation (1.00x: the harness is free), and
  **+ns/op**, the difference: what the harness adds to every operation's share of a window;
- **timer ns**: the median of back-to-back ``perf_counter_ns`` pairs, what timing adds to each reported
  per-call latency (the harness's own loop is outside the timed span). Fast operations are timed one
  call in N (at most 20,000 latencies per window), so the timer is not charged to every call.

Three operations: a dict lookup (tens of ns, the worst case), ``json.dumps`` of a small dict (a few
us) and SHA-256 of 64 KiB (tens of us, like the perf fixture's 100 us of C work). Each figure is the
median of ``--repeats`` runs of ``--seconds`` each, bare and harness runs alternating so drift in
machine load hits both. Runs in the interpreter that runs it, or re-runs
itself in ``--python PATH`` (a lane; it needs hypothesis only for the import of the harness module).

    python benchmarks/overhead.py [--python /path/to/python3.13] [--seconds 0.5] [--repeats 5]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

PAYLOAD = {"name": "ftlab", "lanes": ["3.14", "3.14t"], "ok": True, "n": 12345}
BLOCK = b"x" * 65536


def dict_get(obj):
    return obj.get("lanes")


def json_dumps(obj):
    return json.dumps(obj)


def sha256_64k(obj):
    return hashlib.sha256(BLOCK).digest()


#: (label, operation, shared object).
OPERATIONS = (("dict.get", dict_get, PAYLOAD), ("json.dumps small dict", json_dumps, PAYLOAD),
              ("sha256 of 64 KiB", sha256_64k, None))


def bare_ns_per_op(fn, obj, seconds):
    """Calls per second of the plainest loop, sized from a short trial to last about ``seconds``."""
    n, elapsed = 1000, 0.0
    while elapsed < seconds / 10:
        started = time.perf_counter()
        for _ in range(n):
            fn(obj)
        elapsed = time.perf_counter() - started
        n *= 4
    n = max(1, int(n / 4 * seconds / elapsed))
    started = time.perf_counter()
    for _ in range(n):
        fn(obj)
    return (time.perf_counter() - started) * 1e9 / n


def harness(fn, obj, seconds):
    """(ns per op, median latency ns) of one window, one thread, as a perf job measures it."""
    from ftlab_probes.runtime.perf_workload import timed_window

    calls = [(fn, ())]  # a probe's bound method is called the same way: fn(obj, *args)
    point = timed_window(obj, calls, 1, seconds, seconds / 5)
    return point["elapsed_s"] * 1e9 / point["ops"], point["latency_us"]["p50"] * 1000.0


def timer_ns(samples=100_000):
    clock = time.perf_counter_ns
    spans = []
    for _ in range(samples):
        t0 = clock()
        spans.append(clock() - t0)
    return statistics.median(spans)


def measure(seconds, repeats):
    rows = []
    for label, fn, obj in OPERATIONS:
        bare, timed = [], []
        for _ in range(repeats):
            bare.append(bare_ns_per_op(fn, obj, seconds))
            timed.append(harness(fn, obj, seconds))
        b = statistics.median(bare)
        h = statistics.median(t[0] for t in timed)
        rows.append({"operation": label, "bare_ns": b, "harness_ns": h, "ratio": h / b, "added_ns": h - b,
                     "harness_p50_ns": statistics.median(t[1] for t in timed)})
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default=None, help="run in this interpreter (a lane) instead")
    parser.add_argument("--seconds", type=float, default=0.5, help="per window and bare loop (default 0.5)")
    parser.add_argument("--repeats", type=int, default=5, help="runs per figure; the median is shown (default 5)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    if args.python:
        argv = [args.python, os.path.abspath(__file__), "--seconds", str(args.seconds), "--repeats", str(args.repeats)]
        return subprocess.call(argv + (["--json"] if args.json else []))
    rows = measure(args.seconds, args.repeats)
    timer = timer_ns()
    if args.json:
        print(json.dumps({"python": sys.version.split()[0], "timer_ns": timer, "rows": rows}, indent=1))
        return 0
    print(f"python {sys.version.split()[0]}, 1 thread, median of {args.repeats} x {args.seconds:g} s; "
          f"timer: {timer:.0f} ns per perf_counter_ns pair (added to each reported latency)")
    print(f"{'operation':<24}{'bare ns/op':>12}{'harness ns/op':>15}{'ratio':>8}{'+ns/op':>9}")
    for r in rows:
        print(f"{r['operation']:<24}{r['bare_ns']:>12,.0f}{r['harness_ns']:>15,.0f}{r['ratio']:>7.2f}x"
              f"{r['added_ns']:>9,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
