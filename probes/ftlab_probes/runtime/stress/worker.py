"""The worker subprocess: runs a batch of scenarios, many invocations each, under a hang watchdog.

Started by ``launch`` as ``sys.executable -X faulthandler -c BOOT SYS_PATH - PROBE``: it imports the
engine, hypothesis and the probe's module, then reads the path of its batch from stdin (``boot``), so
a coordinator can start the next worker while the current one runs (launch.spare_workers). The batch
is a pickle (the same interpreter reads it). Progress goes to an events file, one JSON line per event,
flushed, so the coordinator knows which scenario was in flight when the process died; the number of
invocations of the current scenario is kept in an 8-byte memory-mapped counter file, which survives
a segfault. Tested code may print anything: stdout and stderr are never parsed, except for the
faulthandler text that is kept as evidence.
"""

import faulthandler
import importlib
import json
import mmap
import pickle
import random
import struct
import sys
import time

from ftlab_probes.runtime.stress import deadlock, tsan
from ftlab_probes.runtime.stress.execute import Invoker, set_switch_interval
from ftlab_probes.runtime.stress.oracle import NONDETERMINISTIC, Judge
from ftlab_probes.runtime.stress.scenario import table
from ftlab_probes.runtime.stress.target import Target

#: The command line that starts a worker: put the coordinator's sys.path in place, then boot().
BOOT = (
    "import sys, json; sys.path[:] = json.loads(sys.argv[1]); "
    "from ftlab_probes.runtime.stress.worker import boot; boot(sys.argv[2:])"
)


def boot(args):
    """``[BATCH_PATH]``: run that batch. ``["-", PROBE]``: import the probe's module first, then read
    the batch's path from stdin and run it; an empty line (the coordinator is done) ends the worker."""
    if args[0] != "-":
        return main(args[0])
    try:
        importlib.import_module(args[1].partition(":")[0])
    except ImportError:
        pass  # main() names it with its reason (target.load_probe_class) once the batch arrives
    path = sys.stdin.readline().strip()
    return main(path) if path else None


class Watchdog:
    """faulthandler's dump_traceback_later, re-armed cheaply.

    Arming costs a thread start (~40 us, as much as a small invocation), so it is re-armed only when
    a quarter of the timeout has passed: anything stuck for ``hang_s`` (at least 3/4 of it since
    the last arm) dumps every thread's stack to stderr and exits the process with status 1.
    """

    def __init__(self, hang_s):
        self.hang_s = hang_s
        self._armed_at = None

    def arm(self):
        now = time.monotonic()
        if self._armed_at is None or now - self._armed_at > self.hang_s / 4:
            faulthandler.dump_traceback_later(self.hang_s, exit=True)
            self._armed_at = now

    def cancel(self):
        faulthandler.cancel_dump_traceback_later()
        self._armed_at = None


class Counter:
    """Two ints in a shared file mapping (invocations of the scenario in flight, the index of the
    schedule running): still readable by the coordinator after a crash."""

    def __init__(self, path):
        self._file = open(path, "r+b")  # noqa: SIM115 - lives as long as the worker
        self._map = mmap.mmap(self._file.fileno(), 16)

    def set(self, value, schedule=0):
        struct.pack_into("<qq", self._map, 0, value, schedule)


class Chooser:
    """Draws each invocation's schedule from the batch's weighted strategies; a strategy that finds a
    failure is drawn more often for the rest of the worker's life (adaptive, per subject)."""

    #: Weight multiplier of a strategy each time one of its invocations fails.
    BOOST = 2.0

    def __init__(self, schedules):
        pairs = list(schedules) or [("random", 1.0)]
        self.names = [name for name, _ in pairs]
        self.weights = [max(float(w), 1e-3) for _, w in pairs]

    def pick(self, rng):
        if len(self.names) == 1:
            return 0
        return rng.choices(range(len(self.names)), self.weights)[0]

    def failed(self, index):
        self.weights[index] *= self.BOOST


def run_scenario(target, scenario, batch, rng, watchdog, counter, chooser=None):
    """Invoke one scenario until its invocation or time cap; a summary dict.

    Every verdict is counted; the first one of a watched kind is kept with its table, and ends the
    scenario when the batch says to stop at a failure.
    """
    judge = Judge(target, scenario, batch["check_budget"], batch.get("clock_step_s", 0.0))
    watchdog.arm()
    invoker = Invoker(target, scenario)
    deadline = time.monotonic() + batch["scenario_s"]
    chooser = chooser or Chooser(batch.get("schedules") or ())
    runs = 0
    counts = {}
    per_schedule = {}  # name -> [invocations, failures of a watched kind]
    first = None
    try:
        while runs < batch["invocations"]:
            watchdog.arm()
            index = chooser.pick(rng)
            schedule = chooser.names[index]
            counter.set(runs, index)
            invocation = invoker.invoke(rng, schedule)
            runs += 1
            counter.set(runs, index)
            stats = per_schedule.setdefault(schedule, [0, 0])
            stats[0] += 1
            watchdog.arm()
            judgement = judge.judge(invocation)
            if judgement is not None:
                counts[judgement.kind] = counts.get(judgement.kind, 0) + 1
                if judgement.nondeterministic:
                    counts[NONDETERMINISTIC] = counts.get(NONDETERMINISTIC, 0) + 1
                if judgement.kind in batch["watch"]:
                    stats[1] += 1
                    chooser.failed(index)
                if first is None and judgement.kind in batch["watch"]:
                    first = {
                        "kind": judgement.kind,
                        "summary": judgement.summary,
                        "table": table(scenario, invocation.outcomes, judgement.failing),
                        "invocation": runs,
                        "schedule": schedule,
                        "nondeterministic": judgement.nondeterministic,
                    }
                    if batch["stop_at_failure"]:
                        break
            if time.monotonic() > deadline:
                break
    finally:
        watchdog.arm()
        invoker.close()
    return {"runs": runs, "counts": counts, "first": first, "schedules": per_schedule}


def main(batch_path):
    with open(batch_path, "rb") as f:
        batch = pickle.load(f)
    # The coordinator's deadlock watcher asks for every thread's stack with this signal (deadlock.py);
    # unlike the fatal-signal handler, a registered one dumps all threads on a free-threaded build.
    faulthandler.register(deadlock.STACKS_SIGNAL, all_threads=True, chain=False)
    interval = set_switch_interval()
    target = Target(batch["probe"])
    counter = Counter(batch["counter"])
    watchdog = Watchdog(batch["hang_s"])
    rng = random.Random(batch["seed"])
    chooser = Chooser(batch.get("schedules") or ())
    stop_at = time.monotonic() + batch["batch_s"]
    with open(batch["events"], "a", encoding="utf-8") as events:

        def emit(**event):
            events.write(json.dumps(event) + "\n")
            events.flush()

        emit(event="ready", switch_interval=interval)
        for i, scenario in enumerate(batch["scenarios"]):
            counter.set(0)
            emit(event="start", i=i)
            # Marks the scenario in the worker's stderr, so a ThreadSanitizer report is attributed to it.
            sys.stderr.write("%s%d\n" % (tsan.SCENARIO_MARK, i))
            sys.stderr.flush()
            summary = run_scenario(target, scenario, batch, rng, watchdog, counter, chooser)
            emit(event="done", i=i, **summary)
            if (summary["first"] is not None and batch["stop_at_failure"]) or time.monotonic() > stop_at:
                break
    watchdog.cancel()
