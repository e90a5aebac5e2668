"""Which ftlab process owns a run: an advisory lock on a file in the run's artifacts folder.

The process executing a run holds the lock for as long as it runs; the kernel drops it when that
process dies, however it dies (`kill -9` included). So a run whose stored status is still `running`
but whose lock is free was interrupted and can be resumed, and two processes never execute one run
at once (two resumes of it, or a resume of a run another process is still executing).
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from ftlab.errors import UsageError

OWNER_FILE = "owner.lock"

#: `ftlab runs` probes a lock by taking it shared for an instant; a resume retries this long before it
#: concludes that another process owns the run.
ACQUIRE_RETRY_S = 2.0


class RunOwnership:
    """The held lock of one run; release it (or let the process end) when the run is done."""

    def __init__(self, fd: int, path: Path):
        self.fd = fd
        self.path = path

    def release(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> RunOwnership:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def acquire(run_dir: Path, run_id: str) -> RunOwnership:
    """Own the run, or raise UsageError naming the process that does."""
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / OWNER_FILE
    # O_CLOEXEC (Python's default): sandboxed children must not inherit, and so keep, the lock.
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + ACQUIRE_RETRY_S
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                pid = _read_pid(fd)
                os.close(fd)
                who = f"ftlab process {pid}" if pid else "another ftlab process"
                raise UsageError(f"run {run_id} is being executed by {who}; wait for it to finish "
                                 "(see 'ftlab runs') or stop that process, then resume") from None
            time.sleep(0.05)
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return RunOwnership(fd, path)


def owner(run_dir: Path | str) -> int | None:
    """The pid of the live process executing the run, or None when no process does."""
    try:
        fd = os.open(Path(run_dir) / OWNER_FILE, os.O_RDONLY)
    except OSError:
        return None  # never started here, or its artifacts are gone: nobody can be executing it
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return _read_pid(fd) or -1
    finally:
        os.close(fd)  # closing drops the shared lock, if taken
    return None


def effective_status(status: str, run_dir: Path | str) -> str:
    """The stored status, except that a `running` run with no live owner was interrupted."""
    if status == "running" and owner(run_dir) is None:
        return "interrupted"
    return status


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
