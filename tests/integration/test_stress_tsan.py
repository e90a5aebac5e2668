"""ThreadSanitizer reports as data-race signals, on a free-threaded CPython built with
``--with-thread-sanitizer`` (named by FTLAB_TSAN_PYTHON; skipped elsewhere with that reason).

TallyBank (extensions/calibration/bank) is a correct bank plus a statistics field bumped without a
lock: no result ever shows it, ThreadSanitizer does. The project goes through ftlab's own path, as a
user runs it: `ftlab run DIR --lane tsan=PYTHON --checks install,stress`. Its install must build the
extension for that lane (-fsanitize=thread), not reuse a cp314t build made for an ordinary 3.14t,
and its stress children must start under ThreadSanitizer (no address-space cap).
"""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.support.lanes import REPO_ROOT

TSAN_PYTHON = os.environ.get("FTLAB_TSAN_PYTHON")
SKIP_REASON = "needs a ThreadSanitizer build of free-threaded CPython named by FTLAB_TSAN_PYTHON"

pytestmark = [pytest.mark.ft, pytest.mark.slow, pytest.mark.skipif(not TSAN_PYTHON, reason=SKIP_REASON)]

#: Seconds of stress, shared by the bank's three classes: 10 s each, TallyBank's race shows within it under ThreadSanitizer.
BUDGET = "30"


@pytest.fixture(scope="module")
def tsan_python():
    check = subprocess.run([TSAN_PYTHON, "-c", "import sysconfig; print(sysconfig.get_config_var('CONFIG_ARGS'))"],
                           capture_output=True, text=True)
    if "--with-thread-sanitizer" not in check.stdout:
        pytest.skip(f"FTLAB_TSAN_PYTHON is not a ThreadSanitizer build (CONFIG_ARGS: {check.stdout.strip()})")
    return TSAN_PYTHON


def test_a_benign_looking_race_is_a_data_race_signal_through_ftlab_run(cli, tsan_python):
    doc, proc = cli.json("run", str(REPO_ROOT / "extensions" / "calibration" / "bank"), "--lane", f"tsan={tsan_python}",
                         "--checks", "install,stress", "--budget", BUDGET, "--no-provision", timeout=900)
    assert proc.returncode in (0, 1), proc.stderr
    (lane,) = doc["lanes"]
    assert lane["sanitizer"] == "thread"
    results = {r["check"]: r for r in doc["results"] if r["subject"] == "ftcalib-bank"}

    # Built here, for this lane: every shared object of the project carries ThreadSanitizer's instrumentation.
    dist = results["install"]["data"]["subject_dist"]
    assert dist["outcome"] == "local" and dist["tsan"] == "instrumented" and dist["not_instrumented"] == []
    assert not [s for s in results["install"]["signals"] if s["kind"] == "not-instrumented"]

    stress = results["stress"]
    assert stress["status"] in ("ok", "findings"), stress
    races = [s for s in stress["signals"] if s["kind"] == "data-race" and "TallyBank" in s["evidence"].get("probe", "")]
    assert races, [(s["kind"], s["summary"]) for s in stress["signals"]]
    evidence = races[0]["evidence"]
    assert evidence["module"] == "_bank" and evidence["location"].startswith("ftcalib_bank/_bank.c:")
    assert evidence["function"] == "bank_transfer"
    assert len(evidence["stacks"]) == 2 and all(s["frames"] for s in evidence["stacks"])
    reported, runs = evidence["rate"]
    assert runs >= 1 and reported >= 1
    # A data race gates: the run is a no-go, the bank unsafe on the lane.
    verdicts = {(v["subject"], v["lane"]): v["verdict"] for v in doc["verdicts"]}
    assert verdicts[("ftcalib-bank", "tsan")] == "unsafe"
    assert proc.returncode == 1
