"""Schedule strategies (execute.SCHEDULES) in-process on the host interpreter: pct and preempt open a
Python check-then-act window at a call into the subject, and every strategy leaves a correct
subject clean. No workers: the Invoker and the Judge as a worker uses them."""

from __future__ import annotations

import random
import threading
from collections import Counter

import pytest

from ftlab_probes.api import Probe, op
from ftlab_probes.runtime.stress.execute import SCHEDULES, Invoker
from ftlab_probes.runtime.stress.oracle import Judge
from ftlab_probes.runtime.stress.scenario import Call, Scenario
from ftlab_probes.runtime.stress.target import Target
from ftlab_probes.runtime.stress.worker import Chooser


class Tally:
    """A read-modify-write with one call into the subject inside the window."""

    def __init__(self):
        self.n = 0

    def bump(self):
        n = self.n
        self._audit(n)
        self.n = n + 1

    def _audit(self, n):
        return n >= 0


class LockedTally(Tally):
    def __init__(self):
        super().__init__()
        self._lock = threading.Lock()

    def bump(self):
        with self._lock:
            super().bump()


class TallyProbe(Probe):
    """bump() returns nothing: only the state shows a lost update."""

    def make(self):
        return Tally()

    @op()
    def bump(self, t):
        t.bump()

    def state(self, t):
        return t.n


class LockedTallyProbe(TallyProbe):
    def make(self):
        return LockedTally()


SCENARIO = Scenario((), ((Call("bump", ()),), (Call("bump", ()),)), ())
RUNS = 200


def failures(probe: str, schedule: str) -> Counter:
    target = Target(f"tests.unit.test_stress_schedules:{probe}")
    judge = Judge(target, SCENARIO)
    invoker = Invoker(target, SCENARIO)
    rng = random.Random(7)
    kinds: Counter = Counter()
    try:
        for _ in range(RUNS):
            judgement = judge.judge(invoker.invoke(rng, schedule))
            if judgement is not None:
                kinds[judgement.kind] += 1
    finally:
        invoker.close()
    return kinds


def test_pct_opens_the_window_at_a_call_into_the_subject():
    # Two threads; the change point falls on the call to _audit (one of the three calls into the
    # subject's module) in the higher-priority thread in about 1 of 6 invocations, and each such one
    # loses the update, on a GIL build as on a free-threaded one (measured: 17 of 200 on 3.11).
    assert failures("TallyProbe", "pct")["corruption"] >= RUNS // 20


def test_preempt_pauses_a_thread_inside_the_window():
    assert failures("TallyProbe", "preempt")["corruption"] >= 1


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_no_strategy_flags_the_locked_twin(schedule):
    # pct parks a thread holding the lock: the other waits on it, the park times out (bounded), no hang.
    assert failures("LockedTallyProbe", schedule) == Counter()


def test_a_strategy_that_fails_is_drawn_more_often():
    chooser = Chooser((("random", 1.0), ("pct", 1.0)))
    for _ in range(4):
        chooser.failed(1)
    rng = random.Random(3)
    picks = Counter(chooser.names[chooser.pick(rng)] for _ in range(1000))
    assert picks["pct"] > 0.8 * 1000
