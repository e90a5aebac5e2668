"""Waiting for a child with a deadline.

``Popen.wait(timeout=...)`` polls, sleeping up to 50 ms between looks, so every child would cost up to
50 ms more than it ran: for a run that starts thousands of them (one per imported module, one per
stress batch) that is minutes. A timer that kills on the deadline lets ``wait()`` block instead.
"""

import threading


def wait_or_kill(proc, timeout, kill):
    """Wait for ``proc``; at ``timeout`` seconds call ``kill(proc)`` and wait on. True when killed."""
    expired = threading.Event()

    def expire():
        expired.set()
        kill(proc)

    timer = threading.Timer(timeout, expire)
    timer.daemon = True
    timer.start()
    try:
        proc.wait()
    finally:
        timer.cancel()
    return expired.is_set()
