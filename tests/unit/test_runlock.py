from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ftlab.errors import UsageError
from ftlab.store import runlock


def test_a_held_run_is_owned_and_a_released_one_is_not(tmp_path):
    assert runlock.owner(tmp_path / "never-started") is None
    with runlock.acquire(tmp_path, "r1"):
        assert runlock.owner(tmp_path) == os.getpid()
        assert runlock.effective_status("running", tmp_path) == "running"
    assert runlock.owner(tmp_path) is None
    assert runlock.effective_status("running", tmp_path) == "interrupted"
    assert runlock.effective_status("finished", tmp_path) == "finished"


def test_a_second_owner_is_refused_naming_the_first(tmp_path, monkeypatch):
    monkeypatch.setattr(runlock, "ACQUIRE_RETRY_S", 0.1)
    with runlock.acquire(tmp_path, "r1"), pytest.raises(UsageError, match=f"ftlab process {os.getpid()}"):
        runlock.acquire(tmp_path, "r1")


def test_the_lock_goes_with_a_killed_process(tmp_path):
    code = ("import sys, time; from pathlib import Path; from ftlab.store import runlock;"
            "o = runlock.acquire(Path(sys.argv[1]), 'r'); print('held', flush=True); time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "held"
        assert runlock.owner(tmp_path) == proc.pid
    finally:
        proc.kill()
        proc.wait()
    assert runlock.owner(tmp_path) is None
    runlock.acquire(tmp_path, "r").release()
