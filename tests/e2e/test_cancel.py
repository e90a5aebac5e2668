"""Cancelling a run (SIGTERM, as CI does; Ctrl-C sends SIGINT the same way) kills its sandboxes at once
instead of waiting for the jobs running now: the run ends as interrupted (exit 130), no process of it
is left, and `ftlab run --resume` finishes it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.support import dists, killresume
from tests.support.index_server import IndexServer

#: The import that is running when the run is cancelled: far longer than the test waits for the exit.
SLEEPY_S = 120
#: How long ftlab may take to exit after the signal: cancelling kills sandboxes, it never waits for them.
EXIT_WITHIN_S = 20


def sleepy_wheel(dest):
    dest.mkdir(parents=True, exist_ok=True)
    name = "kc-sleepy"
    pkg = dists.dist_name(name)
    body = f"import time\ntime.sleep({SLEEPY_S})  # kc-sleepy-import\n"
    path = dest / f"{pkg}-1.0-py3-none-any.whl"
    path.write_bytes(dists.wheel_bytes(name, "1.0", "py3-none-any", dists.metadata_text(name, "1.0"),
                                       {f"{pkg}/__init__.py": body}))
    return dest


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_cancel_kills_running_sandboxes_at_once(tmp_path, py312, sig):
    store = tmp_path / "store" / "ftlab.sqlite"
    store.parent.mkdir()
    runs_dir = store.parent / "runs"
    with IndexServer(sleepy_wheel(tmp_path / "dists")) as index:
        args = ["run", "kc-sleepy", "--index-url", index.url, "--lane", "3.12", "--no-provision",
                "--checks", "install,import", "--module-timeout", str(SLEEPY_S + 60)]
        proc = subprocess.Popen([sys.executable, "-m", "ftlab", *args], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True, env=killresume._env(store), cwd=store.parent)
        deadline = time.monotonic() + 300
        while not any("kc_sleepy" in c or "kc-sleepy" in c for c in killresume.run_processes(runs_dir) if "/import/" in c):
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.poll() else "no import"
            time.sleep(0.1)
        time.sleep(0.5)
        sent = time.monotonic()
        os.kill(proc.pid, sig)
        err = proc.communicate(timeout=EXIT_WITHIN_S + 30)[1]
        took = time.monotonic() - sent
        assert proc.returncode == 130, err
        assert err.rstrip().endswith("(resume with 'ftlab run --resume latest')"), err
        assert took < EXIT_WITHIN_S, f"ftlab took {took:.1f} s to exit after the signal"
        time.sleep(1)
        assert killresume.run_processes(runs_dir) == []
        runs = killresume.ftlab(store, "runs", "--json")
        assert '"interrupted"' in runs.stdout
