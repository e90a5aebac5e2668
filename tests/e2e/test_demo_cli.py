"""`ftlab demo` through the real CLI: the quick demo on real lanes, and without a free-threaded lane."""

from __future__ import annotations

import time

import pytest

from ftlab.cli.demo import MAX_SCREEN_LINES

pytestmark = [pytest.mark.slow, pytest.mark.network]


@pytest.mark.ft
@pytest.mark.py314
def test_quick_demo_on_314_and_314t_ends_with_one_screen(cli, py314, ft_python):
    started = time.monotonic()
    proc = cli("demo", "--lane", f"3.14={py314}", "--lane", f"3.14t={ft_python}", timeout=900)
    seconds = time.monotonic() - started
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) <= MAX_SCREEN_LINES, proc.stdout
    text = proc.stdout
    assert "decision: NO-GO" in text
    assert "1. GIL re-enabled on 3.14t" in text and "ftfix_chain.helpers -> ftfix_chain._speedups" in text
    assert "2. Crash" in text and "SIGSEGV" in text
    assert "3. Race" in text and "thread 0: add(1)" in text and "repro (3.14t): python " in text
    assert "3.14t: cp314-cp314t-" in text
    assert "NOT SEEN" not in text
    print(f"quick demo: {seconds:.0f} s wall")  # the figure for benchmarks/README.md (-s shows it)


def test_quick_demo_without_a_free_threaded_lane_says_what_it_did(cli, py312):
    proc = cli("demo", "--lane", f"3.12={py312}", timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = proc.stdout
    assert "without a free-threaded lane" in text and "1. GIL re-enabled: needs a free-threaded lane" in text
    assert "2. Crash" in text and "3. Race" in text and "3.12: cp312-cp312-" in text
    assert len(text.splitlines()) <= MAX_SCREEN_LINES
