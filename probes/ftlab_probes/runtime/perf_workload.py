"""One timed repeat of a workload: N threads call its operations for a fixed time, at 1, 2, 4...
threads, each window after a warm-up that is not counted, in two shapes:

- ``shared``: one object for all threads (the worst case for scaling: every call meets the others
  on the same object and its locks);
- ``independent``: each thread has its own object (the case free-threading is for: real
  Python-level parallelism).

A workload is a probe's operations (``--probe module:Class``) or a callable from the user's code
(``--callable module:function``). A callable is called once per object: when it returns a callable,
that is the operation (``def hot(): enc = Encoder(); return lambda: enc.encode(DATA)``: one encoder
per thread, or one for all); when it returns anything else, the function itself is the operation and
both shapes call it (whatever state it keeps is module state, shared either way: ``"stateless"``).

Runs as its own process (``python -m ftlab_probes.runtime.perf_workload --probe P --probe Q --out F``),
one per repeat of a job's workloads, one workload after the other, as pyperf runs each of its runs in a
fresh worker: the spread between repeats then includes what differs between processes (hash seeds,
memory layout). One process serves every workload of a repeat because starting one (the interpreter,
hypothesis) costs seconds on a loaded machine, more than a workload's windows. The document is
rewritten after each workload, so when a workload kills the process the host knows which one did
(``running``), keeps the ones before it and starts a fresh process for the ones after it::

    {"workloads": [{"name", "kind": "probe"|"callable", "points": [...], "independent_points": [...],
                    "stateless": bool, "rss_mb": float, "error": str|null}],
     "running": str|null, "complete": bool, "pid": int}

``points`` is the shared shape (what results before the two shapes hold); ``rss_mb`` the process's
peak so far. Per thread count::

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
#: Calls a window holds at least: a 100 ms operation (a pyperformance benchmark) makes 2 calls in a
#: 0.2 s window, too few for a rate or a p95; its window grows to this many, up to MAX_WINDOW_S.
MIN_CALLS = 20
MAX_WINDOW_S = 2.0
#: A worker that does not stop this long after being told to is stuck (a deadlock): give up.
JOIN_S = 5.0


def bound_calls(target, seed):
    """(bound operation, args) pairs the workers cycle through: the same draws as thread scaling."""
    from ftlab_probes.runtime.stress.scaling import call_pool  # hypothesis draws them

    return [(target.method(c.name), tuple(c.args)) for c in call_pool(target, seed)]


#: The two workload shapes, in the order measured: the shared shape's one-thread window serves the
#: independent shape too (one thread has one object either way).
SHAPES = ("shared", "independent")


class Stuck(RuntimeError):
    """A worker did not stop: its thread still runs, so nothing more is measured in this process."""


def window(obj, calls, threads, seconds, stride=1, objs=None):
    """Run ``threads`` workers over ``calls`` on ``obj`` (or worker i on ``objs[i]``: the independent
    shape) for ``seconds``; what they did."""
    # A plain list read per call, not Event.is_set() (a method call): the loop's own cost is what
    # benchmarks/overhead.py measures, and every nanosecond of it is charged to the operation.
    running = [True]
    barrier = threading.Barrier(threads + 1)
    done = [0] * threads
    errors = [0] * threads
    latencies = [[] for _ in range(threads)]

    def work(index):
        target = obj if objs is None else objs[index]
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
                    fn(target, *args)
                except Exception:
                    failed += 1
            else:
                t0 = clock()
                try:
                    fn(target, *args)
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
        raise Stuck("an operation did not return within %.0f s of the end of the window" % JOIN_S)
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


def _call(op):
    return op()


def load_callable(path):
    """``module:function`` -> (make, calls, stateless, shapes): ``make()`` builds one object (the operation
    the function returns), ``calls`` call it, ``shapes`` are those it can run in."""
    import importlib

    module_name, _, attr = path.partition(":")
    if not module_name or not attr:
        raise ValueError("a workload is module:function, got %r" % (path,))
    fn = importlib.import_module(module_name)
    for part in attr.split("."):
        fn = getattr(fn, part)
    if not callable(fn):
        raise TypeError("workload %s is not callable" % (path,))
    # A workload may say which shapes it has (``fn.ftlab_shapes = ("independent",)``): one whose objects
    # share module state cannot be shared between threads at all.
    only = tuple(getattr(fn, "ftlab_shapes", SHAPES))
    if callable(fn()):
        return fn, [(_call, ())], False, only
    return (lambda: fn), [(_call, ())], True, only


def measure(probe, seed, counts, seconds, warmup, shapes=("shared",), func=None):
    """{shape: [point per thread count]} and whether the shapes are one (a stateless callable)."""
    if func:
        make, calls, stateless, only = load_callable(func)
        shapes = [s for s in shapes if s in only]
    else:
        from ftlab_probes.runtime.stress.target import Target

        target = Target(probe)
        calls, make, stateless = bound_calls(target, seed), target.make, False
    out = {shape: [] for shape in shapes}
    # Shapes interleaved per thread count, so drift in machine load hits both alike.
    for n in counts:
        for shape in shapes:
            if n == 1 and shape == "independent" and out.get("shared"):
                # One thread has one object in either shape: the same window, measured once.
                out[shape].append(out["shared"][-1])
                continue
            if shape == "shared":
                obj, objs = make(), None
            else:
                obj, objs = None, [make() for _ in range(n)]
            out[shape].append(timed_window(obj, calls, n, seconds, warmup, objs))
    return out, stateless


def timed_window(obj, calls, threads, seconds, warmup, objs=None):
    """One measured window after a warm-up at the same thread count (not counted: caches,
    specialisation, lazy imports), which also gives the call rate that sets the latency stride, and
    lengthens the window of a slow operation to MIN_CALLS calls (at most MAX_WINDOW_S)."""
    trial = window(obj, calls, threads, warmup, objs=objs)
    rate = trial["ops_per_s"]
    if 0 < rate * seconds < MIN_CALLS:
        seconds = min(MAX_WINDOW_S, max(seconds, MIN_CALLS / rate))
    stride = max(1, int(rate * seconds // LATENCY_SAMPLES))
    return window(obj, calls, threads, seconds, stride, objs)


def peak_rss_mb():
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # ru_maxrss is in KiB on Linux, bytes on macOS.
    return round(peak / (1024.0 * 1024.0) if sys.platform == "darwin" else peak / 1024.0, 3)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="ftlab_probes.runtime.perf_workload")
    parser.add_argument("--callable", dest="funcs", action="append", default=[],
                        help="module:function, the user's workload (repeatable; timed first)")
    parser.add_argument("--probe", dest="probes", action="append", default=[], help="module:Class, a probe (repeatable)")
    parser.add_argument("--shapes", default="shared", help="comma-separated: shared, independent")
    parser.add_argument("--path", action="append", default=[], help="a folder the workload's module is in")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", default="", help="comma-separated counts (default: 1, 2, 4... up to the cores)")
    parser.add_argument("--seconds", type=float, default=0.3)
    parser.add_argument("--warmup", type=float, default=0.1)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    from ftlab_probes.runtime.stress.scaling import thread_counts

    counts = [int(x) for x in args.threads.split(",") if x.strip()] or thread_counts()
    shapes = [x for x in SHAPES if x in args.shapes.split(",")] or ["shared"]
    # After the lane's own paths: an installed distribution of the same name wins.
    sys.path.extend(p for p in args.path if p not in sys.path)
    todo = [(f, "callable") for f in args.funcs] + [(p, "probe") for p in args.probes]
    doc = {"workloads": [], "running": None, "complete": False, "pid": os.getpid()}
    for name, kind in todo:
        doc["running"] = name
        protocol.write_json_atomic(args.out, doc)
        entry = {"name": name, "kind": kind, "error": None}
        try:
            by_shape, stateless = measure(None if kind == "callable" else name, args.seed, counts, args.seconds,
                                          args.warmup, shapes, name if kind == "callable" else None)
            entry.update({"points": by_shape.get("shared", []), "independent_points": by_shape.get("independent", []),
                          "stateless": stateless})
        except Exception as exc:  # the workload's own failure (cannot import, cannot build, stuck): its repeat
            entry["error"] = "%s: %s" % (type(exc).__name__, str(exc)[:300])
            stuck = isinstance(exc, Stuck)
        else:
            stuck = False
        entry["rss_mb"] = peak_rss_mb()
        doc["workloads"].append(entry)
        if stuck:
            break  # its thread still runs and would slow the next ones: the host starts a fresh process
    doc.update(running=None, complete=True)
    protocol.write_json_atomic(args.out, doc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
