"""`ftlab probes` and `ftlab run ... --checks install,import,stress` through the real CLI.

The run tests install from PyPI (network) and race for real (slow) on the newest GIL lane: three
probed packages, and pure-Python packages nobody wrote a probe for (the auto-probe path).
"""

from __future__ import annotations

import os
import time

import pytest

from tests.support.findings import undeclared_findings
from tests.support.lanes import gil_lanes

#: Seconds of stress per package: enough to exercise every probe's ops, short enough for 13 packages.
BUDGET = "4"
#: Packages with hand-written probes (probes/ftlab_probes/packages/), as `ftlab run` names them, through the CLI:
#: a C extension with a documented finding (numpy), one with a known issue (pyyaml) and a Rust one
#: (cryptography). Every probe of every package runs on two lanes in
#: tests/integration/test_probes_packages.py; the path through the CLI is the same for all.
PROBED = ["numpy", "pyyaml", "cryptography"]


def newest_gil_lane() -> str:
    lanes = [lane for lane in gil_lanes() if lane.version[:2] >= (3, 12)]
    if not lanes:
        pytest.skip("no CPython 3.12+ GIL lane found (pyenv or PATH)")
    return lanes[-1].path


def test_probes_lists_hand_written_and_auto(cli):
    doc, _ = cli.json("probes", check=0)
    entries = doc["probes"]
    subjects = {e["subject"] for e in entries if e["kind"] == "hand-written"}
    assert {"stdlib", "numpy", "pyyaml"} <= subjects and len(subjects - {"stdlib"}) >= 8
    assert entries[-1]["kind"] == "auto"
    numpy = next(e for e in entries if e["probe"] == "ftlab_probes.packages.numpy:SharedArrayReadsProbe")
    assert numpy["ops"] and numpy["subject"] == "numpy"
    text = cli("probes", check=0).stdout
    assert "ftlab_probes.stdlib.containers:DequeProbe" in text and "known" in text


def stress_result(doc, subject):
    (result,) = [r for r in doc["results"] if r["check"] == "stress" and r["subject"] == subject]
    return result


@pytest.mark.network
@pytest.mark.slow
@pytest.mark.parametrize("package", PROBED)
def test_run_probed_package(cli, package):
    # Stress only: the import check has its own tests, and numpy's hundreds of modules alone take minutes.
    lane = newest_gil_lane()
    doc, proc = cli.json("run", package, "--checks", "install,stress", "--lane", lane, "--budget", BUDGET,
                         "--no-provision")
    assert proc.returncode in (0, 1), proc.stderr
    result = stress_result(doc, package)
    assert result["status"] in ("ok", "findings"), result
    assert {r["kind"] for r in result["data"]["probes"]} == {"hand-written"}
    # Only findings recorded in probes/FINDINGS.md (tests/support/findings.py says how rare ones count).
    assert not undeclared_findings(result["signals"], None)
    for sig in result["signals"]:
        assert os.path.exists(sig["evidence"]["repro"])


@pytest.mark.network
@pytest.mark.slow
@pytest.mark.parametrize("package", ["more-itertools", "toolz"])
def test_run_unprobed_package_uses_the_auto_probe_within_budget(cli, package):
    lane = newest_gil_lane()
    started = time.monotonic()
    doc, proc = cli.json("run", package, "--checks", "install,import,stress", "--lane", lane, "--budget", BUDGET,
                         "--no-provision")
    assert proc.returncode in (0, 1), proc.stderr
    result = stress_result(doc, package)
    assert result["status"] in ("ok", "findings"), result
    assert result["data"]["auto"]["specs"] and {r["kind"] for r in result["data"]["probes"]} == {"auto"}
    for sig in result["signals"]:
        assert sig["evidence"]["auto_probe"] is True and sig["evidence"]["calls"]
        assert os.path.exists(sig["evidence"]["repro"])
    # The budget bounds the search; install, screening and minimisation come on top.
    assert result["duration_s"] < float(BUDGET) + 3 * 60
    assert time.monotonic() - started < 300
