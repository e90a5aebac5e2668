"""Thread scaling of a probe: ops/s per thread count, speedup against one thread."""

from __future__ import annotations

from ftlab_probes.runtime.stress import scaling


def test_thread_counts_double_up_to_the_cores():
    assert scaling.thread_counts(1) == [1, 2]
    assert scaling.thread_counts(2) == [1, 2]
    assert scaling.thread_counts(6) == [1, 2, 4]
    assert scaling.thread_counts(8) == [1, 2, 4, 8]


def test_measure_a_real_probe(tmp_path):
    points = scaling.run_in_child("ftlab_probes.stdlib.concurrency:SimpleQueueProbe", 1, 0.05, str(tmp_path), 60)
    assert "error" not in points, points
    series = points["scaling"]
    assert [p["threads"] for p in series] == scaling.thread_counts()
    assert all(p["ops_per_s"] > 1000 for p in series)
    assert series[0]["speedup"] == 1.0 and all(p["speedup"] > 0 for p in series)


def test_a_broken_probe_costs_the_measurement_not_the_caller(tmp_path):
    out = scaling.run_in_child("no.such.module:Probe", 1, 0.05, str(tmp_path), 30)
    assert "error" in out and "measurement failed" in out["error"]
