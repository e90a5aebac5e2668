"""The perf runtime's workload side: a timed window, repeats summarised with their spread, a real probe
timed in fresh processes (probes/runtime/perf.py, probes/runtime/perf_workload.py)."""

from __future__ import annotations

import time

from ftlab_probes.runtime import perf, perf_workload


def test_window_counts_calls_and_times_each():
    def op(obj, n):
        obj.append(n)
        time.sleep(0.001)

    seen: list[int] = []
    point = perf_workload.window(seen, [(op, (1,)), (op, (2,))], 2, 0.1)
    assert point["threads"] == 2 and point["ops"] == len(seen) > 20 and point["errors"] == 0
    assert set(seen) == {1, 2}
    lat = point["latency_us"]
    assert 1000 <= lat["p50"] <= lat["p95"] <= lat["p99"] and lat["n"] == point["ops"]
    # Sleeping costs next to no CPU: far less than the wall time per call.
    assert point["cpu_us_per_op"] < lat["p50"]


def test_window_keeps_one_latency_in_stride_and_counts_errors():
    def boom(obj):
        raise ValueError("x")

    point = perf_workload.window(None, [(boom, ())], 1, 0.05, stride=10)
    assert point["errors"] == point["ops"] > 100
    assert point["latency_us"]["n"] == (point["ops"] + 9) // 10


def _repeat(ops: tuple[float, float], p95: float) -> dict:
    point = lambda n, rate: {"threads": n, "ops_per_s": rate, "cpu_us_per_op": 10.0, "errors": 0,  # noqa: E731
                             "latency_us": {"p50": p95 / 2, "p95": p95, "p99": p95 * 2, "n": 100}}
    return {"points": [point(1, ops[0]), point(2, ops[1])], "rss_mb": 30.0}


def test_summarise_repeats_into_medians_ranges_and_speedup():
    runs = [_repeat((100.0, 180.0), 5.0), _repeat((110.0, 200.0), 6.0), _repeat((90.0, 190.0), 7.0),
            {"error": "the workload failed: boom"}]
    w = perf.summarise("m:P", runs, {"seconds": 0.2, "warmup_s": 0.1})
    assert w["repeats"] == 3 and w["threads"] == [1, 2] and "1 of 4 repeats failed: the workload failed" in w["error"]
    one, two = w["points"]
    assert one["ops_per_s"] == {"median": 100.0, "min": 90.0, "max": 110.0, "values": [100.0, 110.0, 90.0]}
    assert one["latency_us"]["p95"]["values"] == [5.0, 6.0, 7.0] and one["speedup"] == 1.0
    assert two["speedup"] == 1.9  # ftscalingbench: t1 x N / tN, the ratio of total rates for a fixed time
    assert w["rss_mb"]["median"] == 30.0
    assert perf.scaling_points([w]) == [{"threads": 1, "ops_per_s": 100.0, "speedup": 1.0},
                                        {"threads": 2, "ops_per_s": 190.0, "speedup": 1.9}]


def test_a_real_probe_in_fresh_processes(tmp_path):
    options = {"probes": ["ftlab_probes.stdlib.concurrency:SimpleQueueProbe"], "seconds": 0.05, "warmup_s": 0.02,
               "repeats": 2, "threads": [1, 2]}
    workloads, note = perf.measure_workloads({"subject": None}, options, str(tmp_path))
    assert note is None
    (w,) = workloads
    assert w["error"] is None and w["repeats"] == 2 and [p["threads"] for p in w["points"]] == [1, 2]
    assert w["points"][0]["ops_per_s"]["median"] > 1000 and w["rss_mb"]["median"] > 5
    assert list(tmp_path.iterdir()) == []  # repeat files are cleaned up


def test_no_probe_is_said_so(tmp_path):
    workloads, note = perf.measure_workloads({"subject": {"name": "no-such-dist"}}, {}, str(tmp_path))
    assert workloads == [] and note.startswith("no probe for this subject")
