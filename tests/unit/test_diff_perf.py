"""`ftlab diff` applies the upgrade gates between two runs of a lane, and only between builds of one kind."""

from __future__ import annotations

from dataclasses import replace

from ftlab.judgement.diff import diff_runs
from ftlab.records import Result
from ftlab.store.db import Store
from tests.support.runs import GIL, store_rich_run


def _perf(run_id: str, lane: str, p95: float) -> Result:
    spread = {"median": p95, "min": p95, "max": p95, "values": [p95] * 3}
    point = {"threads": 1, "ops_per_s": spread, "cpu_us_per_op": {**spread, "median": 50.0, "values": [50.0] * 3},
             "latency_us": {"p95": spread}}
    return Result(job_id=f"{run_id}/pkg/{lane}/perf", run_id=run_id, subject="pkg", lane=lane, check="perf",
                  status="ok", data={"workloads": [{"probe": "m:P", "points": [point]}]})


def test_diff_gates_one_kind_only(tmp_path):
    path = tmp_path / "s.sqlite"
    store_rich_run(path, "20260101-000000-a", buggy=False)
    with Store(path) as s:
        run = s.load_run("20260101-000000-a")
    before = replace(run, run_id="a", results=(*run.results, _perf("a", GIL.name, 100.0)))
    after = replace(run, run_id="b", results=(*run.results, _perf("b", GIL.name, 500.0)))
    d = diff_runs(before, after)
    (gate,) = [g for _, _, g in d.perf_gates if g.metric == "p95"]
    assert gate.outcome == "regression" and gate.to_json()["question"] == "upgrade" and d.regressed
    # The same lane name on a free-threaded build in the newer run: not an upgrade of the GIL build.
    flipped = replace(after, lanes=tuple(replace(ln, gil_disabled=True) if ln.name == GIL.name else ln
                                         for ln in after.lanes))
    assert diff_runs(before, flipped).perf_gates == ()
