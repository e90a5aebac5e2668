"""The stress check's host side (lab/ftlab/engine/checks/stress.py) on a real lane venv, without a full run:
the standard library as a subject (nothing installed), and a local project with no hand-written
probe (the auto-probe path), with skips when the subject or the runtime is missing."""

from __future__ import annotations

import pytest

from ftlab.engine.checks.base import RunContext
from ftlab.engine.checks.stress import StressCheck, share_budget
from ftlab.lanes.envs import DistOutcome, LaneEnv
from ftlab.lanes.interpreters import fingerprint
from ftlab.records import Job, Subject
from tests.support.lanes import REPO_ROOT, gil_lanes, lane_venv, session_cache_root

REGISTRY = REPO_ROOT / "extensions" / "calibration" / "registry"


@pytest.fixture(scope="module")
def lane_and_python(tmp_path_factory):
    lanes = [lane for lane in gil_lanes() if lane.version[:2] >= (3, 12)]
    if not lanes:
        pytest.skip("no CPython 3.12+ GIL lane found (pyenv or PATH)")
    python = lane_venv(session_cache_root(tmp_path_factory), lanes[-1], [REGISTRY], ["hypothesis"])
    return fingerprint(str(python), source="explicit", name="gil"), str(python)


def context(tmp_path, lane, python, budget, dists=(), runtime_ok=True):
    env = LaneEnv(lane=lane.name, venv=str(tmp_path), python=python, ok=True, dists=tuple(dists),
                  runtime_ok=runtime_ok, runtime_reason="" if runtime_ok else "hypothesis cannot join this lock: x")
    ctx = RunContext(run_id="r", artifacts_dir=tmp_path, lanes=(lane,), subjects=(), options={"budget_s": budget},
                     lane_pythons={lane.name: python})
    ctx.prepared["envs"] = {lane.name: env}
    return ctx


def job_for(subject, lane, ctx):
    return Job(job_id=f"r/{subject.name}/{lane.name}/stress", run_id="r", subject=subject, lane=lane,
               check="stress", timeout_s=StressCheck().timeout_for(ctx))


@pytest.mark.network
def test_stdlib_subject_runs_the_stdlib_probes_within_its_budget(lane_and_python, tmp_path):
    lane, python = lane_and_python
    ctx = context(tmp_path, lane, python, budget=9.0)
    check = StressCheck()
    check.prepare(ctx)
    result = check.run(job_for(Subject(name="stdlib", kind="stdlib"), lane, ctx), ctx)
    assert result.status in ("ok", "findings"), result.reason
    rows = result.data["probes"]
    assert len(rows) == 3 and all(r["kind"] == "hand-written" for r in rows)
    assert all(r["budget_s"] == 3.0 for r in rows)
    assert result.data["skipped_probes"]  # the rest did not fit: said, not dropped silently
    for sig in result.signals:  # only known findings may show up
        assert sig.evidence["expected_finding"], sig.summary


@pytest.mark.network
def test_project_without_probe_gets_auto_probes_labelled_as_such(lane_and_python, tmp_path):
    lane, python = lane_and_python
    dist = DistOutcome(name="ftcalib-registry", version="0", outcome="local")
    ctx = context(tmp_path, lane, python, budget=12.0, dists=[dist])
    check = StressCheck()
    check.prepare(ctx)
    result = check.run(job_for(Subject(name="ftcalib-registry", kind="project"), lane, ctx), ctx)
    assert result.status == "findings", (result.reason, result.data)
    assert {r["kind"] for r in result.data["probes"]} == {"auto"}
    assert result.data["auto"]["specs"]
    (sig,) = result.signals
    assert sig.kind == "corruption" and "RacyRegistry" in sig.summary
    assert sig.evidence["auto_probe"] is True and sig.evidence["calls"]
    assert any("register" in c for c in sig.evidence["calls"])


def test_skips_say_why(tmp_path):
    lane = gil_lanes()[-1] if gil_lanes() else None
    if lane is None:
        pytest.skip("no GIL lane")
    lane = fingerprint(lane.path, source="explicit", name="gil")
    check = StressCheck()
    missing = check.run(job_for(Subject(name="numpy"), lane, context(tmp_path, lane, lane.path, 5)),
                        context(tmp_path, lane, lane.path, 5))
    assert missing.status == "skipped" and "not installed" in missing.reason
    ctx = context(tmp_path, lane, lane.path, 5, runtime_ok=False)
    no_runtime = check.run(job_for(Subject(name="stdlib", kind="stdlib"), lane, ctx), ctx)
    assert no_runtime.status == "skipped" and "hypothesis" in no_runtime.reason


def test_share_budget():
    probes = [(f"p{i}", "auto", None) for i in range(10)]
    planned, skipped = share_budget(probes, 20.0)
    assert [p.probe for p in planned] == [f"p{i}" for i in range(6)] and skipped == [f"p{i}" for i in range(6, 10)]
    assert sum(p.budget_s for p in planned) == pytest.approx(20.0, abs=0.01)
    planned, skipped = share_budget(probes[:2], 1.0)
    assert len(planned) == 1 and planned[0].budget_s == 1.0
