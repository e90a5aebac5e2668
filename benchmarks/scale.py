"""How the Dask executor scales: jobs per minute by worker count, what the scheduler costs per job, and a
model fitted to those figures projecting larger clusters (a projection, not a measurement).

Workload: real ftlab runs (``--checks install,import``) of the clean import fixtures in extensions/imports
(no crash or hang: their timeouts would measure the timeout, not the executor) on every lane given. Only
the import stage is timed: its jobs are alike (one sandboxed child per fixture and lane, ~1 s), while the
install stage builds each lane's venv once per machine.

For each worker count: a run with ``--executor dask --workers N`` (a LocalCluster of N single-threaded
process workers), and one on the local executor with one job at a time as the reference.

- **jobs/min**: import jobs / import stage wall time (the stage starts when the last install result is
  recorded, ends with the last import result).
- **job s**: the mean time of a job's own sandboxed child (its recorded duration).
- **overhead/job**: (stage wall x workers - the jobs' own time) / jobs: dispatch, result transfer,
  recording in SQLite, and workers idle at the stage's tail. **share**: overhead / job s.
- **scheduler s/task**: the round trip of a no-op task through the scheduler and the client (submitted
  all at once, as the executor does): the per-job cost that adding workers does not divide.

Model: a stage of J jobs on w workers takes J x (s + P / w), s the scheduler's serial cost per task
(measured with no-op tasks) and P a job's time on a worker, fitted to the 1-worker run
(P = wall1 / J - s). The 2-worker measurement checks the model; 8, 32 and 64 workers are projected,
assuming each worker has a core of its own (this machine has 2, shared) and the index and disk keep up.

    python benchmarks/scale.py [--lane 3.13 --lane PATH ...] [--workers 1,2] [--noop 300]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FIXTURES = ("multiphase-nogil", "multiphase-gil", "singlephase-nogil", "singlephase-gil", "chain", "optional",
            "raises", "toplevel-fails")
PROJECTED = (8, 32, 64)


def measure_run(lanes: list[str], options: dict, store: Path, *, jobs: int = 0) -> dict:
    from ftlab.engine.pipeline import RunRequest, execute
    from ftlab.lanes.subjects import read_subjects

    subjects = read_subjects([str(ROOT / "extensions" / "imports" / f) for f in FIXTURES], []).subjects
    request = RunRequest(subjects=tuple(subjects), lane_specs=tuple(lanes), checks=("install", "import"),
                         store_path=store, jobs=jobs, provision=False, options={"module_timeout_s": 20.0, **options})
    outcome = execute(request)
    from ftlab.store.db import Store

    with Store(store, create=False) as s:
        rows = s.conn.execute("SELECT check_name, recorded_at, duration_s, status FROM results WHERE run_id = ?",
                              (outcome.run_id,)).fetchall()
    install_end = max(r[1] for r in rows if r[0] == "install")
    imports = [r for r in rows if r[0] == "import"]
    wall = max(r[1] for r in imports) - install_end
    return {"jobs": len(imports), "wall_s": wall, "job_s": statistics.mean(r[2] for r in imports),
            "busy_s": sum(r[2] for r in imports), "statuses": sorted({r[3] for r in imports})}


def noop_round_trip(tasks: int, workers: int) -> float:
    """Seconds per no-op task through a LocalCluster's scheduler and the client, submitted at once."""
    import logging

    from distributed import Client, LocalCluster, as_completed

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR) as cluster, \
            Client(cluster, set_as_default=False) as client:
        client.submit(int, 0, pure=False).result()  # warm: workers connected, function shipped
        started = time.perf_counter()
        futures = [client.submit(int, i, pure=False) for i in range(tasks)]
        for fut in as_completed(futures, loop=client.loop):
            fut.result()
        return (time.perf_counter() - started) / tasks


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lane", action="append", default=[], help="a lane (default: 3.10 to 3.13)")
    p.add_argument("--workers", default="1,2", help="worker counts to measure (default: 1,2)")
    p.add_argument("--noop", type=int, default=300, help="no-op tasks for the scheduler's cost (default: 300)")
    args = p.parse_args(argv)
    lanes = args.lane or ["3.10", "3.11", "3.12", "3.13"]
    counts = [int(x) for x in args.workers.split(",")]
    print(f"ftlab scale benchmark: {len(FIXTURES)} import fixtures x lanes {', '.join(lanes)}; "
          f"{os.cpu_count()} cores here", flush=True)
    measured: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="ftlab-scale-") as tmp:
        measured["local 1"] = measure_run(lanes, {}, Path(tmp) / "local" / "ftlab.sqlite", jobs=1) | {"workers": 1}
        for w in counts:
            store = Path(tmp) / f"dask{w}" / "ftlab.sqlite"
            measured[f"dask {w}"] = measure_run(lanes, {"executor": "dask", "workers": w}, store) | {"workers": w}
    s = noop_round_trip(args.noop, max(counts))
    print(f"\n{'executor':<10} {'workers':>7} {'jobs':>5} {'wall s':>7} {'jobs/min':>9} {'job s':>6} "
          f"{'overhead/job s':>14} {'share':>6}")
    for name, m in measured.items():
        overhead = (m["wall_s"] * m["workers"] - m["busy_s"]) / m["jobs"]
        m["overhead_s"] = overhead
        print(f"{name.split()[0]:<10} {m['workers']:>7} {m['jobs']:>5} {m['wall_s']:>7.1f} "
              f"{60 * m['jobs'] / m['wall_s']:>9.1f} {m['job_s']:>6.2f} {overhead:>14.2f} {overhead / m['job_s']:>6.0%}")
    print(f"\nscheduler round trip of a no-op task ({args.noop} at once, {max(counts)} workers): {s * 1000:.1f} ms/task"
          f" = {s / measured[f'dask {counts[0]}']['job_s']:.1%} of a job's own time")
    one = measured[f"dask {counts[0]}"]
    per_job = one["wall_s"] / one["jobs"] * counts[0]
    parallel = per_job - s
    print(f"\nmodel: stage time per job = s + P/w, s = {s * 1000:.1f} ms (scheduler), P = {parallel:.2f} s "
          f"(fitted to {counts[0]} worker{'s' if counts[0] > 1 else ''})")
    for w in counts[1:]:
        m = measured[f"dask {w}"]
        print(f"  check, {w} workers: model {60 / (s + parallel / w):.1f} jobs/min, measured "
              f"{60 * m['jobs'] / m['wall_s']:.1f} (2 cores shared by every process here)")
    print("projection (each worker on a core of its own; not measured):")
    for w in PROJECTED:
        print(f"  {w:>3} workers: {60 / (s + parallel / w):7.1f} jobs/min, scheduler share "
              f"{s / (s + parallel / w):.1%} of the stage")
    print(f"  ceiling (the scheduler alone): {60 / s:.0f} jobs/min")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
