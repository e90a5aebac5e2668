"""The perf runtime's workload side: a timed window, repeats summarised with their spread, a real probe
timed in fresh processes (probes/ftlab_probes/runtime/perf.py, probes/ftlab_probes/runtime/perf_workload.py)."""

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


def test_a_real_probe_and_a_callable_in_fresh_processes_both_shapes(tmp_path):
    (tmp_path / "mywork.py").write_text(
        "import json\n"
        "def encoder():\n    enc = json.JSONEncoder()\n    return lambda: enc.encode([1, 2, 3])\n"
        "def plain():\n    return json.dumps([1])\n"
        "def mine():\n    return lambda: json.dumps([2])\n"
        "mine.ftlab_shapes = ('independent',)\n")
    work = tmp_path / "work"
    work.mkdir()
    options = {"probes": ["ftlab_probes.stdlib.concurrency:SimpleQueueProbe"], "seconds": 0.05, "warmup_s": 0.02,
               "repeats": 1, "threads": [1, 2], "callables": ["mywork:encoder", "mywork:plain", "mywork:mine"],
               "paths": [str(tmp_path)], "fixed": ["seconds", "repeats"]}
    workloads, note, plan = perf.measure_workloads({"subject": None}, options, str(work))
    assert note is None and plan["timed"] == plan["total"] == 4 and plan["left_out"] == []
    assert [(w["probe"], w["kind"]) for w in workloads] == [
        ("mywork:encoder", "callable"), ("mywork:plain", "callable"), ("mywork:mine", "callable"),
        ("ftlab_probes.stdlib.concurrency:SimpleQueueProbe", "probe")]
    mine = workloads.pop(2)
    # A workload that declares its shapes runs in those only.
    assert mine["points"] == [] and [p["threads"] for p in mine["independent_points"]] == [1, 2]
    for w in workloads:
        assert w["error"] is None and w["repeats"] == 1 and [p["threads"] for p in w["points"]] == [1, 2]
        assert [p["threads"] for p in w["independent_points"]] == [1, 2]
        assert w["points"][0]["ops_per_s"]["median"] > 1000 and w["rss_mb"]["median"] > 5
        # One thread has one object in either shape: measured once.
        assert w["independent_points"][0]["ops_per_s"] == w["points"][0]["ops_per_s"]
    assert [w["stateless"] for w in workloads] == [False, True, False]
    assert list(work.iterdir()) == []  # repeat files are cleaned up


def test_a_broken_workload_is_an_error_of_its_own(tmp_path):
    """One process serves a repeat of every workload: a workload that fails, or kills the process, costs
    its own repeat; the others are measured (after a crash, in a fresh process)."""
    (tmp_path / "crashing.py").write_text("import os\ndef boom():\n    os._exit(3)\ndef fine():\n    return 1\n")
    options = {"callables": ["no_such_module_here:f", "crashing:boom", "crashing:fine"], "seconds": 0.02,
               "repeats": 2, "threads": [1], "paths": [str(tmp_path)], "fixed": ["seconds", "repeats"]}
    missing, crashing, fine = perf.measure_workloads({"subject": None}, options, str(tmp_path))[0]
    assert missing["repeats"] == 0 and "no_such_module_here" in missing["error"]
    assert crashing["repeats"] == 0 and "the process ended while it ran" in crashing["error"]
    assert fine["repeats"] == 2 and fine["error"] is None and fine["stateless"]
    assert fine["points"][0]["ops_per_s"]["median"] > 1000


def test_the_budget_shrinks_windows_then_repeats_then_leaves_workloads_out():
    base = {"seconds": 0.2, "warmup_s": 0.1, "repeats": 5, "budget_s": 90.0, "threads": [1, 2],
            "shapes": ["shared", "independent"]}
    assert perf.plan(1, base) == (0.2, 0.1, 5, 1)  # a package's probe: the full settings
    seconds, warmup, repeats, fit = perf.plan(19, base)  # the standard library's probes
    assert (seconds, fit) == (perf.MIN_SECONDS, 19) and warmup < seconds and perf.MIN_REPEATS <= repeats < 5
    assert perf.cost(19, seconds, warmup, repeats, base) <= 90
    # Windows fixed by the user stay; what does not fit is left out.
    seconds, _, repeats, fit = perf.plan(19, {**base, "seconds": 1.0}, fixed=("seconds",))
    assert seconds == 1.0 and repeats == perf.MIN_REPEATS and 1 <= fit < 19


def test_no_probe_is_said_so(tmp_path):
    workloads, note, plan = perf.measure_workloads({"subject": {"name": "no-such-dist"}}, {}, str(tmp_path))
    assert workloads == [] and plan is None and note.startswith("no probe for this subject")


def test_a_slow_operation_gets_a_longer_window():
    def slow(obj):
        time.sleep(0.02)

    point = perf_workload.timed_window(None, [(slow, ())], 1, 0.05, 0.02)
    # 0.05 s holds 2 calls of 20 ms; the window grows to MIN_CALLS calls instead.
    assert point["ops"] >= perf_workload.MIN_CALLS * 0.7 and point["elapsed_s"] >= 0.3
