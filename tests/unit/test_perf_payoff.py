"""Does free-threading pay off: the SLO (flag, pyproject, defaults), lane pairs, the payoff per workload, shape
and thread count, the verdict, the build caveat, and the perf check attaching it to the free-threaded lane."""

from __future__ import annotations

import pytest

from ftlab.engine.checks.base import RunContext
from ftlab.engine.checks.perf import PerfCheck
from ftlab.errors import UsageError
from ftlab.judgement import payoff
from ftlab.judgement.gates import pyproject_budgets
from ftlab.records import Lane, Result

GIL = Lane(name="3.14", path="/a", version="3.14.10", implementation="cpython")
FT = Lane(name="3.14t", path="/b", version="3.14.7", implementation="cpython", gil_disabled=True)
FT13 = Lane(name="3.13t", path="/c", version="3.13.9", implementation="cpython", gil_disabled=True)
PGO_LTO = {"pgo": True, "lto": True, "config_args": "'--enable-optimizations' '--with-lto'"}
PLAIN = {"pgo": False, "lto": False, "config_args": "'--disable-gil'"}


def spread(values: list[float]) -> dict:
    return {"median": sorted(values)[len(values) // 2], "min": min(values), "max": max(values), "values": values}


def points(rates: dict[int, list[float]], p95: dict[int, list[float]] | None = None) -> list[dict]:
    return [{"threads": n, "ops_per_s": spread(r), "latency_us": {"p95": spread((p95 or {}).get(n, [10.0] * 3))}}
            for n, r in rates.items()]


def perf(lane: str, independent: dict, shared: dict, *, p95: dict | None = None, build: dict | None = None,
         probe: str = "m:P") -> Result:
    w = {"probe": probe, "kind": "probe", "points": points(shared, p95), "independent_points": points(independent, p95)}
    return Result(job_id=f"r/pkg/{lane}/perf", run_id="r", subject="pkg", lane=lane, check="perf", status="ok",
                  data={"workloads": [w], "build": build or PLAIN})


# 3.14 does not scale; 3.14t is slower alone and scales with one object per thread, not with a shared one.
GIL_RESULT = perf("3.14", {1: [100.0, 98, 102], 2: [100.0, 97, 103]}, {1: [100.0, 98, 102], 2: [90.0, 88, 92]})
FT_RESULT = perf("3.14t", {1: [80.0, 78, 82], 2: [160.0, 150, 170]}, {1: [80.0, 78, 82], 2: [60.0, 58, 62]})


def test_slo_defaults_flag_and_errors():
    assert payoff.SLO(payoff=1.3, p95=1.1, threads=None, shapes=("independent",)) == payoff.DEFAULT_SLO
    assert payoff.parse_slo("1.5").payoff == 1.5
    slo = payoff.parse_slo("p95=1.2,threads=4,shapes=independent+shared")
    assert slo == payoff.SLO(payoff=1.3, p95=1.2, threads=4, shapes=("independent", "shared"))
    for bad, msg in (("speed=2", "unknown payoff setting 'speed'"), ("payof=2", "did you mean 'payoff'"),
                     ("payoff=0", "positive ratio"), ("threads=two", "whole number"), ("shapes=all", "independent and/or shared")):
        with pytest.raises(UsageError, match=msg):
            payoff.parse_slo(bad)


def test_slo_from_pyproject_beside_the_upgrade_budgets(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.ftlab.perf]\np95 = 1.10\npayoff = 1.5\npayoff_p95 = 1.2\npayoff_shapes = ["shared"]\n')
    assert pyproject_budgets(tmp_path) == {"p95": 1.10}  # the payoff keys are not upgrade budgets
    assert payoff.resolve_slo(None, tmp_path) == payoff.SLO(payoff=1.5, p95=1.2, shapes=("shared",))
    assert payoff.resolve_slo("payoff=2", tmp_path).payoff == 2.0  # the flag over the file
    (tmp_path / "pyproject.toml").write_text('[tool.ftlab.perf]\npayoff_p59 = 1.2\n')
    with pytest.raises(UsageError, match="did you mean 'payoff_p95'"):
        payoff.resolve_slo(None, tmp_path)


def test_pairs_are_of_one_minor_version():
    assert payoff.pairs((GIL, FT, FT13)) == [("3.14", "3.14t")]
    assert payoff.pairs((FT, FT13)) == []


def test_payoff_per_workload_shape_and_thread_count():
    doc = payoff.compute(GIL_RESULT, FT_RESULT, payoff.DEFAULT_SLO)
    assert doc["question"] == "payoff" and doc["against"] == "3.14" and doc["threads"] == 2
    rows = {r["shape"]: r for r in doc["workloads"]}
    ind, shared = rows["independent"], rows["shared"]
    assert [p["payoff"] for p in ind["points"]] == [0.8, 1.6] and ind["single_thread"] == 0.8
    assert ind["points"][1]["range"] == [pytest.approx(150 / 103, abs=1e-4), pytest.approx(170 / 97, abs=1e-4)]
    assert ind["outcome"] == "meets" and ind["judged"]
    # The shared shape is shown, not judged by the default SLO.
    assert shared["points"][1]["payoff"] == pytest.approx(60 / 90, abs=1e-4) and shared["outcome"] == "not judged"
    assert doc["verdict"] == "pays off" and "pays off" in doc["summary"] and doc["caveat"] is None
    # Judging the shared shape too: it misses, outside the spread.
    doc = payoff.compute(GIL_RESULT, FT_RESULT, payoff.parse_slo("shapes=independent+shared"))
    assert doc["verdict"] == "does not pay off" and "m:P (shared): payoff 0.67x < 1.3x" in doc["summary"]


def test_tail_latency_and_noise():
    slow_tail = perf("3.14t", {1: [80.0] * 3, 2: [160.0] * 3}, {1: [80.0] * 3, 2: [60.0] * 3},
                     p95={2: [30.0, 31, 32]})
    doc = payoff.compute(GIL_RESULT, slow_tail, payoff.DEFAULT_SLO)
    assert doc["verdict"] == "does not pay off" and "p95 3.10x the GIL lane's > 1.1x" in doc["summary"]
    # 1.25x on the medians but up to 1.5x in the ranges: not a miss, not a pass.
    noisy = perf("3.14t", {1: [80.0] * 3, 2: [125.0, 100, 150]}, {1: [80.0] * 3, 2: [60.0] * 3})
    doc = payoff.compute(GIL_RESULT, noisy, payoff.DEFAULT_SLO)
    assert doc["verdict"] == "inconclusive" and doc["workloads"][0]["outcome"] == "inconclusive"


def test_threads_not_measured_and_build_caveat():
    doc = payoff.compute(GIL_RESULT, FT_RESULT, payoff.parse_slo("threads=8"))
    assert doc["verdict"] == "not measured"
    pgo = perf("3.14", {1: [100.0] * 3, 2: [100.0] * 3}, {1: [100.0] * 3}, build=PGO_LTO)
    doc = payoff.compute(pgo, FT_RESULT, payoff.DEFAULT_SLO)
    assert doc["caveat"].startswith("3.14 was built with PGO+LTO, 3.14t with neither PGO nor LTO")
    # What configure recorded differs (a distribution's PGO and LTO steps do not show there): said so.
    debian = {"pgo": False, "lto": False, "config_args": "'--enable-shared' '--prefix=/usr' '--with-computed-gotos'"}
    doc = payoff.compute(perf("3.14", {1: [100.0] * 3}, {1: [100.0] * 3}, build=debian), FT_RESULT, payoff.DEFAULT_SLO)
    assert "only 3.14: --enable-shared, --with-computed-gotos; only 3.14t: nothing" in doc["caveat"]


def test_the_perf_check_attaches_payoff_to_the_free_threaded_lane_only():
    ctx = RunContext(run_id="r", artifacts_dir=None, lanes=(GIL, FT), subjects=(),
                     options={"payoff_slo": payoff.parse_slo("payoff=1.2").to_json()})
    base, ft = PerfCheck().finalize(ctx, [GIL_RESULT, FT_RESULT])
    assert "payoff" not in base.data and ft.data["payoff"]["slo"]["payoff"] == 1.2
    assert ft.data["payoff"]["verdict"] == "pays off" and ft.signals == () and "gates" not in ft.data
    assert payoff.overall(payoff.run_payoff([base, ft])) == "pays off"
