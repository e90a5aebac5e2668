"""The deadlock watcher (stress/deadlock.py) on real processes: a lock-order inversion is seen within
a second, while a sleeping, a spinning or a timed-waiting process never is."""

import subprocess
import sys
import textwrap
import time

import pytest

from ftlab_probes.runtime.stress import deadlock

pytestmark = pytest.mark.skipif(not deadlock.supported(), reason="needs Linux /proc on x86_64 or aarch64")

INVERSION = """
    import os, threading, time
    a, b = threading.Lock(), threading.Lock()
    def one():
        with a:
            time.sleep(0.05)
            with b: pass
    def two():
        with b:
            time.sleep(0.05)
            with a: pass
    ts = [threading.Thread(target=one), threading.Thread(target=two)]
    for t in ts: t.start()
    r, w = os.eventfd(0), None
    os.eventfd_read(r)   # the main thread waits on a doorbell, as the crew's does
"""

NOT_DEADLOCKED = {
    "sleeping": "import time; time.sleep(30)",
    "spinning": "while True: pass",
    "timed waits": """
        import threading
        lock = threading.Lock(); lock.acquire()
        t = threading.Thread(target=lambda: lock.acquire(timeout=30)); t.start()
        lock.acquire(timeout=30)
    """,
    "reading a pipe": """
        import os, threading
        lock = threading.Lock(); lock.acquire()
        threading.Thread(target=lock.acquire).start()
        r, w = os.pipe(); os.read(r, 1)   # another process could write: not a deadlock
    """,
}


def watch(source, seconds):
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(source)])
    try:
        watcher = deadlock.Watcher(proc.pid, time.monotonic)
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            if watcher.deadlocked():
                return time.monotonic() - started
            time.sleep(deadlock.POLL_S)
        return None
    finally:
        proc.kill()
        proc.wait()


def test_lock_order_inversion_is_seen_within_a_second():
    seen_after = watch(INVERSION, 5.0)
    assert seen_after is not None and seen_after < 1.5, seen_after


@pytest.mark.parametrize("name", sorted(NOT_DEADLOCKED))
def test_a_process_that_can_still_move_is_never_called_deadlocked(name):
    assert watch(NOT_DEADLOCKED[name], 1.5) is None
