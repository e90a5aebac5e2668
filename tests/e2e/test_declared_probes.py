"""A project declares its own probes in pyproject.toml ([tool.ftlab] probes); the stress check runs
those instead of the auto-probe: the buggy calibration class is found, its correct twin is not."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

CALIBRATION = Path(__file__).resolve().parents[2] / "extensions" / "calibration"


@pytest.mark.slow
def test_declared_probes_find_the_bug_and_spare_the_twin(cli, py313):
    doc, proc = cli.json("run", str(CALIBRATION / "counter"), "--lane", "3.13", "--no-provision",
                         "--checks", "install,stress", "--budget", "12")
    assert proc.returncode == 1, proc.stderr
    (stress,) = [r for r in doc["results"] if r["check"] == "stress"]
    kinds = {p["probe"]: (p["kind"], p["status"]) for p in stress["data"]["probes"]}
    assert kinds == {"ftcalib_counter.probes:RacyCounterProbe": ("declared", "findings"),
                     "ftcalib_counter.probes:LockedCounterProbe": ("declared", "ok")}
    (sig,) = stress["signals"]
    assert sig["kind"] == "corruption" and sig["evidence"]["probe"] == "ftcalib_counter.probes:RacyCounterProbe"
    k, n = sig["evidence"]["rate"]
    assert 0 < k <= n and Path(sig["evidence"]["repro"]).is_file()
    # The repro script is the maintainer's evidence: it still runs after ftlab has exited, on its own.
    repro = subprocess.run([py313, sig["evidence"]["repro"], "--runs", "2000"], capture_output=True, text=True,
                           timeout=300, env={"PATH": os.environ["PATH"], "HOME": str(cli.tmp)})
    assert "No module named" not in repro.stderr, repro.stderr
    assert re.search(r"reproduced \d+ of \d+ runs \(corruption\)", repro.stdout), repro.stdout + repro.stderr


def test_malformed_declaration_is_bad_input(cli, tmp_path, py313):
    project = tmp_path / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text('[project]\nname = "proj"\nversion = "1"\n[tool.ftlab]\nprobes = ["no-colon"]\n')
    proc = cli("run", str(project), "--lane", "3.13", "--no-provision", check=2)
    assert "[tool.ftlab] probes must be a list of 'module.path:ClassName' strings" in proc.stderr
