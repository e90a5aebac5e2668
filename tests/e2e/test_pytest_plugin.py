"""The pytest plugin inside a maintainer's free-threaded venv, under pytest-xdist: probe classes and
@scenario functions run through the stress engine; the counter fixture's bug fails as an ordinary
pytest failure (minimal scenario table, rate, repro script), its twin passes, a segfault fails only
its own test, and pytest itself ends normally. (All four calibration bugs and twins through the
plugin, the deadlock included: benchmarks/plugin_vs_run_parallel.py.)"""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.support.lanes import FT_SKIP_REASON, cached_json, ft_python, session_cache_root
from tests.support.maintainer_venv import maintainer_venv

pytestmark = [pytest.mark.ft, pytest.mark.slow, pytest.mark.skipif(ft_python() is None, reason=FT_SKIP_REASON)]

TESTS = '''
import ctypes

import pytest
from hypothesis import strategies as st

import ftcalib_counter
from ftcalib_counter.probes import LockedCounterProbe, RacyCounterProbe
from ftlab.pytest_plugin import scenario


class TestLockedCounter(LockedCounterProbe):  # the twin: a lock around the update
    pass


class HelperProbe(RacyCounterProbe):  # not named like a test class: not collected
    pass


def add(counter, n):
    return counter.add(n)


def get(counter):
    return counter.get()


@scenario(ops={add: st.integers(1, 3), get: ()}, state=get)
def test_racy_counter_functions():
    return ftcalib_counter.RacyCounter()


def read_null(obj):
    return ctypes.c_int.from_address(8).value  # a segfault in the subject's process


@scenario(ops={read_null: ()})
def test_segfaults():
    return None


def test_plain():
    assert ftcalib_counter.LockedCounter().get() == 0
'''


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    """One inner pytest session for the whole test run: xdist workers share it (a file lock), since
    each of its tests starts engine children and takes seconds."""

    def produce() -> dict:
        python = maintainer_venv(tmp_path_factory)
        project = session_cache_root(tmp_path_factory) / "maintainer-project"
        (project / "tests").mkdir(parents=True, exist_ok=True)
        (project / "tests" / "test_shared.py").write_text(TESTS)
        junit = project / "junit.xml"
        proc = subprocess.run([str(python), "-m", "pytest", "-p", "ftlab.pytest_plugin", "-n", "2",
                               "--ftlab-budget", "2", "-p", "no:randomly", f"--junitxml={junit}", "tests"],
                              capture_output=True, text=True, cwd=project, timeout=400)
        # xdist's "created: N/N workers" line is near the top, the failures' text at the end: keep both
        # ends (a long failure section once pushed the head out of a tail-only excerpt).
        stdout = proc.stdout if len(proc.stdout) <= 12000 else proc.stdout[:4000] + "\n…\n" + proc.stdout[-8000:]
        return {"returncode": proc.returncode, "stdout": stdout, "junit": junit.read_text(),
                "project": str(project)}

    doc = cached_json(session_cache_root(tmp_path_factory), "pytest-plugin-session", produce)
    cases = {c.get("name"): c for c in ET.fromstring(doc["junit"]).iter("testcase")}
    return subprocess.CompletedProcess([], doc["returncode"], doc["stdout"], ""), cases, Path(doc["project"])


def outcome(case: ET.Element) -> str:
    for tag in ("failure", "error", "skipped"):
        if case.find(tag) is not None:
            return tag
    return "passed"


def test_the_session_ends_normally_with_each_outcome(session):
    proc, cases, _ = session
    assert proc.returncode == 1, proc.stdout[-3000:]  # test failures, not an internal error or a crash
    assert {name: outcome(c) for name, c in cases.items()} == {
        "TestLockedCounter": "passed", "test_racy_counter_functions": "failure", "test_segfaults": "failure",
        "test_plain": "passed",
    }, proc.stdout[-3000:]
    assert "created: 2/2 workers" in proc.stdout


@pytest.mark.parametrize("name,kind", [("test_racy_counter_functions", "corruption"), ("test_segfaults", "crash")])
def test_failures_show_the_minimal_scenario_rate_and_repro(session, name, kind):
    _, cases, project = session
    text = cases[name].find("failure").text or ""
    assert text.startswith(f"{kind}: {kind} in ") or text.startswith(f"{kind}: {kind} seen once"), text
    assert "minimal scenario (one column per thread" in text and "observed rate: " in text
    repro = Path(text.split("repro: ", 1)[1].split(" (run it with", 1)[0])
    assert repro.is_file() and repro.is_relative_to(project / ".pytest_cache")
    if kind == "corruption":
        assert "| add(" in text and "no sequential order explains" in text
    if kind == "crash":
        assert "signal: 11" in text and "SIGSEGV" in text


def test_a_repro_script_runs_standalone(session):
    """The repro imports the test module by itself (the paths the plugin gave the engine); how often a
    replay shows the race is the engine's business, and varies with the load: it is reported, and the
    exit status says whether it showed up."""
    _, cases, _ = session
    text = cases["test_racy_counter_functions"].find("failure").text
    path, rest = text.split("repro: ", 1)[1].split(" (run it with ", 1)
    python = rest.split(")", 1)[0]
    replay = subprocess.run([python, path, "--runs", "500"], capture_output=True, text=True, timeout=120, cwd="/")
    match = re.search(r"reproduced (\d+) of (\d+) runs \(corruption\)", replay.stdout)
    assert match, replay.stdout + replay.stderr
    assert replay.returncode == (1 if int(match[1]) else 0)
