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


def test_bad_budget_is_usage_error(cli):
    proc = cli("run", "--checks", "perf", "--perf-budget", "latency=2", check=2)
    assert "unknown perf budget 'latency'" in proc.stderr
