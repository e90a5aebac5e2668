"""kill -9 of a real multi-package run, then `ftlab run --resume`: nothing lost, nothing redone, the
same results as an uninterrupted run, a sound store, and no process of the killed run left behind.
Ctrl-C and SIGTERM (which kill the sandboxes at once and end the run as interrupted) are in
test_cancel.py."""

from __future__ import annotations

import pytest

from tests.support import killresume
from tests.support.index_server import IndexServer

LANES = ("3.12", "3.13")


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    with IndexServer(killresume.write_packages(tmp_path_factory.mktemp("kr-dists"))) as server:
        yield server


@pytest.fixture(scope="module")
def baseline(index, tmp_path_factory, py312, py313):
    return killresume.uninterrupted(index.url, LANES, tmp_path_factory.mktemp("kr-straight"))


@pytest.mark.slow
@pytest.mark.parametrize("kill_during", killresume.KILL_POINTS)
def test_killed_run_resumes_to_the_uninterrupted_results(tmp_path, index, baseline, kill_during):
    got = killresume.kill_and_resume(index.url, LANES, tmp_path, kill_during=kill_during, baseline=baseline)
    assert got["error"] is None, got["error"]
    assert got["recorded_before_kill"] < got["jobs_total"], got
    if kill_during == "import":  # killed with results recorded and the slow import's child live
        assert got["recorded_before_kill"] > 0, got
    assert got["survivors"] == [], f"processes of the killed run still alive: {got['survivors']}"
    assert got["status_after_kill"] == "interrupted"
    # exit 1: kr-broken's import error is a finding, in both runs.
    assert got["resume_exit"] == got["uninterrupted_exit"] == 1, got["resume_stderr_tail"]
    assert got["store_check_exit"] == 0 and got["store_check"]["sound"], got["store_check"]
    assert got["results_lost"] == 0, got["lost"]
    assert got["jobs_redone"] == 0, got["redone"]
    assert got["jobs_total"] == got["jobs_uninterrupted"] == len(killresume.PACKAGES) * len(LANES) * 2
    assert got["mismatches"] == 0, got["mismatched"]
    assert got["verdict_mismatches"] == 0
