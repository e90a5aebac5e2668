"""One timed repeat of a probe's operations as a workload: N threads call them on one shared object
for a fixed time, at 1, 2, 4... threads, each window after a warm-up that is not counted.

Runs as its own process (``python -m ftlab_probes.runtime.perf_workload --probe P --threads 1,2 --out F``),
one per repeat, as pyperf runs each of its runs in a fresh worker: the spread between repeats then
includes what differs between processes (hash seeds, memory layout), and a crash or a hang in the
workload costs that repeat, never the perf job's import measurements.

Per thread count it writes::

    {"threads": n, "ops": int, "elapsed_s": float, "ops_per_s": float, "cpu_us_per_op": float,
     "latency_us": {"p50", "p95", "p99", "n"}, "errors": int}

``latency_us`` is the wall time of single calls (every call, or one in ``stride`` when there are more than
LATENCY_SAMPLES in a window), timed around the call itself (the harness's own cost per call is what
``benchmarks/overhead.py`` measures); ``cpu_us_per_op`` is the process's CPU time
(every thread) over the window divided by the calls made. ``rss_mb`` is the process's peak RSS.
"""

import argparse
import itertools
import os
import sys
import threading
import time

from ftlab_probes.runtime import protocol
from ftlab_probes.runtime.perf import percentile

#: Latencies kept per window: one call in ``stride`` is timed, so memory stays bounded (a 100 ns
#: operation makes millions of calls in a window), the timer's cost is not charged to every call, and
#: percentiles still rest on many calls.
LATENCY_SAMPLES = 20000
#: A worker that does not stop this long after being told to is stuck (a deadlock): give up.
JOIN_S = 5.0


def bound_calls(target, seed):
    """(bound operation, args) pairs the workers cycle through: the same draws as thread scaling."""
    from ftlab_probes.runtime.stress.scaling import call_pool  # hypothesis draws them

    return [(target.method(c.name), tuple(c.args)) for c in call_pool(target, seed)]


def window(obj, calls, threads, seconds, stride=1):
    """Run ``threads`` workers over ``calls`` on ``obj`` for ``seconds``; what they did."""
    # A plain list read per call, not Event.is_set() (a method call): the loop's own cost is what
    # benchmarks/overhead.py measures, and every nanosecond of it is charged to the operation.
    running = [True]
    barrier = threading.Barrier(threads + 1)
    done = [0] * threads
    errors = [0] * threads
    latencies = [[] for _ in range(threads)]

    def work(index):
        clock = time.perf_counter_ns
        kept = latencies[index]
        keep = kept.append
        start = (index * 7) % len(calls)
        count, failed = 0, 0
        barrier.wait()
        for fn, args in itertools.cycle(calls[start:] + calls[:start]):
            if not running[0]:
                break
            if count % stride:
                try:
                    fn(obj, *args)
                except Exception:
                    failed += 1
            else:
                t0 = clock()
                try:
                    fn(obj, *args)
                except Exception:
                    failed += 1
                keep(clock() - t0)
            count += 1
        done[index] = count
        errors[index] = failed

    workers = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(threads)]
    for w in workers:
        w.start()
    barrier.wait()
    cpu0, started = time.process_time(), time.perf_counter()
    time.sleep(seconds)
    running[0] = False
    for w in workers:
        w.join(JOIN_S)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu0
    if any(w.is_alive() for w in workers):
        raise RuntimeError("an operation did not return within %.0f s of the end of the window" % JOIN_S)
    ops = sum(done)
    lat = [x / 1000.0 for per in latencies for x in per]
    return {
        "threads": threads,
        "ops": ops,
        "elapsed_s": round(elapsed, 6),
        "ops_per_s": round(ops / elapsed, 3) if elapsed > 0 else 0.0,
        "cpu_us_per_op": round(cpu * 1e6 / ops, 4) if ops else None,
        "latency_us": {
            "p50": round(percentile(lat, 50), 4) if lat else None,
            "p95": round(percentile(lat, 95), 4) if lat else None,
            "p99": round(percentile(lat, 99), 4) if lat else None,
            "n": len(lat),
        },
        "errors": sum(errors),
    }


def measure(probe, seed, counts, seconds, warmup):
    from ftlab_probes.runtime.stress.target import Target

    target = Target(probe)
    calls = bound_calls(target, seed)
    obj = target.make()
    return [timed_window(obj, calls, n, seconds, warmup) for n in counts]


def timed_window(obj, calls, threads, seconds, warmup):
    """One measured window after a warm-up at the same thread count (not counted: caches,
    specialisation, lazy imports), which also gives the call rate that sets the latency stride."""
    trial = window(obj, calls, threads, warmup)
    stride = max(1, int(trial["ops_per_s"] * seconds // LATENCY_SAMPLES))
    return window(obj, calls, threads, seconds, stride)


def peak_rss_mb():
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # ru_maxrss is in KiB on Linux, bytes on macOS.
    return round(peak / (1024.0 * 1024.0) if sys.platform == "darwin" else peak / 1024.0, 3)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="ftlab_probes.runtime.perf_workload")
    parser.add_argument("--probe", required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", default="", help="comma-separated counts (default: 1, 2, 4... up to the cores)")
    parser.add_argument("--seconds", type=float, default=0.3)
    parser.add_argument("--warmup", type=float, default=0.1)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    from ftlab_probes.runtime.stress.scaling import thread_counts

    counts = [int(x) for x in args.threads.split(",") if x.strip()] or thread_counts()
    points = measure(args.probe, args.seed, counts, args.seconds, args.warmup)
    protocol.write_json_atomic(args.out, {"points": points, "rss_mb": peak_rss_mb(), "pid": os.getpid()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
