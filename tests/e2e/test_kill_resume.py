"""kill -9 of a real multi-package run, then `ftlab run --resume`: nothing lost, nothing redone, the
same results as an uninterrupted run, a sound store, and no process of the killed run left behind."""

from __future__ import annotations

import pytest

from tests.support import killresume
from tests.support.index_server import IndexServer


@pytest.mark.slow
def test_killed_run_resumes_to_the_uninterrupted_results(tmp_path, py312, py313):
    with IndexServer(killresume.write_packages(tmp_path / "dists")) as index:
        got = killresume.kill_and_resume(index.url, ["3.12", "3.13"], tmp_path)
    assert got["error"] is None, got["error"]
    # The run was killed mid-way: some results recorded, not all, and the slow import's child was live.
    assert 0 < got["recorded_before_kill"] < got["jobs_total"], got
    assert got["survivors"] == [], f"processes of the killed run still alive: {got['survivors']}"
    assert got["status_after_kill"] == "interrupted"
    # exit 1: kr-broken's import error is a finding, in both runs.
    assert got["resume_exit"] == got["uninterrupted_exit"] == 1, got["resume_stderr_tail"]
    assert got["store_check_exit"] == 0 and got["store_check"]["sound"], got["store_check"]
    assert got["results_lost"] == 0, got["lost"]
    assert got["jobs_redone"] == 0, got["redone"]
    assert got["jobs_total"] == got["jobs_uninterrupted"] == len(killresume.PACKAGES) * 2 * 2
    assert got["mismatches"] == 0, got["mismatched"]
    assert got["verdict_mismatches"] == 0
