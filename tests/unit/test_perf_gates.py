from __future__ import annotations

import pytest

from lab.checks.base import RunContext
from lab.checks.perf import PerfCheck, parse_budgets
from lab.errors import UsageError
from lab.records import Lane, Result

BASE = Lane(name="3.14", path="/a", version="3.14.0", implementation="cpython")
FT = Lane(name="3.14t", path="/b", version="3.14.0", implementation="cpython", gil_disabled=True)


def perf(lane: str, import_p95: float, rss: float, subject: str = "pkg") -> Result:
    stat = lambda v: {"p50": v, "p95": v, "mean": v, "min": v, "max": v, "n": 15}  # noqa: E731
    data = {"import_ms": stat(import_p95), "bare_startup_ms": stat(20.0), "cpu_ms": stat(50.0), "rss_mb": stat(rss)}
    return Result(job_id=f"r/{subject}/{lane}/perf", run_id="r", subject=subject, lane=lane, check="perf", status="ok", data=data)


def ctx(budget: str | None = None) -> RunContext:
    return RunContext(run_id="r", artifacts_dir=None, lanes=(BASE, FT), subjects=(), options={"perf_budget": budget})


def test_over_budget_on_the_other_lane_is_a_regression():
    out = PerfCheck().finalize(ctx(), [perf("3.14", 100.0, 40.0), perf("3.14t", 180.0, 44.0)])
    base, ft = out
    assert base.signals == () and base.status == "ok"
    (sig,) = ft.signals
    assert ft.status == "findings" and sig.kind == "perf-regression"
    assert sig.evidence["metric"] == "import" and sig.evidence["ratio"] == 1.8 and sig.evidence["baseline_lane"] == "3.14"
    assert "1.8x slower" in sig.summary


def test_within_budget_or_under_noise_floor_passes():
    out = PerfCheck().finalize(ctx(), [perf("3.14", 100.0, 40.0), perf("3.14t", 120.0, 49.0)])
    assert all(r.signals == () for r in out)
    # 3 ms vs 1 ms is 3x, but under the 5 ms floor: noise, not a regression.
    out = PerfCheck().finalize(ctx(), [perf("3.14", 1.0, 40.0), perf("3.14t", 3.0, 40.0)])
    assert all(r.signals == () for r in out)


def test_custom_budgets():
    out = PerfCheck().finalize(ctx("rss=1.05"), [perf("3.14", 100.0, 40.0), perf("3.14t", 110.0, 49.0)])
    assert [s.evidence["metric"] for s in out[1].signals] == ["rss"]
    assert parse_budgets("import=2,rss=1.5")["import"] == 2.0
    for bad in ("latency=2", "import=fast", "rss=0"):
        with pytest.raises(UsageError):
            parse_budgets(bad)
