"""Perf gates: the noise rule, the budgets (flag, pyproject, defaults), the baseline lane, the check's finalize
(upgrade gates between lanes of one kind only; the payoff of a free-threaded lane against its GIL lane)."""

from __future__ import annotations

import pytest

from ftlab.engine.checks.base import RunContext
from ftlab.engine.checks.perf import PerfCheck
from ftlab.errors import UsageError
from ftlab.judgement.gates import (
    baseline_lane,
    default_budgets,
    gate_baselines,
    gate_pair,
    judge,
    measure,
    median_interval,
    parse_budgets,
    pyproject_budgets,
    resolve_budgets,
)
from ftlab.records import Lane, Result

BASE = Lane(name="3.14", path="/a", version="3.14.0", implementation="cpython")
FT = Lane(name="3.14t", path="/b", version="3.14.0", implementation="cpython", gil_disabled=True)
#: An upgrade of the GIL build: the lane the upgrade gates judge against BASE.
NEXT = Lane(name="3.14.1", path="/c", version="3.14.1", implementation="cpython")
FT2 = Lane(name="3.14.1t", path="/d", version="3.14.1", implementation="cpython", gil_disabled=True)


def spread(values: list[float]) -> dict:
    return {"median": sorted(values)[len(values) // 2], "min": min(values), "max": max(values), "values": values}


def samples(center: float, jitter: float = 0.0, n: int = 15) -> dict:
    values = [center + jitter * ((i % 5) - 2) / 2 for i in range(n)]
    return {"p50": center, "p95": max(values), "min": min(values), "max": max(values), "n": n, "values": values}


def perf(lane: str, *, p95: list[float], cpu: list[float] | None = None, rss: float = 40.0, startup: float = 20.0,
         imp: float = 30.0, subject: str = "pkg") -> Result:
    point = {"threads": 1, "ops_per_s": spread([1000.0] * len(p95)), "speedup": 1.0,
             "cpu_us_per_op": spread(cpu or [50.0] * len(p95)),
             "latency_us": {"p50": spread(p95), "p95": spread(p95), "p99": spread(p95)}}
    data = {"import_ms": samples(imp, 1.0), "bare_startup_ms": samples(startup, 0.5), "rss_mb": samples(rss),
            "cpu_ms": samples(50.0), "workloads": [{"probe": "m:P", "points": [point]}]}
    return Result(job_id=f"r/{subject}/{lane}/perf", run_id="r", subject=subject, lane=lane, check="perf",
                  status="ok", data=data)


def ctx(budget: str | None = None, baseline: str | None = None, lanes=(BASE, NEXT, FT)) -> RunContext:
    return RunContext(run_id="r", artifacts_dir=None, lanes=lanes, subjects=(),
                      options={"perf_budget": budget, "perf_baseline": baseline})


# -- the statistics --------------------------------------------------------------------------------


def test_median_interval_is_the_range_for_few_values_and_narrower_for_many():
    assert median_interval([3.0, 1.0, 2.0]) == (1.0, 3.0)
    assert median_interval(list(range(15))) == (3, 11)  # order statistics 4 and 12 of 15: ~96% for the median
    lo, hi = median_interval(list(range(100)))
    assert 35 <= lo < 50 < hi <= 64


def test_judge_pass_regression_inconclusive():
    base = measure([100.0, 101.0, 102.0])
    assert judge(base, measure([102.0, 103.0, 104.0]), 1.03) == "pass"  # +2%
    assert judge(base, measure([200.0, 210.0, 220.0]), 1.03) == "regression"  # far outside
    # +10% on the medians, but one candidate repeat is as fast as the baseline's slowest: noise may explain it.
    assert judge(base, measure([102.0, 112.0, 130.0]), 1.03) == "inconclusive"
    # Just over budget, ranges touching: 106 > 102 x 1.03 = 105.06, so outside the spread.
    assert judge(base, measure([106.0, 107.0, 108.0]), 1.03) == "regression"
    # A faster candidate always passes.
    assert judge(base, measure([50.0, 51.0, 52.0]), 1.03) == "pass"


def test_floor_keeps_tiny_absolute_differences_from_breaching():
    base, after = measure([1.0] * 15), measure([3.0] * 15)
    assert judge(base, after, 1.10, floor=5.0) == "pass"
    assert judge(base, after, 1.10) == "regression"


def test_measure_ignores_non_numbers():
    assert measure([]) is None and measure([None, "x", True]) is None  # type: ignore[list-item]
    m = measure([1.0, float("nan"), 3.0])
    assert m is not None and m.n == 2


# -- budgets and the baseline ----------------------------------------------------------------------


def test_budgets_defaults_flag_aliases_and_errors():
    assert default_budgets() == {"p95": 1.03, "cpu": 1.05, "rss": 1.05, "startup": 1.10, "import": 1.10}
    assert parse_budgets("p95=1.5,import=2") == {**default_budgets(), "p95": 1.5, "import": 2.0}
    assert parse_budgets("latency=1.2")["p95"] == 1.2  # an alias, said so in ALIASES
    with pytest.raises(UsageError, match="unknown perf budget 'speed'"):
        parse_budgets("speed=2")
    with pytest.raises(UsageError, match="did you mean 'startup'"):
        parse_budgets("startpu=2")
    for bad in ("p95=fast", "rss=0", "cpu=-1", "cpu=nan"):
        with pytest.raises(UsageError):
            parse_budgets(bad)


def test_pyproject_budgets_under_the_flag(tmp_path):
    assert pyproject_budgets(tmp_path) == {}
    (tmp_path / "pyproject.toml").write_text('[tool.ftlab.perf]\np95 = 1.10\nrss = 1.5\n')
    assert pyproject_budgets(tmp_path) == {"p95": 1.10, "rss": 1.5}
    assert resolve_budgets("rss=2", tmp_path) == {**default_budgets(), "p95": 1.10, "rss": 2.0}
    (tmp_path / "pyproject.toml").write_text('[tool.ftlab.perf]\nlatncy = 1.10\n')
    with pytest.raises(UsageError, match=r"pyproject.toml \[tool.ftlab.perf\]"):
        pyproject_budgets(tmp_path)


def test_baseline_defaults_to_the_first_gil_lane_and_suggests_names():
    assert baseline_lane((FT, BASE), None) == "3.14"
    assert baseline_lane((FT,), None) == "3.14t"
    assert baseline_lane((BASE, FT), "3.14t") == "3.14t"
    with pytest.raises(UsageError, match=r"did you mean '3\.14t'"):
        baseline_lane((BASE, FT), "3.14tt")


# -- the check's finalize -------------------------------------------------------------------------


def test_slow_candidate_is_a_regression_outside_noise():
    out = PerfCheck().finalize(ctx(), [perf("3.14", p95=[100.0, 101.0, 103.0]),
                                       perf("3.14.1", p95=[900.0, 950.0, 1000.0])])
    base, ft = out
    assert base.signals == () and base.status == "ok" and "gates" not in base.data
    (sig,) = ft.signals
    assert ft.status == "findings" and sig.kind == "perf-regression"
    ev = sig.evidence
    assert ev["metric"] == "p95" and ev["baseline"] == "3.14" and ev["outcome"] == "regression"
    assert ev["ratio"] == pytest.approx(950 / 101, rel=1e-3) and ev["probe"] == "m:P"
    assert "9.4x slower" in sig.summary and "outside the measured spread" in sig.summary
    # The finding says which question it answers.
    assert sig.summary.startswith("upgrade regression: ") and ev["question"] == "upgrade"
    assert {g["metric"]: g["outcome"] for g in ft.data["gates"]} == {
        "p95": "regression", "cpu": "pass", "rss": "pass", "startup": "pass", "import": "pass"}


def test_noisy_breach_is_inconclusive_data_not_a_signal():
    out = PerfCheck().finalize(ctx(), [perf("3.14", p95=[100.0, 110.0, 120.0]),
                                       perf("3.14.1", p95=[105.0, 125.0, 140.0])])
    ft = out[1]
    assert ft.signals == () and ft.status == "ok"
    (gate,) = [g for g in ft.data["gates"] if g["metric"] == "p95"]
    assert gate["outcome"] == "inconclusive" and "inconclusive" in gate["summary"]


def test_custom_budget_and_baseline_choice():
    results = [perf("3.14", p95=[100.0] * 3, rss=40.0), perf("3.14.1", p95=[100.0] * 3, rss=46.0)]
    out = PerfCheck().finalize(ctx(), results)
    assert [s.evidence["metric"] for s in out[1].signals] == ["rss"]  # +15% on a noiseless figure
    out = PerfCheck().finalize(ctx("rss=1.2"), results)
    assert out[1].signals == ()
    # Gated the other way round: the newer GIL lane is the baseline, the older one is smaller.
    out = PerfCheck().finalize(ctx(baseline="3.14.1"), results)
    assert out[0].signals == () and out[0].data["baseline_lane"] == "3.14.1" and "gates" in out[0].data


def test_upgrade_budgets_apply_only_between_lanes_of_one_kind():
    lanes = (BASE, FT, NEXT, FT2)
    assert gate_baselines(lanes, None) == {"3.14": None, "3.14.1": "3.14", "3.14t": None, "3.14.1t": "3.14t"}
    # --baseline picks its kind's baseline; the other kind keeps its first lane.
    assert gate_baselines(lanes, "3.14.1t") == {"3.14": None, "3.14.1": "3.14", "3.14t": "3.14.1t", "3.14.1t": None}
    # 3.14t, five times slower than 3.14 alone, is never an upgrade regression against it.
    out = PerfCheck().finalize(ctx(lanes=(BASE, FT)), [perf("3.14", p95=[100.0] * 3), perf("3.14t", p95=[500.0] * 3)])
    assert all(r.signals == () and "gates" not in r.data for r in out)
    assert "no upgrade gate: no other free-threaded lane" in out[1].data["gates_note"]
    # Against another free-threaded build it is.
    out = PerfCheck().finalize(ctx(lanes=lanes), [perf("3.14t", p95=[100.0] * 3), perf("3.14.1t", p95=[500.0] * 3)])
    assert [s.evidence["metric"] for s in out[1].signals] == ["p95"] and out[1].data["baseline_lane"] == "3.14t"


def test_gate_pair_matches_workloads_by_probe():
    a, b = perf("3.14", p95=[100.0] * 3), perf("3.14t", p95=[500.0] * 3)
    b.data["workloads"][0]["probe"] = "other:P"
    gates = gate_pair(a, b, default_budgets(), "3.14")
    assert {g.metric for g in gates} == {"rss", "startup", "import"}
