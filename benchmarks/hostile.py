"""Untrusted code, contained (issue 9): the hostile suite and a kill-and-resume, in figures.

1. The hostile suite (tests/support/hostile.py): `ftlab run` on extensions/hostile, twelve import-time
   attacks (segfault, os._exit(0), endless loop, sleep inside C holding the GIL, unbounded allocation,
   a daemon, 4 GiB to stdout, network connections, wiping its folders and the lab's store, ignoring
   SIGTERM, closing its standard streams, a fake result on stdout) and a build script that starts a
   daemon and writes outside its build, next to a harmless subject.
2. A real multi-package run killed with SIGKILL mid-way and resumed (benchmarks/killresume.py).

Prints, per lane: hostile cases run, contained (recorded with the expected outcome and evidence),
orphaned processes left (must be 0), files touched outside the sandbox (must be 0), connections that
reached the host (must be 0), results lost after kill-and-resume (must be 0), the seconds each took,
and what the sandbox costs a child (median `python -c pass`, direct and sandboxed).
Exit 1 when a must-be-0 figure is not.

    python3 benchmarks/hostile.py [--lane 3.12] [--json] [--skip-resume]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.killresume import kill_and_resume
from ftlab.sandbox import process as sandbox
from tests.support import hostile


def startup_overhead_ms(samples: int = 20) -> tuple[float, float]:
    """Median wall time of `python -c pass` started directly and started through the sandbox."""
    import statistics
    import subprocess
    import time

    with tempfile.TemporaryDirectory(prefix="ftlab-overhead-") as tmp:
        direct, boxed = [], []
        for i in range(samples):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-c", "pass"], check=True)
            direct.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            sandbox.run_child([sys.executable, "-c", "pass"], workdir=Path(tmp) / str(i), timeout_s=30)
            boxed.append(time.perf_counter() - t0)
    return statistics.median(direct) * 1000, statistics.median(boxed) * 1000


def measure(lane: str, resume: bool) -> dict:
    with tempfile.TemporaryDirectory(prefix="ftlab-hostile-") as tmp:
        got = hostile.run_suite(Path(tmp) / "suite", lane)
    figures = {
        "lane": lane,
        "sandbox layers": "+".join(sandbox.isolation_prefix(False)[1]) or "none",
        "hostile cases run": got.get("cases", 0),
        "contained": got.get("cases_contained", 0),
        "not contained": sorted(k for k, ok in got.get("contained", {}).items() if not ok),
        "rest of the run ok": got.get("rest_of_run_ok", False),
        "orphaned processes left": len(got.get("survivors", [])),
        "files touched outside the sandbox": len(got.get("touched_outside", [])),
        "connections that reached the host": got.get("connections", 0),
        "hostile suite seconds": got.get("seconds"),
        "error": got.get("error"),
    }
    direct, boxed = startup_overhead_ms()
    figures["python -c pass, direct (ms)"] = round(direct, 1)
    figures["python -c pass, sandboxed (ms)"] = round(boxed, 1)
    if resume:
        kr = kill_and_resume((lane,))
        figures.update({
            "kill-and-resume jobs": kr.get("jobs_total"),
            "recorded before the kill": kr.get("recorded_before_kill"),
            "results lost after kill-and-resume": kr.get("results_lost"),
            "jobs redone": kr.get("jobs_redone"),
            "processes surviving the kill": kr.get("survivors"),
            "mismatches vs an uninterrupted run": kr.get("mismatches"),
            "kill-and-resume seconds": kr.get("seconds"),
        })
        figures["error"] = figures["error"] or kr.get("error")
    return figures


MUST_BE_ZERO = ("orphaned processes left", "files touched outside the sandbox", "connections that reached the host",
                "results lost after kill-and-resume", "processes surviving the kill", "mismatches vs an uninterrupted run")


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lane", action="append", default=[], help="a lane spec (default: 3.12)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--skip-resume", action="store_true", help="only the hostile suite")
    args = p.parse_args(argv)
    rows = [measure(lane, not args.skip_resume) for lane in args.lane or ["3.12"]]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        for row in rows:
            width = max(len(k) for k in row)
            for key, value in row.items():
                print(f"{key:<{width}}  {value}")
            print()
    bad = [r for r in rows if r["error"] or r["contained"] != r["hostile cases run"]
           or any(r.get(k) not in (0, None) for k in MUST_BE_ZERO)]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
