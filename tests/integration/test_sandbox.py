"""The sandbox for real: children of this machine's Python under ftlab.sandbox.process.run_child, with every
layer the kernel grants, and again with namespaces off (FTLAB_NO_NAMESPACES=1, the fallback users on
locked-down kernels get): orphans, timeouts and a killed host leave no process behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import psutil
import pytest

from ftlab.sandbox import process as sandbox

LAYERS = sandbox.isolation_prefix(False)[1]
NEEDS_NAMESPACES = pytest.mark.skipif(
    not {"netns", "pidns", "mountns"} <= set(LAYERS),
    reason=f"this kernel grants no network/PID/mount namespaces to this user (layers: {list(LAYERS) or 'none'})",
)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["namespaces", "fallback"])
def mode(request, monkeypatch):
    """Both ways the sandbox runs: every layer unshare grants, and the subreaper-only fallback."""
    if request.param == "namespaces" and "pidns" not in LAYERS:
        pytest.skip("no PID namespace here")
    if request.param == "fallback":
        monkeypatch.setenv("FTLAB_NO_NAMESPACES", "1")
    sandbox.isolation_prefix.cache_clear()
    yield request.param
    sandbox.isolation_prefix.cache_clear()


def marker() -> str:
    return f"ftlab-test-{uuid.uuid4().hex[:12]}"


def alive(mark: str) -> list[str]:
    out = []
    for p in psutil.process_iter(["cmdline", "status"]):
        cmd = " ".join(p.info["cmdline"] or [])
        if mark in cmd and p.info["status"] != psutil.STATUS_ZOMBIE and p.pid != os.getpid():
            out.append(f"{p.pid}: {cmd[:120]}")
    return out


def daemon_code(mark: str, then: str = "") -> str:
    """Double fork into a new session, streams on /dev/null: a daemon that escapes its process group."""
    return textwrap.dedent(f"""
        import os, sys, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                null = os.open(os.devnull, os.O_RDWR)
                for fd in (0, 1, 2):
                    os.dup2(null, fd)
                os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(600)", {mark!r}])
            os._exit(0)
        os.wait()
        {then}
    """)


def run(tmp_path: Path, code: str, timeout: float = 20, **kw) -> sandbox.ChildOutcome:
    return sandbox.run_child([sys.executable, "-c", code], workdir=tmp_path / "job", timeout_s=timeout, **kw)


def test_orphaned_daemon_is_killed_and_reported(tmp_path, mode):
    mark = marker()
    outcome = run(tmp_path, daemon_code(mark, "print('done')"))
    assert outcome.returncode == 0 and Path(outcome.stdout_path).read_text() == "done\n"
    assert [o for o in outcome.orphans if mark in o["cmdline"]], outcome.orphans
    assert "subreaper" in outcome.layers
    assert alive(mark) == []


def test_timeout_kills_the_whole_tree_including_a_process_that_ignores_sigterm(tmp_path, mode):
    mark = marker()
    code = daemon_code(mark, "import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)")
    started = time.monotonic()
    outcome = run(tmp_path, code, timeout=1)
    assert outcome.timed_out and outcome.returncode == -signal.SIGKILL
    assert time.monotonic() - started < 1 + sandbox.KILL_GRACE_S + 5
    deadline = time.monotonic() + 5
    while alive(mark) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert alive(mark) == []


def test_killing_the_host_kills_every_sandboxed_process(tmp_path, mode):
    """kill -9 of the process that started the sandbox (ftlab) takes the sandbox with it."""
    mark = marker()
    host_code = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from ftlab.sandbox import process as sandbox
        code = {daemon_code(mark, "time.sleep(600)")!r}
        sandbox.run_child([sys.executable, "-c", code, {mark!r}], workdir=Path({str(tmp_path / "job")!r}), timeout_s=600)
    """)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    host = subprocess.Popen([sys.executable, "-c", host_code], env=env)
    try:
        deadline = time.monotonic() + 20
        while len(alive(mark)) < 2 and time.monotonic() < deadline:  # the command and its daemon
            time.sleep(0.1)
        assert len(alive(mark)) >= 2, "the sandboxed command never started"
    finally:
        host.kill()
        host.wait()
    deadline = time.monotonic() + 10
    while alive(mark) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert alive(mark) == []


def test_limits_turn_runaway_memory_and_output_into_errors(tmp_path):
    limits = sandbox.Limits(address_space_mb=512, file_size_mb=8)
    memory = run(tmp_path / "m", "x = [bytearray(2**20) for _ in range(4096)]", limits=limits)
    assert memory.returncode == 1 and "MemoryError" in memory.stderr_tail()
    flood = run(tmp_path / "f", "import sys\nfor _ in range(64): sys.stdout.buffer.write(b'x' * 2**20)", limits=limits)
    assert flood.returncode == 1 and "File too large" in flood.stderr_tail()
    assert os.path.getsize(flood.stdout_path) <= 8 * 2**20
    cpu = run(tmp_path / "c", "while True: pass", limits=sandbox.Limits(cpu_s=1), timeout=30)
    assert cpu.returncode in (-signal.SIGXCPU, -signal.SIGKILL) and not cpu.timed_out


def test_environment_is_allowlisted_and_home_is_private(tmp_path, monkeypatch):
    monkeypatch.setenv("FTLAB_TEST_SECRET_TOKEN", "hunter2")
    outcome = run(tmp_path, "import os, json; print(json.dumps(dict(os.environ)))")
    import json

    env = json.loads(Path(outcome.stdout_path).read_text())
    assert "FTLAB_TEST_SECRET_TOKEN" not in env
    assert env["HOME"] == str(tmp_path / "job" / "home") and env["TMPDIR"] == str(tmp_path / "job" / "tmp")


@NEEDS_NAMESPACES
def test_no_network_and_a_read_only_machine(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    code = textwrap.dedent(f"""
        import os, socket
        for attempt in (lambda: open({str(outside)!r}, "w"), lambda: os.unlink({str(outside)!r}),
                        lambda: open(os.path.expanduser("~") + "/inside.txt", "w"),
                        lambda: socket.create_connection(("127.0.0.1", 22), timeout=2)):
            try:
                attempt()
                print("ok")
            except OSError as exc:
                print(type(exc).__name__, exc.errno)
    """)
    outcome = run(tmp_path, code)
    lines = Path(outcome.stdout_path).read_text().split("\n")
    assert lines[0] == lines[1] == "OSError 30"  # EROFS: outside the job's folder nothing is writable
    assert lines[2] == "ok"  # its own HOME is
    assert lines[3].startswith("OSError") and lines[3] != "OSError 111"  # unreachable, not merely refused
    assert outside.read_text() == "keep me"
    assert {"netns", "pidns", "fs-readonly", "no-caps"} <= set(outcome.layers)


@NEEDS_NAMESPACES
def test_root_inside_cannot_undo_the_read_only_mounts(tmp_path):
    """The command has no capabilities: remounting / read-write or mounting anything fails."""
    code = "import subprocess; print(subprocess.run(['mount', '-o', 'remount,rw', '/']).returncode)"
    outcome = run(tmp_path, code)
    assert Path(outcome.stdout_path).read_text().strip() not in ("", "0"), outcome.stderr_tail()
    assert "no-caps" in outcome.layers
