"""The pytest plugin's own parts, without the engine: what it collects, the classes @scenario makes,
the options it passes, and the failure message it writes from a result document."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import strategies as st

from ftlab.pytest_plugin import failure_message, scenario
from ftlab_probes.api import Probe

MODULE = '''
import pytest
from hypothesis import strategies as st
from ftlab_probes.api import Probe, op
from ftlab.pytest_plugin import scenario


class TestBox(Probe):
    def make(self):
        return []

    @op(st.integers())
    def push(self, box, n):
        box.append(n)


class BoxHelper(TestBox):  # not named like a test class
    pass


class TestNotMine(TestBox):
    __test__ = False


class TestNoOps(Probe):
    pass


def push(box, n):
    box.append(n)


@pytest.mark.ftlab_thread_unsafe(reason="lists are not documented thread-safe for this")
@pytest.mark.ftlab(budget=1, threads=2)
@scenario(ops={push: st.integers()})
def test_list():
    return []


def test_plain():
    pass
'''


def collect(tmp_path: Path, *args: str) -> list[str]:
    proc = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:randomly",
                           "-p", "no:cacheprovider", *args, "test_mod.py"], capture_output=True, text=True,
                          cwd=tmp_path, timeout=60)
    return [ln for ln in proc.stdout.splitlines() if "::" in ln]


def test_collection(tmp_path: Path):
    (tmp_path / "test_mod.py").write_text(textwrap.dedent(MODULE))
    ids = collect(tmp_path)
    assert ids == ["test_mod.py::TestBox", "test_mod.py::test_list", "test_mod.py::test_plain"]
    # Markers on a @scenario test apply; ftlab_thread_unsafe makes it an expected failure.
    assert collect(tmp_path, "-m", "xfail") == ["test_mod.py::test_list"]


def test_scenario_makes_a_probe_class_named_like_the_function():
    def add(box, n):
        box.append(n)
        return len(box)

    def size(box):
        return len(box)

    @scenario(ops={add: st.integers(0, 3), size: ()}, state=size, raises=(IndexError,))
    def test_box():
        """A list shared by threads."""
        return []

    assert isinstance(test_box, type) and issubclass(test_box, Probe)
    assert test_box.__name__ == "test_box" and test_box.__module__ == __name__
    assert list(test_box.operations()) == ["add", "size"] and test_box.has_state()
    probe = test_box()
    box = probe.make()
    assert probe.add(box, 2) == 1 and probe.size(box) == 1 and probe.state(box) == 1
    assert test_box.raises == (IndexError,)


def test_scenario_refuses_an_op_named_like_a_probe_method():
    def make(obj):
        return obj

    with pytest.raises(TypeError, match="'make'"):
        scenario(ops={make: ()})(lambda: None)


def test_failure_message_from_a_finding():
    result = {"status": "findings", "data": {"seed": 7, "scenarios_run": 3, "invocations": 90, "findings": [{
        "kind": "corruption", "summary": "corruption in 5 of 100 runs of the minimal scenario ...",
        "table_text": "part     | thread 0 | thread 1\nparallel | inc(): 1 | inc(): 1  <-",
        "rate": [5, 100], "detail": "no sequential order explains these results", "repro": "/r/stress-x.py"}]}}
    text = failure_message(result, {"probe": "m:T"})
    assert text.splitlines()[0] == "corruption: corruption in 5 of 100 runs of the minimal scenario ..."
    assert "parallel | inc(): 1 | inc(): 1  <-" in text
    assert "observed rate: 5 of 100 runs (5.0%)" in text and "repro: /r/stress-x.py" in text
    assert "--ftlab-seed 7" in text


def test_failure_message_when_nothing_or_no_result():
    assert failure_message({"status": "ok", "data": {}}, {"probe": "m:T"}) is None
    died = {"status": "died", "data": {"error": "the stress engine's child died of SIGKILL without a result",
                                       "stderr": "Fatal Python error"}}
    text = failure_message(died, {"probe": "m:T"})
    assert text.startswith("ftlab stress could not test m:T: the stress engine's child died of SIGKILL")
    assert "Fatal Python error" in text
