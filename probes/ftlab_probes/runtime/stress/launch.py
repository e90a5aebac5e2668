"""The coordinator's side of a worker: run a batch in a subprocess and say what happened.

The coordinator never runs tested code itself, so a segfault or a deadlock in a worker is a
result (``crash`` with the signal and faulthandler's text, ``hang`` with every thread's stack),
and the scenario in flight is known from the worker's events file.

A worker starts by importing the engine, hypothesis and the probe (about half a second on 2 idle
cores, seconds on a loaded machine), then waits for its batch. Within ``spare_workers()`` the next
batch's worker is started as soon as one is handed its batch, so those imports overlap the running
batch instead of adding to every one: a stress job runs a batch per search chunk, minimisation round,
confirmation and control.
"""

import contextlib
import json
import os
import pickle
import signal
import struct
import subprocess
import sys
import time
from dataclasses import dataclass

from ftlab_probes.runtime.children import wait_or_kill
from ftlab_probes.runtime.stress import deadlock, tsan
from ftlab_probes.runtime.stress.worker import BOOT

#: Time for a worker to start and import the probe (hypothesis alone takes ~0.4 s) before the
#: coordinator's own timeout counts against it.
STARTUP_S = 30.0
#: On a ThreadSanitizer build a worker starts and imports instrumented, and symbolises each race
#: report as it prints it: its startup allowance is this many times longer.
TSAN_SLOWDOWN = 5

#: Evidence kept from a dying worker's stderr: faulthandler's text sits at its end.
TRACE_CHARS = 20_000

DONE, CRASH, HANG = "done", "crash", "hang"

#: Seconds a dismissed spare worker gets to read its empty line and exit before it is killed.
DISMISS_S = 5.0

#: The spare worker of ``spare_workers()``: None outside it, else the started _Worker or None.
_SPARE = {"on": False, "worker": None}


class WorkerError(Exception):
    """The worker failed for a reason that is not a finding (probe import, make() raising, ...)."""


@dataclass(frozen=True)
class BatchResult:
    status: str  # DONE, CRASH or HANG
    summaries: dict  # scenario index -> {"runs", "counts", "first"} for the scenarios that finished
    in_flight: object  # index of the scenario running when the worker died, else None
    runs_in_flight: int  # its invocations completed before the death
    trace: str  # faulthandler's text (crash or hang)
    returncode: int
    switch_interval: object
    schedule_in_flight: str = "random"  # the schedule of the invocation running when the worker died
    stderr: str = ""  # the worker's stderr (capped), for ThreadSanitizer reports
    deadlocked: bool = False  # a HANG seen as a deadlock before the hang timeout (deadlock.py)

    def failure(self):
        """(index, summary) of the first finished scenario with a failure, else None."""
        for index in sorted(self.summaries):
            if self.summaries[index]["first"] is not None:
                return index, self.summaries[index]
        return None


@dataclass(frozen=True)
class Batch:
    """What a worker runs: the same settings for every scenario of the list."""

    probe: str
    scenarios: tuple
    invocations: int  # per scenario, at most
    scenario_s: float  # per scenario, at most
    batch_s: float  # no scenario starts after this long
    watch: tuple  # verdict kinds to keep (the first of them, with its table) and stop at
    stop_at_failure: bool
    hang_s: float
    seed: int
    check_budget: int
    #: (strategy, weight) pairs the worker draws each invocation's schedule from (execute.SCHEDULES).
    schedules: tuple = (("random", 1.0),)
    #: Gap of each scenario's first determinism check (oracle.CLOCK_STEP_S in a confirmation; 0: the
    #: short one), so a result that moves with a coarse clock is told from a race.
    clock_step_s: float = 0.0


class _Worker:
    """A started worker process waiting for its batch's path on stdin, and its files."""

    def __init__(self, probe, workdir):
        self.probe, self.workdir = probe, workdir
        tag = "%d-%d" % (os.getpid(), time.monotonic_ns())
        self.paths = {
            name: os.path.join(workdir, "%s.%s" % (tag, name))
            for name in ("batch", "events", "counter", "out", "err")
        }
        with open(self.paths["counter"], "wb") as f:
            f.write(b"\0" * 16)
        cmd = [sys.executable, "-X", "faulthandler", "-c", BOOT, json.dumps(sys.path), "-", probe]
        with open(self.paths["out"], "wb") as out, open(self.paths["err"], "wb") as err:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=out, stderr=err, start_new_session=True)

    def hand(self, line):
        """Give the worker its batch's path (or an empty line: nothing to do); False if it is gone."""
        try:
            self.proc.stdin.write(line.encode() + b"\n")
            self.proc.stdin.close()
        except (BrokenPipeError, OSError):  # it died while importing: its stderr says why
            return False
        return True

    def remove_files(self):
        for path in self.paths.values():
            try:
                os.unlink(path)
            except OSError:  # a worker killed before it opened its events file
                pass


@contextlib.contextmanager
def spare_workers():
    """Within: each batch's worker is started while the previous batch runs (see the module docstring)."""
    _SPARE["on"] = True
    try:
        yield
    finally:
        _SPARE["on"] = False
        spare, _SPARE["worker"] = _SPARE["worker"], None
        if spare is not None:
            spare.hand("")
            wait_or_kill(spare.proc, DISMISS_S, lambda p: os.killpg(p.pid, signal.SIGKILL))
            spare.remove_files()


def warm(probe, workdir):
    """Within ``spare_workers()``: start the first batch's worker now (it imports while the
    coordinator draws the first scenarios)."""
    if _SPARE["on"] and _SPARE["worker"] is None:
        _SPARE["worker"] = _Worker(probe, workdir)


def _worker(probe, workdir):
    """The spare worker when it fits this batch, else a new one; a new spare is started when on."""
    spare, _SPARE["worker"] = _SPARE["worker"], None
    if spare is not None and (spare.probe, spare.workdir) != (probe, workdir):
        spare.hand("")
        spare.proc.wait()
        spare.remove_files()
        spare = None
    worker = spare or _Worker(probe, workdir)
    if _SPARE["on"]:
        _SPARE["worker"] = _Worker(probe, workdir)
    return worker


def run_batch(batch, workdir):
    """Run ``batch`` in a fresh worker process; a BatchResult."""
    worker = _worker(batch.probe, workdir)
    paths, proc = worker.paths, worker.proc
    document = dict(
        vars(batch), scenarios=list(batch.scenarios), events=paths["events"], counter=paths["counter"]
    )
    with open(paths["batch"], "wb") as f:
        pickle.dump(document, f, protocol=4)
    limit = (
        STARTUP_S * (TSAN_SLOWDOWN if tsan.lane_is_tsan() else 1)
        + min(batch.batch_s, len(batch.scenarios) * batch.scenario_s)
        + batch.scenario_s
        + 2 * batch.hang_s
    )
    worker.hand(paths["batch"])
    ended, dump_at = _wait(proc, limit, paths["err"])
    killed = ended == "killed"
    returncode = proc.returncode
    summaries, in_flight, interval = _read_events(paths["events"])
    with open(paths["counter"], "rb") as f:
        runs_in_flight, schedule_index = struct.unpack("<qq", f.read(16))
    names = [name for name, _ in batch.schedules] or ["random"]
    in_flight_schedule = names[schedule_index] if 0 <= schedule_index < len(names) else names[0]
    stderr_tail = _tail(paths["err"])
    stderr_text = _head(paths["err"]) if tsan.MARKER_BYTES in _sniff(paths["err"]) else ""
    trace = DEADLOCK_HEADER + _stacks_after(paths["err"], dump_at) if ended == "deadlocked" else ""
    worker.remove_files()
    extra = {"schedule_in_flight": in_flight_schedule, "stderr": stderr_text}
    if ended == "deadlocked":
        return BatchResult(HANG, summaries, in_flight, runs_in_flight, trace, returncode, interval,
                           deadlocked=True, **extra)
    if (returncode == 0 or (returncode == tsan.EXIT_STATUS and stderr_text)) and not killed:
        return BatchResult(DONE, summaries, None, 0, "", 0, interval, **extra)
    if killed or (returncode == 1 and "Timeout (" in stderr_tail):
        trace = (
            _from_marker(stderr_tail, "Timeout (")
            if not killed
            else "killed after %.0f s without an answer" % limit
        )
        return BatchResult(HANG, summaries, in_flight, runs_in_flight, trace, returncode, interval, **extra)
    if returncode < 0:
        trace = _from_marker(stderr_tail, "Fatal Python error")
        return BatchResult(CRASH, summaries, in_flight, runs_in_flight, trace, returncode, interval, **extra)
    raise WorkerError("stress worker exited with status %d:\n%s" % (returncode, stderr_tail[-4000:]))


#: The first line of a deadlock's evidence, above the stacks faulthandler dumps.
DEADLOCK_HEADER = (
    "Deadlock: every thread of the worker waited on a lock, using no CPU, for %.2f s"
    " (ftlab asked the worker for these stacks, then stopped it)\n" % deadlock.CONFIRM_S
)


def _wait(proc, limit, err_path):
    """Wait for the worker: ("exited", None), ("killed", None) when it gave no answer within ``limit``
    seconds, or ("deadlocked", offset) when deadlock.Watcher saw it deadlocked: it was then asked for
    every thread's stack (written to its stderr from ``offset``) and killed."""
    def kill(p):
        os.killpg(p.pid, signal.SIGKILL)

    watcher = deadlock.Watcher(proc.pid, time.monotonic)
    if not watcher.enabled:
        return ("killed" if wait_or_kill(proc, limit, kill) else "exited"), None
    deadline = time.monotonic() + limit
    while True:
        try:
            proc.wait(timeout=min(deadlock.POLL_S, max(0.0, deadline - time.monotonic())))
            return "exited", None
        except subprocess.TimeoutExpired:
            pass
        if time.monotonic() >= deadline:
            kill(proc)
            proc.wait()
            return "killed", None
        if watcher.deadlocked():
            offset = os.path.getsize(err_path)
            os.kill(proc.pid, deadlock.STACKS_SIGNAL)
            _until_still(err_path, offset)
            kill(proc)
            proc.wait()
            return "deadlocked", offset


def _until_still(path, offset):
    """Wait (at most deadlock.DUMP_S) until the file has grown past ``offset`` and stopped growing."""
    give_up = time.monotonic() + deadlock.DUMP_S
    size, still_since = offset, time.monotonic()
    while time.monotonic() < give_up:
        time.sleep(deadlock.STILL_S / 4)
        now_size = os.path.getsize(path)
        if now_size != size:
            size, still_since = now_size, time.monotonic()
        elif size > offset and time.monotonic() - still_since >= deadlock.STILL_S:
            return


def _stacks_after(path, offset):
    """The stacks the worker wrote to its stderr from ``offset``."""
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read(TRACE_CHARS).decode("utf-8", "replace")


def _read_events(path):
    summaries, in_flight, interval = {}, None, None
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        lines = []
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:  # a line cut short by the death of the worker
            continue
        kind = event.pop("event")
        if kind == "ready":
            interval = event["switch_interval"]
        elif kind == "start":
            in_flight = event["i"]
        elif kind == "done":
            summaries[event.pop("i")] = event
            in_flight = None
    return summaries, in_flight, interval


def _sniff(path):
    """Whether the file holds a ThreadSanitizer report, read in blocks (stderr may be large)."""
    with open(path, "rb") as f:
        tail = b""
        while True:
            block = f.read(1 << 20)
            if not block:
                return b""
            if tsan.MARKER_BYTES in tail + block:
                return tsan.MARKER_BYTES
            tail = block[-len(tsan.MARKER_BYTES):]


def _head(path):
    with open(path, "rb") as f:
        return f.read(tsan.STDERR_CHARS).decode("utf-8", "replace")


def _tail(path):
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        f.seek(max(0, f.tell() - TRACE_CHARS))
        return f.read().decode("utf-8", "replace")


def _from_marker(text, marker):
    at = text.rfind(marker)
    return text[at:] if at >= 0 else text
