"""One invocation of a scenario: a fresh object, init ops, threads released together, post ops.

Threads are created once per scenario and reused for every invocation (creating them costs more
than a typical invocation); a start barrier lines them up, a done barrier collects them.
"""

import random
import sys
import threading
import time
from dataclasses import dataclass

from ftlab_probes.runtime.stress.scenario import PARALLEL
from ftlab_probes.runtime.stress.target import Outcome

#: Switch intervals tried in order; the first one the interpreter accepts is used. A GIL build hands
#: the GIL over only at eval-breaker points: 1 us makes Python-level races show in tens of runs
#: instead of thousands (STRESS-NOTES.md).
SWITCH_INTERVALS = (1e-6, 1e-5, 1e-4)

#: Probabilities of a ``time.sleep(0)`` before each parallel op, one picked per invocation, so the
#: same scenario is tried under several schedules (no yields most often: it races hardest).
YIELD_PROBABILITIES = (0.0, 0.0, 0.1, 0.3)

#: Probabilities of a preemption (``time.sleep(0)``) at each Python function call made inside a
#: parallel op, one picked per invocation. A GIL build switches threads at most every ~50 us in
#: practice (the 1 us interval is a timed wait, subject to the kernel's timer slack), longer than
#: a typical op: without preemption points inside ops, a check-then-act window in Python code is
#: almost never interrupted (measured: 0-1 lost ids in 5000 runs; with them, hundreds).
PREEMPT_PROBABILITIES = (0.0, 0.1, 0.3, 0.6)


def set_switch_interval():
    """Shortest switch interval the interpreter takes; returns it."""
    for interval in SWITCH_INTERVALS:
        try:
            sys.setswitchinterval(interval)
        except (ValueError, OSError):
            continue
        return sys.getswitchinterval()
    return sys.getswitchinterval()


@dataclass(frozen=True)
class Invocation:
    """What one invocation produced, in history order (init, threads, post)."""

    calls: tuple  # (call_ns, return_ns) per op
    outcomes: tuple  # Outcome per op
    state: object  # the probe's state key after the post part (None without a state)
    state_text: str
    invariant: object  # None, or (where, message) of the first broken invariant
    error: object  # None, or (where, Outcome) when invariant() or state() itself raised


class Invoker:
    """Runs one scenario again and again; close() when done."""

    def __init__(self, target, scenario):
        self.target = target
        self.scenario = scenario
        slots = scenario.slots()
        self._size = len(slots)
        self._init = [
            (p, target.method(s.call.name), s.call.args) for p, s in enumerate(slots) if s.part == "init"
        ]
        self._post = [
            (p, target.method(s.call.name), s.call.args) for p, s in enumerate(slots) if s.part == "post"
        ]
        per_thread = [[] for _ in scenario.threads]
        for p, s in enumerate(slots):
            if s.part == PARALLEL:
                per_thread[s.thread].append((p, target.method(s.call.name), s.call.args))
        self._per_thread = per_thread
        parties = len(per_thread) + 1
        self._start = threading.Barrier(parties)
        self._done = threading.Barrier(parties)
        self._closing = False
        self._preempt = [0.0]  # this invocation's preemption probability, read by every thread
        self._obj = None
        self._yields = None
        self._records = [None] * self._size
        self._threads = [
            threading.Thread(target=self._loop, args=(t,), name="ftlab-stress-%d" % t, daemon=True)
            for t in range(len(per_thread))
        ]
        for thread in self._threads:
            thread.start()

    def _loop(self, t):
        calls = self._per_thread[t]
        records = self._records
        clock = time.perf_counter_ns
        chance = random.Random(t).random
        preempt = self._preempt

        def preemption_point(frame, event, arg):
            if event == "call" and chance() < preempt[0]:
                time.sleep(0)

        failed = self.target.failed
        # With one thread in the parallel part nothing runs beside it: its results are read like
        # the sequential parts' (see target.comparable).
        concurrent = len(self._per_thread) > 1

        def returned(value):
            return Outcome.of_value(value, concurrent)

        while True:
            self._start.wait()
            if self._closing:
                return
            obj, yields = self._obj, self._yields[t]
            if preempt[0]:
                sys.setprofile(preemption_point)
            for k, (position, method, args) in enumerate(calls):
                if yields[k]:
                    time.sleep(0)
                began = clock()
                # The result is read here, in this thread, before the end time: read after the
                # invocation, a live view or an iterator would show a later state than the op saw.
                try:
                    outcome = returned(method(obj, *args))
                except BaseException as exc:  # a dying thread would deadlock the barrier
                    outcome = failed(exc)
                records[position] = (began, clock(), outcome)
            sys.setprofile(None)
            self._done.wait()

    def _sequential(self, obj, calls):
        clock = time.perf_counter_ns
        returned, failed = Outcome.of_value, self.target.failed
        for position, method, args in calls:
            began = clock()
            try:
                outcome = returned(method(obj, *args))
            except Exception as exc:
                outcome = failed(exc)
            self._records[position] = (began, clock(), outcome)

    def invoke(self, rng):
        """One invocation; ``rng`` (random.Random) picks this invocation's yields and preemptions."""
        target = self.target
        self._preempt[0] = rng.choice(PREEMPT_PROBABILITIES)
        p = rng.choice(YIELD_PROBABILITIES)
        self._yields = [[p > 0 and rng.random() < p for _ in calls] for calls in self._per_thread]
        obj = target.make()
        self._sequential(obj, self._init)
        problems = [self._invariant(obj, "after init")]
        self._obj = obj
        self._start.wait()
        self._done.wait()
        self._obj = None
        problems.append(self._invariant(obj, "after the parallel part"))
        self._sequential(obj, self._post)
        problems.append(self._invariant(obj, "after post"))
        first = next((found for found in problems if found is not None), None)
        broken = first[1:] if first and first[0] == "broken" else None
        error = first[1:] if first and first[0] == "error" else None
        state, state_text = None, ""
        if error is None:
            try:
                state, state_text = target.state_view(obj)
            except Exception as exc:
                error = ("state()", target.failed(exc))
        records = self._records
        calls = tuple((r[0], r[1]) for r in records)
        outcomes = tuple(r[2] for r in records)
        return Invocation(calls, outcomes, state, state_text, broken, error)

    def _invariant(self, obj, where):
        """None, ("broken", where, message) or ("error", where, Outcome) when invariant() raised."""
        try:
            message = self.target.broken_invariant(obj)
        except Exception as exc:
            return ("error", "invariant() " + where, self.target.failed(exc))
        return None if message is None else ("broken", where, message)

    def close(self):
        self._closing = True
        self._start.wait()
        for thread in self._threads:
            thread.join()
