"""What the stress harness costs per invocation, on each lane side by side (issue 22, item 6).

The stress engine (probes/ftlab_probes/runtime/stress/) invokes one scenario again and again on
worker threads (execute.Invoker) and judges each invocation (oracle.Judge). On a free-threaded build
it ran 3-10x fewer invocations per second than on a GIL build of the same version; this says where
the time goes, for the calibration counter (``ftcalib_counter.probes:RacyCounterProbe``) with one
``add(1)`` in each of two threads, the scenario its race shows in:

- **thread start**: starting and joining the scenario's worker threads (once per scenario);
- **barrier pair (before)**: what each invocation paid before the crew (execute.Crew): two worker
  threads lined up on a ``threading.Barrier`` and collected on another, no ops;
- **start+done**: releasing the crew and collecting it, with empty op lists (what every invocation
  pays now);
- **record+convert (per op)**: what each op pays around its call: two clock reads, its result made
  comparable (target.Outcome.of_value) and its record stored;
- **invoke**: a whole invocation (a fresh object, the schedule's plan, the threads' ops, invariant,
  state, the records read back);
- **judge**: the oracle on that invocation (outcome keys, precedence, the linearizability check,
  served from its cache once a history has been seen);
- **invocations/s**: invoke and judge in a loop, as a worker runs them.

Each figure is the median of ``--repeats`` runs of ``--seconds``, the lanes taking turns (a fresh
process per run) so a change in the machine's load hits them alike. It runs in each lane given with
``--python`` (repeatable; default ``$FTLAB_PY314`` and ``$FTLAB_FT_PYTHON``), in a venv where the
calibration fixtures are installed (built with uv as benchmarks/calibration.py does, cached), and
prints one table with a column per lane and the free-threaded lane's slowdown.

    python benchmarks/stress_harness.py [--python PATH ...] [--seconds 1] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = "ftcalib_counter.probes:RacyCounterProbe"

#: Runs per repeat of the thread-start figure: a thread start is tens of microseconds.
THREAD_STARTS = 200


def measure(seconds: float, repeats: int) -> dict[str, float]:
    """In the lane: every figure, microseconds per unit (invocations/s for the rate)."""
    import random
    import threading

    from ftlab_probes.runtime.stress.execute import Invoker, set_switch_interval
    from ftlab_probes.runtime.stress.oracle import Judge
    from ftlab_probes.runtime.stress.scenario import Call, Scenario
    from ftlab_probes.runtime.stress.target import Outcome, Target

    set_switch_interval()
    target = Target(PROBE)
    scenario = Scenario((), ((Call("add", (1,)),), (Call("add", (1,)),)), ())
    empty = Scenario((), ((), ()), ())

    def per_unit(fn):
        """Median microseconds per call of ``fn`` over repeats of ``seconds``."""
        samples = []
        for _ in range(repeats):
            n, began = 0, time.perf_counter()
            while time.perf_counter() - began < seconds:
                fn()
                n += 1
            samples.append((time.perf_counter() - began) / n * 1e6)
        return statistics.median(samples)

    def thread_start():
        threads = [threading.Thread(target=lambda: None) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    out = {"thread start": per_unit(thread_start)}
    start, done = threading.Barrier(3), threading.Barrier(3)
    stop = []

    def barrier_worker():
        while True:
            start.wait()
            if stop:
                return
            done.wait()

    workers = [threading.Thread(target=barrier_worker, daemon=True) for _ in range(2)]
    for t in workers:
        t.start()

    def barrier_pair():
        start.wait()
        done.wait()

    out["barrier pair (before)"] = per_unit(barrier_pair)
    stop.append(True)
    start.wait()
    for t in workers:
        t.join()
    records = [None]
    clock = time.perf_counter_ns

    def record_and_convert():
        began = clock()
        records[0] = (began, clock(), Outcome.of_value(3, True))

    out["record+convert (per op)"] = per_unit(record_and_convert)
    rng = random.Random(0)
    invoker = Invoker(target, empty)
    try:
        out["start+done"] = per_unit(lambda: invoker.invoke(rng))
    finally:
        invoker.close()
    invoker = Invoker(target, scenario)
    judge = Judge(target, scenario)
    try:
        out["invoke"] = per_unit(lambda: invoker.invoke(rng))
        last = invoker.invoke(rng)
        out["judge"] = per_unit(lambda: judge.judge(last))
        both = per_unit(lambda: judge.judge(invoker.invoke(rng)))
        out["invoke+judge"] = both
        out["invocations/s"] = 1e6 / both
    finally:
        invoker.close()
    return out


def lane_venv(python: str, cache: Path) -> Path:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import calibration

    return calibration.build_venv(python, cache)


def lane_name(python: Path) -> str:
    code = "import sys, sysconfig; print(sys.version.split()[0] + ('t' if sysconfig.get_config_var('Py_GIL_DISABLED') else ''))"
    return subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", action="append", help="a lane interpreter, repeatable")
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "ftlab-calibration")
    parser.add_argument("--in-lane", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.in_lane:
        print(json.dumps(measure(args.seconds, args.repeats)))
        return 0
    pythons = args.python or [os.environ[v] for v in ("FTLAB_PY314", "FTLAB_FT_PYTHON") if os.environ.get(v)]
    if not pythons:
        raise SystemExit("stress_harness: no lane; pass --python PATH (or set FTLAB_PY314 / FTLAB_FT_PYTHON)")
    args.cache.mkdir(parents=True, exist_ok=True)
    venvs = [lane_venv(python, args.cache) for python in pythons]
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT / "probes")}
    # Lanes alternate, one repeat each in a fresh process, so drift in the machine's load hits every
    # lane alike (the figures are medians over the repeats).
    samples: list[list[dict[str, float]]] = [[] for _ in venvs]
    for _ in range(args.repeats):
        for i, venv in enumerate(venvs):
            proc = subprocess.run([str(venv), "-X", "faulthandler", __file__, "--in-lane", "--seconds",
                                   str(args.seconds), "--repeats", "1"], capture_output=True, text=True, env=env,
                                  timeout=600)
            if proc.returncode:
                raise SystemExit(f"stress_harness: the lane {pythons[i]} failed:\n{proc.stderr[-2000:]}")
            samples[i].append(json.loads(proc.stdout))
    columns = [(lane_name(venv), {k: statistics.median(s[k] for s in runs) for k in runs[0]})
               for venv, runs in zip(venvs, samples, strict=True)]
    names = [name for name, _ in columns]
    ratio = len(columns) == 2
    print(f"stress harness, {PROBE}, add(1) | add(1); median of {args.repeats} x {args.seconds:g} s", file=sys.stderr)
    print("| figure | " + " | ".join(names) + (f" | {names[1]} / {names[0]} |" if ratio else " |"))
    print("|---" * (len(names) + 1 + ratio) + "|")
    for figure in columns[0][1]:
        unit = "" if figure == "invocations/s" else " us"
        cells = [f"{c[figure]:,.1f}{unit}" for _, c in columns]
        if ratio:
            a, b = columns[0][1][figure], columns[1][1][figure]
            cells.append(f"{(a / b if figure == 'invocations/s' else b / a):.2f}x slower")
        print(f"| {figure} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
