"""Thread scaling of a probe's operations: ops/s with 1, 2, 4... threads sharing one object.

CPython's Tools/ftscalingbench words it: speedup = ops/s(N threads) / ops/s(1 thread); below 1.1x
a workload "does not scale". On a GIL build nothing scales; on a free-threaded build a shared
object guarded by one lock (or a critical section) shows up here as a flat line.

Runs as its own process (``python -m ftlab_probes.runtime.stress.scaling --probe P --seed S --out F``) so
an operation that crashes or never returns costs the measurement, never the stress job.
Only probes whose search found nothing are measured, at the interpreter's default switch interval.
"""

import argparse
import os
import sys
import threading
import time

from ftlab_probes.runtime import protocol
from ftlab_probes.runtime.children import run_json_child
from ftlab_probes.runtime.stress.draw import Shape, draw_scenarios
from ftlab_probes.runtime.stress.target import Target

#: Scenarios drawn for the pool of calls each thread cycles through.
POOL_SCENARIOS = 20
#: A worker that does not stop this long after being told to is stuck (a deadlock): give up.
JOIN_S = 5.0


def thread_counts(cpus=None):
    """1, 2, 4, ... up to the cores there are (at least 2, so even a 1-core box shows contention)."""
    cpus = max(2, cpus or os.cpu_count() or 2)
    out, n = [], 1
    while n <= cpus:
        out.append(n)
        n *= 2
    return out


def call_pool(target, seed):
    scenarios = draw_scenarios(target.operations, Shape(), POOL_SCENARIOS, seed)
    calls = [c for s in scenarios for part in (s.init, *s.threads, s.post) for c in part]
    return calls or [c for s in scenarios for c in s.init]


def ops_per_second(target, calls, threads, seconds):
    """Total calls per second with ``threads`` threads cycling through ``calls`` on one shared object."""
    obj = target.make()
    stop = threading.Event()
    barrier = threading.Barrier(threads + 1)
    counts = [0] * threads

    def work(index):
        barrier.wait()
        done, position = 0, index * 7
        while not stop.is_set():
            call = calls[position % len(calls)]
            target.call(obj, call.name, call.args)
            done += 1
            position += 1
        counts[index] = done

    workers = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(threads)]
    for w in workers:
        w.start()
    barrier.wait()
    started = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for w in workers:
        w.join(JOIN_S)
    elapsed = time.perf_counter() - started
    if any(w.is_alive() for w in workers):
        raise RuntimeError("an operation did not return within %.0f s of the end of the measurement" % JOIN_S)
    return sum(counts) / elapsed


def measure(probe, seed, seconds):
    target = Target(probe)
    calls = call_pool(target, seed)
    points = []
    for n in thread_counts():
        points.append({"threads": n, "ops_per_s": round(ops_per_second(target, calls, n, seconds), 1)})
    base = points[0]["ops_per_s"]
    for p in points:
        p["speedup"] = round(p["ops_per_s"] / base, 3) if base else None
    return points


def main(argv=None):
    parser = argparse.ArgumentParser(prog="ftlab_probes.runtime.stress.scaling")
    parser.add_argument("--probe", required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seconds", type=float, default=0.5)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    protocol.write_json_atomic(args.out, {"scaling": measure(args.probe, args.seed, args.seconds)})
    return 0


def run_in_child(probe, seed, seconds, workdir, timeout):
    """The scaling points, or ``{"error": why}``; the measurement runs in its own process."""
    out = os.path.join(workdir, "scaling-%d.json" % os.getpid())
    cmd = [sys.executable, "-m", "ftlab_probes.runtime.stress.scaling", "--probe", probe, "--seed", str(seed),
           "--seconds", str(seconds), "--out", out]
    return run_json_child(cmd, out, timeout, "the measurement")


if __name__ == "__main__":
    sys.exit(main())
