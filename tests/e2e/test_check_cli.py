"""`ftlab check`: a maintainer's project built, installed, imported and stressed on a free-threaded lane, and
`--installed` for a distribution already installed (cibuildwheel's test step), through the real CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.lanes import FT_SKIP_REASON, REPO_ROOT, ft_python
from tests.support.maintainer_venv import maintainer_venv

COUNTER = REPO_ROOT / "extensions" / "calibration" / "counter"

pytestmark = [pytest.mark.ft, pytest.mark.slow,
              pytest.mark.skipif(ft_python() is None, reason=FT_SKIP_REASON)]


def ftlab(*args: str, cwd: Path, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ftlab", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout)


def test_check_finds_the_counter_corruption_on_314t(tmp_path):
    proc = ftlab("check", str(COUNTER), "--lane", ft_python().path, "--budget", "3", "--no-provision",
                 "--store", str(tmp_path / "s.sqlite"), "--report-dir", str(tmp_path / "reports"), cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    # The summary comes first: the project, its verdict on the lane, the finding, its repro.
    assert lines[0] == f"ftlab check ftcalib-counter ({COUNTER})"
    assert "unsafe (install, import, stress)" in lines[1] and "free-threaded" in lines[1]
    assert "stress: corruption: corruption in" in lines[2] and "add(" in lines[2]
    repro = Path(next(ln for ln in lines if ln.startswith("      repro: ")).split("repro: ", 1)[1])
    assert repro.is_file() and "RacyCounterProbe" in repro.name
    assert lines[-1] == "decision: no-go"
    assert any(ln.startswith("junit report: ") for ln in lines)


def test_check_installed_runs_in_the_environment_it_is_given(tmp_path, tmp_path_factory):
    from ftlab.engine.project_check import check_installed

    python = maintainer_venv(tmp_path_factory)  # the plugin's tests build the same one
    checked = check_installed("ftcalib_counter", project=COUNTER, budget_s=3, artifacts_root=tmp_path,
                              python=str(python))
    assert checked.version == "1.0.0" and checked.lane.gil_disabled
    assert [r.check for r in checked.results] == ["import", "stress"]
    kinds = {(f.check, f.kind, f.signal.evidence.get("probe")) for f in checked.found if f.gating}
    assert kinds == {("stress", "corruption", "ftcalib_counter.probes:RacyCounterProbe")}
    assert checked.failed and checked.verdicts[0].verdict == "unsafe"
    doc = json.loads(json.dumps(checked.to_json()))
    assert doc["lane"]["gil_disabled"] is True and doc["decision"] == "no-go"
    # The reports CI publishes (job summary, test results) come from the same renderers as a run's.
    from ftlab.report import write_reports

    written = write_reports(checked.outcome(), tmp_path / "reports")
    assert "corruption" in written["md"].read_text()
    junit = written["junit"].read_text()
    assert 'failures="1"' in junit and 'name="ftcalib-counter"' in junit


def test_check_installed_bad_input(tmp_path):
    proc = ftlab("check", "--installed", "surely-not-installed-dist", cwd=tmp_path, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.startswith("ftlab: error: distribution 'surely-not-installed-dist' is not installed")
    proc = ftlab("check", str(tmp_path), cwd=tmp_path, timeout=60)
    assert proc.returncode == 2 and "not a Python project" in proc.stderr
