"""A disk that fills up, for real: a small tmpfs in a private user + mount namespace (tests/support/diskfull.py).

A run on a full disk stops with one line and exit 2; a run whose disk fills after its first result stops
the same way, keeps what it recorded and resumes once there is space; the run recorded before all this
stays intact."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT

UNSHARE = ("unshare", "--user", "--map-root-user", "--mount")


def _namespaces_allowed() -> str:
    if not shutil.which("unshare"):
        return "no unshare(1) on this machine"
    proc = subprocess.run([*UNSHARE, "true"], capture_output=True, text=True)
    return "" if proc.returncode == 0 else f"the kernel refuses a user + mount namespace: {proc.stderr.strip()}"


def _one_error_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    errors = [ln for ln in stderr.splitlines() if ln.startswith("ftlab: error: ")]
    assert len(errors) == 1 and stderr.splitlines()[-1] == errors[0], stderr
    return errors[0]


@pytest.mark.slow
def test_disk_full_stops_with_one_line_and_the_run_resumes(tmp_path, py311, py312, py313):
    refused = _namespaces_allowed()
    if refused:
        pytest.skip(refused)
    disk, out = tmp_path / "disk", tmp_path / "out.json"
    disk.mkdir()
    proc = subprocess.run([*UNSHARE, sys.executable, "-m", "tests.support.diskfull", str(disk), str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(out.read_text())
    if "refused" in got:
        pytest.skip(got["refused"])
    assert got["first"]["exit"] == 0, got["first"]["stderr"]
    (first_id,) = got["first_results"]

    assert got["full_from_start"]["exit"] == 2
    assert "no space left" in _one_error_line(got["full_from_start"]["stderr"])
    # Reading works on a full disk when SQLite's shared-memory file is there; when it must be created, it
    # cannot be, and that is said as such.
    listing = got["runs_while_full"]
    assert (listing["exit"] == 0 and first_id in listing["stdout"]) or (
        listing["exit"] == 2 and "is full" in _one_error_line(listing["stderr"])), listing

    assert got["filled_while_running"], "the run ended before the disk could be filled"
    assert got["mid_run"]["exit"] == 2, got["mid_run"]["stderr"]
    line = _one_error_line(got["mid_run"]["stderr"])
    assert "full" in line and "ftlab run --resume" in line
    (mid_id,) = set(got["after_mid_run_results"]) - {first_id}
    recorded = got["after_mid_run_results"][mid_id]
    assert 1 <= len(recorded) < 3 and got["after_mid_run_statuses"][mid_id] == "running"

    assert got["resume"]["exit"] == 0, got["resume"]["stderr"]
    final = got["final_results"][mid_id]
    assert len(final) == 3 and {row[1] for row in final} == {"ok"}
    # What was recorded before the disk filled is kept as it was (same recorded_at: not redone).
    assert all(row in final for row in recorded)
    assert got["final_statuses"] == {first_id: "finished", mid_id: "finished"}
    assert got["final_results"][first_id] == got["first_results"][first_id]
    assert got["check"]["exit"] == 0 and json.loads(got["check"]["stdout"])["sound"]
