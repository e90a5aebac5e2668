"""Child processes of the in-lane runtime: waiting with a deadline, and measurements run in a
process of their own that hand back one JSON document.

``Popen.wait(timeout=...)`` polls, sleeping up to 50 ms between looks, so every child would cost up to
50 ms more than it ran: for a run that starts thousands of them (one per imported module, one per
stress batch) that is minutes. A timer that kills on the deadline lets ``wait()`` block instead.
"""

import json
import os
import subprocess
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


def run_json_child(cmd, out, timeout, what):
    """Run ``cmd``, a runtime module that writes one JSON document to the file ``out``: that document,
    or ``{"error": why}`` naming ``what`` ("the workload", "the measurement"). ``out`` is removed."""
    try:
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"error": "%s did not finish within %.0f s" % (what, timeout)}
        try:
            with open(out, encoding="utf-8") as f:
                return json.load(f)
        except (OSError, ValueError):
            last = (proc.stderr.strip().splitlines() or ["exit status %d" % proc.returncode])[-1]
            return {"error": "%s failed: %s" % (what, last[:300])}
    finally:
        if os.path.exists(out):
            os.unlink(out)
