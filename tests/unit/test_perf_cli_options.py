"""The perf feature's run options (lab/ftlab/cli/perf.py): the SLO, --workload, --perf-time and --micro, checked
before anything runs."""

from __future__ import annotations

import argparse

import pytest

from ftlab.cli.perf import MICRO_WORKLOADS, run_options
from ftlab.errors import UsageError


def args(**kw) -> argparse.Namespace:
    base = {"payoff": None, "workload": [], "perf_time": None, "micro": False, "subjects": ["stdlib"]}
    return argparse.Namespace(**{**base, **kw})


def test_defaults_and_settings(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    opts = run_options(args(), ["perf"])
    assert opts["payoff_slo"] == {"payoff": 1.3, "p95": 1.1, "threads": None, "shapes": ["independent"]}
    assert opts["perf_workloads"] == [] and opts["perf_workload_path"] is None
    opts = run_options(args(payoff="1.5", workload=["app.hot:encode"], perf_time=30.0), ["install", "perf"])
    assert opts["payoff_slo"]["payoff"] == 1.5 and opts["perf_time"] == 30.0
    assert opts["perf_workloads"] == ["app.hot:encode"] and opts["perf_workload_path"] == str(tmp_path)
    assert run_options(args(), ["install"]) == {}


def test_micro_lane_needs_pyperformance_as_a_subject():
    opts = run_options(args(micro=True, subjects=["pyperformance==1.14.0", "stdlib"]), ["install", "perf"])
    assert opts["perf_workloads"] == list(MICRO_WORKLOADS) and opts["perf_workload_path"] is None
    with pytest.raises(UsageError, match="add it as a subject"):
        run_options(args(micro=True), ["perf"])


@pytest.mark.parametrize(("kw", "checks", "message"), [
    ({"workload": ["not-a-callable"]}, ["perf"], "is not MODULE:FUNCTION"),
    ({"perf_time": 0.0}, ["perf"], "--perf-time must be positive"),
    ({"payoff": "threads=0"}, ["perf"], "whole number of threads"),
    ({"workload": ["a:b"]}, ["install"], "--workload sets the perf check"),
])
def test_bad_input_is_one_line_usage_error(kw, checks, message):
    with pytest.raises(UsageError, match=message):
        run_options(args(**kw), checks)
