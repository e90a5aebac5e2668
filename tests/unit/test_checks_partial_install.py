"""A subject whose dependency did not install on a lane gets no stress or perf result there (a skip
with the reason); its import check still runs, so the failures it causes can be read under it."""

from __future__ import annotations

from pathlib import Path

import pytest

from ftlab.deps.lock import Lock, Pin
from ftlab.engine.checks.base import RunContext, not_testable
from ftlab.lanes.envs import DistOutcome, LaneEnv
from ftlab.records import Job, Lane, Subject

FT = Lane(name="3.14t", path="/ft", version="3.14.7", implementation="cpython", gil_disabled=True)
POLARS = Subject(name="polars")
LOCK = Lock(pins=(Pin(name="polars", version="2.1.0"), Pin(name="polars-runtime-32", version="2.1.0", via=("polars",))),
            text="", index_url="", python_version="3.14")


def context(runtime_outcome: str) -> RunContext:
    env = LaneEnv(lane="3.14t", venv="/v", python="/v/bin/python", ok=True,
                  dists=(DistOutcome(name="polars", version="2.1.0", outcome="wheel"),
                         DistOutcome(name="polars-runtime-32", version="2.1.0", outcome=runtime_outcome,
                                     failure="no-wheel" if runtime_outcome == "failed" else "")))
    return RunContext(run_id="r", artifacts_dir=Path("/nonexistent"), lanes=(FT,), subjects=(POLARS,),
                      prepared={"envs": {"3.14t": env}, "lock": LOCK})


def job(check: str) -> Job:
    return Job(job_id=f"r/polars/3.14t/{check}", run_id="r", subject=POLARS, lane=FT, check=check)


@pytest.mark.parametrize("check", ["stress", "perf"])
def test_no_stress_or_perf_on_a_partial_install(check):
    skipped = not_testable(job(check), context("failed"))
    assert skipped is not None and skipped.status == "skipped"
    assert skipped.reason == ("polars is not installable on this lane: polars-runtime-32==2.1.0 (needed by it) "
                              "did not install (no-wheel)")


def test_the_import_check_still_runs_and_a_whole_install_tests_everything():
    assert not_testable(job("import"), context("failed")) is None
    assert not_testable(job("stress"), context("wheel")) is None
