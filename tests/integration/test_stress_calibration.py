"""The stress engine on the calibration fixtures of extensions/calibration/, built for a real lane.

Each buggy fixture must be found with its signal kind within the default budget, minimised to the
two racing ops, with a rate and a repro script that reproduces on its own; each correct twin must
come out clean. One run per fixture here (the engine is probabilistic: the 19-of-20 detection and
20-run false-positive figures come from benchmarks/calibration.py). Twins get a short budget so the
file stays near a minute on two cores. Ground truth: the table in extensions/README.md.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support.lanes import REPO_ROOT, gil_lanes, lane_venv, run_probe, session_cache_root

CALIBRATION = REPO_ROOT / "extensions" / "calibration"
FIXTURE_DIRS = sorted(p for p in CALIBRATION.iterdir() if (p / "pyproject.toml").exists())

# probe: (expected signal kind, the two ops the minimal scenario must race)
BUGGY = {
    "ftcalib_counter.probes:RacyCounterProbe": ("corruption", {"add"}),
    "ftcalib_buffer.probes:RacyBufferProbe": ("crash", {"checksum", "resize"}),
    "ftcalib_locks.probes:InvertedAccountsProbe": ("hang", {"move_left"}),
    "ftcalib_registry.probes:RacyRegistryProbe": ("corruption", {"register"}),
}
TWINS = [
    "ftcalib_counter.probes:LockedCounterProbe",
    "ftcalib_buffer.probes:LockedBufferProbe",
    "ftcalib_locks.probes:OrderedAccountsProbe",
    "ftcalib_registry.probes:LockedRegistryProbe",
]
#: Enough for hundreds of scenarios on a twin; the full default budget runs in the benchmark.
TWIN_BUDGET_S = 4.0
#: Replays of a repro: in-process kinds fail in a few percent of runs, crashes and hangs in most.
REPRO_RUNS = {"corruption": 500, "crash": 10, "hang": 3}


@pytest.fixture(scope="session")
def lane_python(tmp_path_factory):
    lanes = [lane for lane in gil_lanes() if lane.version[:2] >= (3, 12)]
    if not lanes:
        pytest.skip("no CPython 3.12+ GIL lane found (pyenv or PATH) to build the calibration fixtures for")
    return lane_venv(session_cache_root(tmp_path_factory), lanes[-1], FIXTURE_DIRS, ["hypothesis"])


def stress(python, probe, workdir, **options):
    return run_probe(python, "stress", {"probe": probe, **options}, workdir, timeout_s=120)


@pytest.mark.slow
@pytest.mark.parametrize("probe", sorted(BUGGY))
def test_buggy_fixture_is_found_minimised_and_reproduced(lane_python, probe, tmp_path):
    kind, racing_ops = BUGGY[probe]
    result = stress(lane_python, probe, tmp_path)
    assert result["status"] == "findings", result["data"]
    assert [s["kind"] for s in result["signals"]] == [kind], result["signals"]
    evidence = result["signals"][0]["evidence"]
    failures, runs = evidence["rate"]
    finding = result["data"]["findings"][0]
    context = {k: finding[k] for k in ("scenario_text", "minimization", "rate", "processing_s")}
    assert 0 < failures <= runs, context
    assert finding["minimization"]["complete"], context
    scenario = evidence["scenario"]
    assert scenario["init"] == [] and scenario["post"] == [], context
    assert len(scenario["threads"]) == 2 and all(len(t) == 1 for t in scenario["threads"]), context
    assert racing_ops <= {call.split("(")[0] for t in scenario["threads"] for call in t}, context
    if kind == "crash":
        assert evidence["signal"] == 11 and "Segmentation fault" in evidence["trace"]
    if kind == "hang":
        assert "Timeout" in evidence["trace"] and "move_" in evidence["trace"]
    if kind == "corruption":
        assert any(cell.endswith("<-") for row in evidence["table"] for cell in row)

    # The repro script reproduces on its own: no PYTHONPATH, a fresh process, another directory.
    proc = subprocess.run(
        [str(lane_python), evidence["repro"], "--runs", str(REPRO_RUNS[kind])],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"({kind})" in proc.stdout and "reproduced 0 of" not in proc.stdout


@pytest.mark.slow
@pytest.mark.parametrize("probe", TWINS)
def test_correct_twin_is_not_flagged(lane_python, probe, tmp_path):
    result = stress(lane_python, probe, tmp_path, budget_s=TWIN_BUDGET_S)
    assert result["status"] == "ok", result["data"]
    assert result["signals"] == []
    data = result["data"]
    assert data["scenarios_run"] >= 5 and data["invocations"] > 1000
    assert data["stopped"] == "budget"


def test_unknown_probe_is_an_error_result_not_a_crash(tmp_path):
    result = run_probe(
        sys.executable, "stress", {"probe": "ftcalib_nope.probes:Nothing"}, tmp_path, timeout_s=30
    )
    assert result["status"] == "error"
    assert "cannot import probe module 'ftcalib_nope.probes'" in result["data"]["traceback"]
