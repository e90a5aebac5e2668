from __future__ import annotations

import pytest

from ftlab import wording


@pytest.mark.parametrize(
    ("before", "after", "better", "expected"),
    [
        (1.0, 1.8, "lower", ("worse", "1.8x slower")),
        (1.8, 1.0, "lower", ("better", "1.8x faster")),
        (1.0, 1.2, "lower", ("worse", "20% slower")),
        (1.0, 1.03, "lower", ("same", "within noise")),
        (100.0, 250.0, "higher", ("better", "2.5x faster")),
        (250.0, 100.0, "higher", ("worse", "2.5x slower")),
        (5.0, 5.0, "higher", ("same", "within noise")),
    ],
)
def test_compare(before, after, better, expected):
    assert wording.compare(before, after, better=better) == expected


def test_compare_metric_picks_direction_and_nouns():
    assert wording.compare_metric("ops_per_s", 1e6, 2e6) == ("better", "2.0x faster")
    assert wording.compare_metric("perf.rss_mb", 100.0, 150.0) == ("worse", "1.5x bigger")
    assert wording.compare_metric("startup_ms", 20.0, 10.0) == ("better", "2.0x faster")


def test_compare_handles_zero_and_non_numbers():
    assert wording.compare(0.0, 1.0)[0] == "worse"
    assert wording.compare(float("nan"), 1.0) == ("same", "not comparable")


def test_rate_and_seconds_and_count():
    assert wording.rate(3, 50) == "3 of 50 runs (6%)"
    assert wording.rate(1, 1000) == "1 of 1000 runs (<1%)"
    assert wording.rate(0, 1) == "0 of 1 run (0%)"
    assert wording.seconds(0.035) == "35 ms"
    assert wording.seconds(1.25) == "1.2 s"
    assert wording.seconds(125) == "2 min 5 s"
    assert wording.seconds(None) == "-"
    assert wording.count(1, "signal") == "1 signal" and wording.count(2, "signal") == "2 signals"


def test_speedup_wording_follows_ftscalingbench():
    assert wording.speedup(100.0, 105.0, 4) == "1.1x at 4 threads (does not scale)"
    assert wording.speedup(100.0, 380.0, 4) == "3.8x at 4 threads (of an ideal 4x)"
    assert wording.speedup(100.0, 100.0, 1) == "baseline"
