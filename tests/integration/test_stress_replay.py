"""Replay before "new" (issue 22, item 5) on real lanes: a free-threaded stress finding is replayed on
the baseline GIL lane (lab/ftlab/engine/checks/stress.py ``finalize``, the ``stress-replay`` runtime
command) before the judgement calls it new.

Two subjects, each searched for real on 3.14t:

- ``ftcalib_registry.probes:RacyRegistryProbe``: a pure-Python check-then-act with a Python call in the
  window, a race both builds have. The GIL lane's result is given as a search that missed it (what
  happened to bidict's ``MutableBidict``, whose race only the 3.14t search hit in time): the replay
  must find it there, and the finding must end ``same`` with its replay record;
- ``fttally:TallyProbe`` (written below): ``self.n += 1`` in a loop, no call between the read and the
  write, so a GIL build never switches threads inside it, while 3.14t runs the two loops in parallel
  and loses updates. Its GIL lane result is a real search there: clean; the replay must not find it
  either, and the finding stays ``new``, with its replay record.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from ftlab.engine.checks.base import RunContext
from ftlab.engine.checks.stress import REPLAY_RUNS, StressCheck
from ftlab.judgement.judge import judge
from ftlab.lanes.envs import LaneEnv
from ftlab.lanes.interpreters import fingerprint
from ftlab.records import Result, Signal, Subject
from tests.support.lanes import REPO_ROOT, ft_python, lane_venv, py314, run_probe, session_cache_root

REGISTRY = REPO_ROOT / "extensions" / "calibration" / "registry"

TALLY = {
    "pyproject.toml": """
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "fttally"
        version = "1.0.0"
        requires-python = ">=3.10"

        [tool.setuptools]
        py-modules = ["fttally"]
    """,
    "fttally.py": """
        from hypothesis import strategies as st

        from ftlab_probes.api import Probe, op


        class Tally:
            def __init__(self):
                self.n = 0

            def bump(self, k):
                for _ in range(k):
                    self.n += 1  # no call inside: a GIL build never switches threads here


        class TallyProbe(Probe):
            subject = "fttally"

            def make(self):
                return Tally()

            @op(st.just(5000))
            def bump(self, obj, k):
                obj.bump(k)

            def state(self, obj):
                return obj.n
    """,
}

#: Search budget per lane: the 3.14t searches find both races in a few seconds.
BUDGET_S = 6.0


@pytest.fixture(scope="module")
def lanes(tmp_path_factory):
    gil, ft = py314(), ft_python()
    if gil is None or ft is None:
        pytest.skip("needs a real CPython 3.14 (FTLAB_PY314) and a free-threaded one (FTLAB_FT_PYTHON)")
    root = session_cache_root(tmp_path_factory)
    tally = root / "fttally-src"
    tally.mkdir(exist_ok=True)
    for name, text in TALLY.items():
        (tally / name).write_text(textwrap.dedent(text).lstrip())
    pythons = {name: lane_venv(root, interp, [REGISTRY, tally], ["hypothesis"])
               for name, interp in (("3.14", gil), ("3.14t", ft))}
    lane_of = {name: fingerprint(str(python), source="explicit", name=name) for name, python in pythons.items()}
    return lane_of, pythons


def stress_result(lane, python, probe, workdir: Path) -> Result:
    doc = run_probe(python, "stress", {"probe": probe, "budget_s": BUDGET_S, "minimize_s": 6}, workdir, timeout_s=120,
                    job_id=f"r/pkg/{lane.name}/stress")
    signals = tuple(Signal(kind=s["kind"], summary=s["summary"], evidence=s["evidence"]) for s in doc["signals"])
    return Result(job_id=f"r/pkg/{lane.name}/stress", run_id="r", subject="pkg", lane=lane.name, check="stress",
                  status=doc["status"], signals=signals, data=doc["data"], artifacts_dir=str(workdir))


def missed(lane) -> Result:
    """The GIL lane's search, had it missed the race in its budget."""
    return Result(job_id=f"r/pkg/{lane.name}/stress", run_id="r", subject="pkg", lane=lane.name, check="stress",
                  status="ok")


def finalized(lane_of, pythons, tmp_path, results):
    ctx = RunContext(run_id="r", artifacts_dir=tmp_path, lanes=tuple(lane_of.values()),
                     subjects=(Subject(name="pkg"),), lane_pythons={k: str(v) for k, v in pythons.items()})
    ctx.prepared["envs"] = {name: LaneEnv(lane=name, venv=str(Path(python).parent.parent), python=str(python), ok=True,
                                          runtime_ok=True) for name, python in pythons.items()}
    results = StressCheck().finalize(ctx, results)
    return results, judge(ctx.lanes, results)


@pytest.mark.slow
@pytest.mark.ft
@pytest.mark.py314
def test_a_race_both_builds_have_ends_shared_with_its_gil_replay(lanes, tmp_path):
    lane_of, pythons = lanes
    ft = stress_result(lane_of["3.14t"], pythons["3.14t"], "ftcalib_registry.probes:RacyRegistryProbe",
                       tmp_path / "ft")
    assert [s.kind for s in ft.signals] == ["corruption"], ft.data
    results, found = finalized(lane_of, pythons, tmp_path, [missed(lane_of["3.14"]), ft])
    (sig,) = results[1].signals
    replay = sig.evidence["baseline_replay"]
    assert replay["lane"] == "3.14" and replay["relation"] == "shared", replay
    assert 0 < replay["failures"] <= replay["runs"] <= REPLAY_RUNS, replay
    assert "also reproduced on 3.14" in sig.summary
    (f,) = found
    assert f.baseline == "same" and not f.new_on_free_threaded, f.baseline_note


@pytest.mark.slow
@pytest.mark.ft
@pytest.mark.py314
def test_a_race_only_the_free_threaded_build_has_stays_new_with_its_gil_replay(lanes, tmp_path):
    lane_of, pythons = lanes
    gil = stress_result(lane_of["3.14"], pythons["3.14"], "fttally:TallyProbe", tmp_path / "gil")
    assert gil.status == "ok" and not gil.signals, gil.data
    ft = stress_result(lane_of["3.14t"], pythons["3.14t"], "fttally:TallyProbe", tmp_path / "ft")
    assert [s.kind for s in ft.signals] == ["corruption"], ft.data
    assert ft.signals[0].evidence["confirmed"] is True
    results, found = finalized(lane_of, pythons, tmp_path, [gil, ft])
    (sig,) = results[1].signals
    replay = sig.evidence["baseline_replay"]
    assert replay["lane"] == "3.14" and replay["relation"] == "new" and replay["failures"] == 0, replay
    assert replay["runs"] >= 100, replay  # a measured replay, not a skipped one
    (f,) = found
    assert f.baseline == "new" and f.gating and f.new_on_free_threaded
    assert f.baseline_note.startswith("not reproduced in 0 of"), f.baseline_note
