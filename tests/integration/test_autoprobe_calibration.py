"""The auto-probe on the calibration fixtures of extensions/calibration/, WITHOUT their hand-written
probes: screening must produce a probe for each class, the stress engine must find each buggy
fixture with its signal kind and leave each correct twin clean."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from ftlab import sandbox
from tests.support.lanes import REPO_ROOT, _clean_env, gil_lanes, lane_venv, run_probe, session_cache_root

CALIBRATION = REPO_ROOT / "extensions" / "calibration"
FIXTURE_DIRS = sorted(p for p in CALIBRATION.iterdir() if (p / "pyproject.toml").exists())

# class: expected signal kind (None: its correct twin, must be clean)
EXPECTED = {
    "ftcalib_counter.RacyCounter": "corruption",
    "ftcalib_counter.LockedCounter": None,
    "ftcalib_buffer.RacyBuffer": "crash",
    "ftcalib_buffer.LockedBuffer": None,
    "ftcalib_locks.InvertedAccounts": "hang",
    "ftcalib_locks.OrderedAccounts": None,
    "ftcalib_registry.RacyRegistry": "corruption",
    "ftcalib_registry.LockedRegistry": None,
}
#: A buggy fixture is found in a few seconds (the search stops at the finding); a twin gets less.
BUGGY_BUDGET_S = 8.0
TWIN_BUDGET_S = 3.0


@pytest.fixture(scope="session")
def lane_python(tmp_path_factory):
    lanes = [lane for lane in gil_lanes() if lane.version[:2] >= (3, 12)]
    if not lanes:
        pytest.skip("no CPython 3.12+ GIL lane found (pyenv or PATH) to build the calibration fixtures for")
    return lane_venv(session_cache_root(tmp_path_factory), lanes[-1], FIXTURE_DIRS, ["hypothesis"])


def screen(python, distribution, workdir):
    workdir.mkdir(parents=True, exist_ok=True)
    job = {"format": "ftlab-job/1", "job_id": "screen", "command": "autoprobe", "subject": {"name": distribution},
           "lane": {}, "options": {"distribution": distribution}, "timeout_s": 120,
           "artifacts_dir": str(workdir), "limits": {}}
    (workdir / "job.json").write_text(json.dumps(job))
    env = {**_clean_env(), "PYTHONPATH": sandbox.runtime_path()}
    subprocess.run([str(python), "-m", "ftlab_probes.auto", "--job", str(workdir / "job.json"), "--out",
                    str(workdir / "out.json")], check=True, env=env, cwd=workdir, timeout=180)
    return json.loads((workdir / "out.json").read_text())


@pytest.fixture(scope="module")
def specs(lane_python, tmp_path_factory):
    found = {}
    for fixture in FIXTURE_DIRS:
        result = screen(lane_python, "ftcalib-" + fixture.name, tmp_path_factory.mktemp(fixture.name))
        assert result["status"] == "ok", result["data"]
        for spec in result["data"]["specs"]:
            if spec.startswith("cls:"):
                _, module, cls = spec.split(":")[:3]
                found[f"{module}.{cls}"] = spec
    return found


def test_screening_makes_a_probe_for_every_fixture_class(specs):
    assert set(specs) == set(EXPECTED)
    assert "move_left(int)" in specs["ftcalib_locks.InvertedAccounts"]
    assert "register(str)" in specs["ftcalib_registry.RacyRegistry"]


@pytest.mark.parametrize("target", sorted(EXPECTED))
def test_auto_probe_finds_the_bug_and_spares_the_twin(lane_python, specs, target, tmp_path):
    kind = EXPECTED[target]
    options = {"probe": "ftlab_probes.auto:" + specs[target], "budget_s": BUGGY_BUDGET_S if kind else TWIN_BUDGET_S,
               "minimize_s": 8}
    result = run_probe(lane_python, "stress", options, tmp_path, timeout_s=90)
    if kind is None:
        assert result["status"] == "ok", result["signals"]
        return
    assert [s["kind"] for s in result["signals"]] == [kind], result["data"]
    repro = result["signals"][0]["evidence"]["repro"]
    assert os.path.exists(repro)
