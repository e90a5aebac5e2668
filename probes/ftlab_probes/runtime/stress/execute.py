"""One invocation of a scenario: a fresh object, init ops, threads released together, post ops.

Worker threads are a crew kept for the life of the process (``Crew``): started once, reused by
every scenario and invocation. Each invocation rings every crew member's doorbell (an eventfd, a
kernel wake-up that a free-threaded build does not spin on) and waits on a shared one for them to
finish; the members then line up, yielding while they wait (bounded), so their first ops start
together. This replaced a thread start per scenario and a
``threading.Barrier`` pair per invocation: measured with benchmarks/stress_harness.py on 3.14.7t, the
barrier pair alone cost 380-1070 us per invocation on a loaded 2-core machine, 2.5-5x the 3.14 GIL
build's (a Barrier is a condition over locks, and a free-threaded lock spins before it parks).

Each invocation runs under one schedule strategy (``SCHEDULES``), picked by the worker:

- ``random``: random ``time.sleep(0)`` yields before ops and preemptions at calls into the subject,
  their probabilities drawn per invocation (the engine's first strategy);
- ``preempt``: preemption bounded at calls into the subject (CHESS's idea): one thread is delayed
  once, at its k-th call into the subject's Python code (k drawn from what that thread made in the
  previous invocation), for a drawn pause while the others run on;
- ``pct``: PCT-style priorities (Burckhardt et al.): threads start in a drawn priority order, each
  waiting until the threads above it have finished or parked; one change point (a thread's k-th
  call into the subject) parks that thread until every other thread has finished or parked. Two
  threads give ``A until its k-th call | all of B | rest of A``: the check-then-act window
  opened exactly once. Every wait is bounded (``PCT_WAIT_S``), so a subject lock held across a
  park never turns into a hang.

Calls into the subject are seen through ``sys.monitoring`` (3.12+: code outside the subject is
disabled after its first call, so the cost stays in the subject) or ``sys.setprofile`` on older
lanes.
"""

import os
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

#: Schedule strategies, in the order results list them (see the module docstring).
SCHEDULES = ("random", "preempt", "pct")

#: Pauses of the ``preempt`` strategy, one drawn per invocation: a yield, then pauses long enough
#: for another thread to run a whole small op even under contention.
PREEMPT_PAUSES_S = (0.0, 2e-5, 1e-4, 5e-4)

#: Longest wait of a ``pct`` thread for the threads above it (or for the others, when parked): the
#: bound that keeps a lock held across a park from becoming a hang. A small op finishes well within
#: it on a loaded machine; the hang timeout (seconds) is far above a few of them.
PCT_WAIT_S = 0.02

#: Calls into the subject assumed for a thread before its first invocation under a strategy.
DEFAULT_POINTS = 4

#: sys.monitoring tool ids tried for the calls-into-the-subject hook (3 and 4 are unassigned by
#: CPython; 5 is the optimizer's, free in practice).
MONITORING_TOOLS = (3, 4, 5)


class _ThreadPlan:
    """One worker thread's part of an invocation's schedule, and its count of calls into the subject."""

    __slots__ = ("chance", "count", "mode", "park", "pause", "preempt", "stop_at")

    def __init__(self, chance):
        self.chance = chance
        self.reset("random", 0.0, 0, 0.0, None)

    def reset(self, mode, preempt, stop_at, pause, park):
        self.mode = mode
        self.preempt = preempt
        self.stop_at = stop_at
        self.pause = pause
        self.park = park
        self.count = 0

    def point(self):
        """A call into the subject by this thread."""
        self.count += 1
        if self.preempt and self.chance() < self.preempt:
            time.sleep(0)
        if self.count == self.stop_at:
            if self.park is not None:
                self.park()
            else:
                time.sleep(self.pause)


#: Worker thread ident -> its _ThreadPlan (read by the hook, on every thread).
_PLANS = {}
_HOOK = {"installed": None}


def _subject_code(prefixes):
    """A predicate on code objects: is this the subject's code (not the engine's, not the stdlib's)?"""
    import sysconfig

    stdlib = tuple(p for p in {sysconfig.get_paths().get("stdlib"), sysconfig.get_paths().get("platstdlib")} if p)
    engine = __file__.rsplit("runtime", 1)[0]  # the ftlab_probes package: the engine and the probe API

    def is_subject(code):
        filename = code.co_filename
        if prefixes:
            return any(("/%s/" % p) in filename or filename.endswith("/%s.py" % p) for p in prefixes)
        return not (filename.startswith(stdlib) or filename.startswith(engine) or filename.startswith("<"))

    return is_subject


def _free_tool(monitoring):
    for tool in MONITORING_TOOLS:
        try:
            monitoring.use_tool_id(tool, "ftlab-stress")
        except ValueError:
            continue
        return tool
    return None


def install_hook(prefixes):
    """Route calls into the subject to the calling worker thread's plan; once per process. Returns
    how ("monitoring", "profile") or None when neither is available."""
    if _HOOK["installed"] is not None:
        return _HOOK["installed"]
    is_subject = _subject_code(prefixes)
    get_ident = threading.get_ident
    monitoring = getattr(sys, "monitoring", None)
    if monitoring is not None:
        tool = _free_tool(monitoring)
        if tool is not None:
            disable = monitoring.DISABLE
            known = {}

            def on_start(code, offset):
                subject = known.get(code)
                if subject is None:
                    subject = known[code] = is_subject(code)
                if not subject:
                    return disable
                plan = _PLANS.get(get_ident())
                if plan is not None:
                    plan.point()
                return None

            monitoring.register_callback(tool, monitoring.events.PY_START, on_start)
            monitoring.set_events(tool, monitoring.events.PY_START)
            _HOOK["installed"] = "monitoring"
            return "monitoring"
    known = {}

    def on_call(frame, event, arg):
        if event == "call":
            code = frame.f_code
            subject = known.get(code)
            if subject is None:
                subject = known[code] = is_subject(code)
            if subject:
                plan = _PLANS.get(get_ident())
                if plan is not None:
                    plan.point()

    _HOOK["installed"] = "profile"
    _HOOK["profile"] = on_call
    return "profile"


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


#: Yields (``time.sleep(0)``) of a crew member waiting for the others to arrive before its first
#: op, at most. Waking a member takes tens of microseconds, longer than a small op, so without lining
#: up the first member is often done before the second starts (on a GIL build the yield also hands
#: the GIL to the late member): measured, the calibration counter's minimal scenario failed in 4 of
#: 1000 runs on 3.14 without it, about 200 with it. A yield, not a busy spin: on a loaded 2-core
#: machine a busy spin of 5,000 kept the late member off the CPU it needed (invocations 5.6x slower
#: than 3.14 instead of 1.8x).
ALIGN_SPINS = 50
#: ...and past those, yields for as long as this while a member has still not arrived: on a loaded
#: machine a woken member can wait milliseconds for a core, and a member that starts after the other
#: finished races nothing (the calibration deadlock's repro then missed 3 runs of 3 under a test
#: suite's load). Members that arrive together never reach it.
ALIGN_WAIT_S = 0.005



class _Doorbell:
    """A wake-up through the kernel: ``ring(n)`` adds n, ``wait()`` blocks until there is something
    and returns how much (an eventfd on Linux, else a pipe, a byte per ring).

    Not a ``threading.Lock``: a free-threaded build's lock spins up to 40 ``sched_yield()`` calls
    before it parks a waiter, and on a loaded machine each yield hands the core to another process.
    Measured on 2 busy cores, a release/acquire round trip to two threads took 263 us on 3.14.7t and
    66 us on 3.14.10; through an eventfd or a pipe, 20 us on both.
    """

    __slots__ = ("_r", "_w", "ring", "wait")

    def __init__(self):
        if hasattr(os, "eventfd"):
            fd = self._r = self._w = os.eventfd(0)
            self.ring = lambda n=1: os.eventfd_write(fd, n)
            self.wait = lambda: os.eventfd_read(fd)
        else:
            r, w = self._r, self._w = os.pipe()
            self.ring = lambda n=1: os.write(w, b"x" * n)
            self.wait = lambda: len(os.read(r, 64))

    def close(self):
        for fd in {self._r, self._w}:
            os.close(fd)


class _Member:
    """One crew thread: waits for ``go``, runs ``job()``, rings ``done``; ``job`` None ends it."""

    __slots__ = ("done", "go", "ident", "job", "thread")

    def __init__(self, number, done):
        self.go = _Doorbell()
        self.done = done
        self.job = None
        self.thread = threading.Thread(target=self._loop, name="ftlab-stress-%d" % number, daemon=True)
        self.thread.start()
        self.ident = self.thread.ident

    def _loop(self):
        go, done = self.go, self.done
        while True:
            go.wait()
            job = self.job
            if job is None:
                done.ring()
                return
            try:
                job()
            finally:  # a member that never reports back would hang the invoker
                done.ring()


class Crew:
    """Worker threads started once per process and reused by every Invoker (see the module docstring)."""

    def __init__(self):
        self._members = []
        self._done = None

    def hire(self, n):
        """The first ``n`` members, started when missing."""
        if self._done is None:
            self._done = _Doorbell()
        while len(self._members) < n:
            self._members.append(_Member(len(self._members), self._done))
        return self._members[:n]

    def run(self, members, jobs):
        """Run ``jobs[i]`` on ``members[i]``, released together; returns when every one is done. The
        calling thread only waits: every parallel op runs off it, as the sequential replays run on
        it, so a result that depends on the calling thread (thread-locals, main-thread-only APIs)
        never matches its replay by chance and the sequential control tells it from a race."""
        for member, job in zip(members, jobs, strict=True):
            member.job = job
        for member in members:
            member.go.ring()
        finished, wait = 0, self._done.wait
        while finished < len(members):
            finished += wait()

    def dismiss(self):
        """End every member (tests and tools that count threads)."""
        members, self._members = self._members, []
        for member in members:
            member.job = None
            member.go.ring()
        for member in members:
            member.thread.join()
            member.go.close()
        if self._done is not None:
            self._done.close()
            self._done = None


#: The process's crew: the engine runs one invocation at a time per process.
CREW = Crew()


class Invoker:
    """Runs one scenario again and again; close() when done."""

    def __init__(self, target, scenario):
        self.target = target
        self.scenario = scenario
        self.hook = install_hook(target.subject_modules())
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
        self._obj = None
        self._yields = None
        self._records = [None] * self._size
        n = len(per_thread)
        self._plans = [_ThreadPlan(random.Random(t).random) for t in range(n)]
        #: Calls into the subject each thread made in the last invocation under each strategy.
        self._points = {name: [DEFAULT_POINTS] * n for name in SCHEDULES}
        self.schedule = "random"
        # pct: who has finished its parallel part or is parked, the priority order, and their condition.
        self._cv = threading.Condition()
        self._finished = [False] * n
        self._parked = [False] * n
        self._rank = list(range(n))
        #: Lining up (free-threaded builds): a flag per thread, set when it is ready for its first op;
        #: no counter, so no read-modify-write shared between threads.
        self._arrived = [False] * n
        self._align = False
        self._members = CREW.hire(n)
        for member, plan in zip(self._members, self._plans, strict=True):
            _PLANS[member.ident] = plan
        self._jobs = [self._part_runner(t) for t in range(n)]

    def _part_runner(self, t):
        """The job crew member ``t`` runs each invocation: its parallel part."""
        calls = self._per_thread[t]
        records = self._records
        clock = time.perf_counter_ns
        plan = self._plans[t]
        profile = _HOOK.get("profile")
        failed = self.target.failed
        arrived = self._arrived
        sleep = time.sleep
        # With one thread in the parallel part nothing runs beside it: its results are read like
        # the sequential parts' (see target.comparable).
        concurrent = len(self._per_thread) > 1

        def returned(value):
            return Outcome.of_value(value, concurrent)

        def part():
            obj, yields = self._obj, self._yields[t]
            if profile is not None and (plan.preempt or plan.stop_at):
                sys.setprofile(profile)
            if self._align:
                arrived[t] = True
                spins = 0
                while spins < ALIGN_SPINS and not all(arrived):
                    spins += 1
                    sleep(0)
                if not all(arrived):
                    late = time.monotonic() + ALIGN_WAIT_S
                    while not all(arrived) and time.monotonic() < late:
                        sleep(0)
            if plan.mode == "pct":
                self._wait_for_higher(t)
            for k, (position, method, args) in enumerate(calls):
                if yields[k]:
                    time.sleep(0)
                if k and plan.stop_at:  # an op boundary is a point too (C subjects have no other)
                    plan.point()
                began = clock()
                # The result is read here, in this thread, before the end time: read after the
                # invocation, a live view or an iterator would show a later state than the op saw.
                try:
                    outcome = returned(method(obj, *args))
                except BaseException as exc:  # a dying thread would leave the invoker waiting
                    outcome = failed(exc)
                records[position] = (began, clock(), outcome)
            if profile is not None:
                sys.setprofile(None)
            if plan.mode == "pct":
                with self._cv:
                    self._finished[t] = True
                    self._cv.notify_all()

        return part

    def _wait_for_higher(self, t):
        """pct: wait (bounded) until every thread ranked above ``t`` has finished or parked."""
        above = self._rank[: self._rank.index(t)]
        if not above:
            return
        with self._cv:
            self._cv.wait_for(lambda: all(self._finished[u] or self._parked[u] for u in above), PCT_WAIT_S)

    def _park(self, t):
        """pct's change point: ``t`` drops to the lowest priority and waits (bounded) for the others."""
        others = [u for u in range(len(self._plans)) if u != t]
        with self._cv:
            self._parked[t] = True
            self._cv.notify_all()
            self._cv.wait_for(lambda: all(self._finished[u] or self._parked[u] for u in others), PCT_WAIT_S)
            self._parked[t] = False

    def _plan(self, rng, schedule):
        """Draw this invocation's schedule into the threads' plans."""
        n = len(self._plans)
        for plan in self._plans:
            plan.reset(schedule, 0.0, 0, 0.0, None)
        if schedule == "random" or not n:  # no parallel part (a sequential control): nothing to schedule
            preempt = rng.choice(PREEMPT_PROBABILITIES)
            for plan in self._plans:
                plan.preempt = preempt
            p = rng.choice(YIELD_PROBABILITIES)
            self._yields = [[p > 0 and rng.random() < p for _ in calls] for calls in self._per_thread]
            return
        self._yields = [[False] * len(calls) for calls in self._per_thread]
        chosen = rng.randrange(n)
        plan = self._plans[chosen]
        plan.stop_at = rng.randint(1, max(1, self._points[schedule][chosen]))
        if schedule == "preempt":
            plan.pause = rng.choice(PREEMPT_PAUSES_S)
        else:  # pct
            rng.shuffle(self._rank)
            self._finished = [False] * n
            self._parked = [False] * n
            plan.park = lambda: self._park(chosen)

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

    def invoke(self, rng, schedule="random"):
        """One invocation under ``schedule`` (one of SCHEDULES); ``rng`` (random.Random) draws its
        yields, preemptions, priorities and change point."""
        target = self.target
        self.schedule = schedule
        self._plan(rng, schedule)
        obj = target.make()
        self._sequential(obj, self._init)
        problems = [self._invariant(obj, "after init")]
        self._obj = obj
        if self._jobs:
            self._arrived[:] = [False] * len(self._jobs)
            self._align = len(self._jobs) > 1
            CREW.run(self._members, self._jobs)
        self._obj = None
        if schedule != "random":
            self._points[schedule] = [max(1, plan.count) for plan in self._plans]
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
        """Forget this scenario's plans; the crew stays for the next scenario."""
        for member, plan in zip(self._members, self._plans, strict=True):
            if _PLANS.get(member.ident) is plan:
                del _PLANS[member.ident]
        self._members, self._jobs = [], []
