"""ThreadSanitizer reports as data-race signals, on a free-threaded CPython built with
``--with-thread-sanitizer`` (named by FTLAB_TSAN_PYTHON; skipped elsewhere with that reason).

TallyBank (extensions/calibration/bank) is a correct bank plus a statistics field bumped without a
lock: no result ever shows it, ThreadSanitizer does. The extension is built with the lane's own
compiler flags (-fsanitize=thread) without build isolation: a wheel of the same tag built for an
ordinary 3.14t is not instrumented.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.support.lanes import REPO_ROOT, _uv, run_probe, venv_python

TSAN_PYTHON = os.environ.get("FTLAB_TSAN_PYTHON")
SKIP_REASON = "needs a ThreadSanitizer build of free-threaded CPython named by FTLAB_TSAN_PYTHON"

pytestmark = [pytest.mark.ft, pytest.mark.slow, pytest.mark.skipif(not TSAN_PYTHON, reason=SKIP_REASON)]

TALLY = ("ftlab_probes.auto:cls:ftcalib_bank:TallyBank:balance(int);transfer(int,int,int)"
         "|balance(1),balance(0),balance(2),balance(3)")


@pytest.fixture(scope="module")
def tsan_lane(tmp_path_factory):
    check = subprocess.run([TSAN_PYTHON, "-c", "import sysconfig; print(sysconfig.get_config_var('CONFIG_ARGS'))"],
                           capture_output=True, text=True)
    if "--with-thread-sanitizer" not in check.stdout:
        pytest.skip(f"FTLAB_TSAN_PYTHON is not a ThreadSanitizer build (CONFIG_ARGS: {check.stdout.strip()})")
    root = tmp_path_factory.mktemp("tsan")
    venv = root / "venv"
    subprocess.run([*_uv(), "venv", "--quiet", "--no-project", "--python", TSAN_PYTHON, str(venv)], check=True)
    python = venv_python(venv)
    subprocess.run([*_uv(), "pip", "install", "--quiet", "--python", str(python), "hypothesis", "setuptools"],
                   check=True)
    source = root / "bank"
    shutil.copytree(REPO_ROOT / "extensions" / "calibration" / "bank", source,
                    ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    subprocess.run([*_uv(), "pip", "install", "--quiet", "--no-cache", "--no-build-isolation", "--python",
                    str(python), str(source)], check=True)
    return python


def test_a_benign_looking_race_is_a_data_race_signal_with_both_stacks(tsan_lane, tmp_path):
    result = run_probe(tsan_lane, "stress", {"probe": TALLY, "budget_s": 8, "minimize_s": 4}, tmp_path,
                       timeout_s=240)
    data = result["data"]
    assert data["tsan"] is True
    kinds = [s["kind"] for s in result["signals"]]
    assert kinds == ["data-race"], result["signals"]  # and nothing the results show: the bank is correct
    evidence = result["signals"][0]["evidence"]
    assert evidence["module"] == "_bank" and evidence["location"].startswith("ftcalib_bank/_bank.c:")
    assert evidence["function"] == "bank_transfer"
    assert len(evidence["stacks"]) == 2 and all(s["frames"] for s in evidence["stacks"])
    assert sum(1 for ops in evidence["scenario"]["threads"] if ops) >= 2
    reported, runs = evidence["rate"]
    assert runs >= 1 and reported >= 1
