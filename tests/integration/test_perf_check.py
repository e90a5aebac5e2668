"""The perf check for real: cold-import samples in each lane, stats recorded, gates applied."""

from __future__ import annotations


def test_perf_measures_each_lane(cli, local_index, py312, py313):
    doc, proc = cli.json("run", "pure-pkg", "--lane", "3.12", "--lane", "3.13", "--no-provision",
                         "--checks", "install,perf", "--index-url", local_index.url, "--perf-budget", "import=100,rss=100,startup=100,cpu=100")
    assert proc.returncode == 0, proc.stderr
    perf = {r["lane"]: r for r in doc["results"] if r["check"] == "perf"}
    assert set(perf) == {"3.12", "3.13"}
    for r in perf.values():
        assert r["status"] == "ok", r["reason"]
        data = r["data"]
        assert data["modules"] == ["pure_pkg"]
        for key in ("startup_ms", "import_ms", "cpu_ms", "rss_mb", "bare_startup_ms"):
            stats = data[key]
            assert stats["n"] == 15 and stats["min"] <= stats["p50"] <= stats["p95"] <= stats["max"]
        assert 1 < data["rss_mb"]["p50"] < 500 and data["bare_startup_ms"]["p50"] > 1
        # No probe for pure-pkg (and no hypothesis on this index for workloads): cold figures only, and why.
        assert data["workloads"] == [] and data["workload_note"].startswith("no ")
        assert data["baseline_lane"] == "3.12"
    assert {g["metric"] for g in perf["3.13"]["data"]["gates"]} == {"rss", "startup", "import"}


def test_bad_budget_is_usage_error(cli):
    proc = cli("run", "--checks", "perf", "--perf-budget", "speed=2", check=2)
    assert "unknown perf budget 'speed'" in proc.stderr


def test_unknown_baseline_lane_is_usage_error(cli):
    proc = cli("run", "pure-pkg", "--lane", "3.12", "--lane", "3.13", "--checks", "perf", "--baseline", "3.31",
               check=2)
    assert "--baseline lane '3.31' is not a lane of this run; did you mean '3.13'?" in proc.stderr


def test_pyproject_budgets_are_read_where_ftlab_runs(cli):
    (cli.tmp / "pyproject.toml").write_text("[tool.ftlab.perf]\np95 = 1.10\nstratup = 1.2\n")
    proc = cli("run", "pure-pkg", "--checks", "perf", check=2)
    assert "unknown perf budget 'stratup'" in proc.stderr and "did you mean 'startup'" in proc.stderr


def test_bad_measurement_options_are_usage_errors(cli):
    proc = cli("run", "pure-pkg", "--checks", "perf", "--perf-seconds", "0", check=2)
    assert "--perf-seconds must be positive" in proc.stderr
    proc = cli("run", "pure-pkg", "--checks", "perf", "--perf-repeats", "0", check=2)
    assert "--perf-repeats must be at least 1" in proc.stderr
