"""The layers that judge one invocation (crash and hang are judged by the coordinator, from outside).

In order: an exception the probe does not declare, or raised by invariant()/state() ->
``unexpected-exception``; a broken invariant -> ``invariant-broken``; results and final state not
explained by any sequential order consistent with real-time order -> ``corruption`` (or
``unexpected-exception`` when the odd result is a declared exception that no sequential order
raised there); a search that ran out of budget -> ``unknown``, which is never a pass.

A history no sequential order explains is replayed twice more in one order (the order the ops were
called in), each time on a fresh object: when the two replays differ, the subject is not
deterministic (the clock, randomness, the environment) and the verdict says so
(``Judgement.nondeterministic``): the difference need not come from concurrency, so it is never
evidence of a race on its own (numexpr's ``re_evaluate()``, pendulum's ``Time.diff()`` without an
argument, which compares with the current time).
"""

import time
from dataclasses import dataclass

from ftlab_probes.runtime.stress import linearizability as lin

UNKNOWN = "unknown"

#: Counted beside a failure's kind when its judgement is ``nondeterministic`` (worker summaries).
NONDETERMINISTIC = "nondeterministic"

#: Pause between the two replays of the determinism check: a clock with microsecond or millisecond
#: resolution moves across it, so an op that reads the time differs between them.
REPLAY_GAP_S = 0.002
#: The first determinism check of a scenario in a finding's confirmation waits this long between its
#: replays (launch.Batch.clock_step_s): a result read from a clock of one-second resolution
#: (pendulum's ``Time.diff()`` shows whole seconds) moves across it, where REPLAY_GAP_S almost never
#: sees it (measured: ``diff() | diff()`` "confirmed" in 2 of 1000 runs on 3.14, each a second
#: ticking between a run and its replay).
CLOCK_STEP_S = 1.1
#: Determinism checks of one order of one scenario that came out equal before the order counts as
#: deterministic for the rest of the Judge's life: a racy scenario fails in up to a third of its
#: invocations, and a check per failure (two replays and the gap) made confirming a 25% race 4x slower.
DETERMINISM_CHECKS = 3


@dataclass(frozen=True)
class Judgement:
    kind: str  # a protocol signal kind, or UNKNOWN
    summary: str
    failing: tuple  # positions (history order) of the ops to mark in the table
    #: The sequential replay of one order differed from itself: not evidence of a race on its own.
    nondeterministic: bool = False


class Judge:
    """Judges invocations of one scenario; remembers verdicts of histories it has already searched."""

    def __init__(self, target, scenario, budget=lin.DEFAULT_BUDGET, clock_step_s=0.0):
        self.target = target
        #: Once a replay differed from itself the scenario is nondeterministic: every later violation
        #: says so too. ``clock_step_s`` (0: none) is the gap of the first check (CLOCK_STEP_S).
        self.nondeterministic = False
        self._clock_step_s = clock_step_s
        self.scenario = scenario
        self.slots = scenario.slots()
        self.budget = budget
        self._verdicts = {}
        self._equal_replays = {}  # order -> determinism checks that came out equal
        calls = [(s.call.name, s.call.args) for s in self.slots]

        def apply(obj, i):
            name, args = calls[i]
            return target.call(obj, name, args).key

        self._apply = apply
        # An auto-probe's state is a few readers, not the whole object (see ReplayModel).
        complete = not getattr(target.cls, "auto_probe", False)
        self.model = lin.ReplayModel(target.make, apply, target.state_key, target.has_state, complete)

    def _label(self, position):
        slot = self.slots[position]
        where = "t%d" % slot.thread if slot.part == "parallel" else slot.part
        return "%s %s" % (where, slot.call.text(brief=True))

    def judge(self, invocation):
        """None when the invocation is explained, else a Judgement."""
        if invocation.error is not None:
            where, outcome = invocation.error
            return Judgement("unexpected-exception", "%s raised %s" % (where, outcome.text), ())
        for position, outcome in enumerate(invocation.outcomes):
            if outcome.raised and not outcome.declared:
                return Judgement(
                    "unexpected-exception",
                    "%s raised %s, which the probe does not declare in raises"
                    % (self._label(position), outcome.text),
                    (position,),
                )
        if invocation.invariant is not None:
            where, message = invocation.invariant
            return Judgement("invariant-broken", "invariant broken %s: %s" % (where, message), ())
        return self._linearizability(invocation)

    def _linearizability(self, invocation):
        calls, outcomes = invocation.calls, invocation.outcomes
        n = len(outcomes)
        precedence = frozenset(
            (i, j) for i in range(n) for j in range(n) if i != j and calls[i][1] < calls[j][0]
        )
        keys = tuple(o.key for o in outcomes)
        cache_key = (keys, invocation.state, precedence)
        verdict = self._verdicts.get(cache_key)
        if verdict is None:
            history = [lin.Op(c[0], c[1], k) for c, k in zip(calls, keys, strict=True)]
            verdict = lin.check(history, self.model, invocation.state, self.budget)
            self._verdicts[cache_key] = verdict
        if verdict.status == lin.LINEARIZABLE:
            return None
        if verdict.status == lin.UNKNOWN:
            return Judgement(
                UNKNOWN, "linearizability search ran out of budget (%d steps)" % verdict.steps, ()
            )
        stuck = verdict.stuck
        raised = [i for i in stuck if outcomes[i].raised and keys[i] not in verdict.produced[i]]
        results = ", ".join("%s: %s" % (self._label(i), outcomes[i].text) for i in range(n))
        nondeterministic = self._replays_differ(sorted(range(n), key=lambda i: calls[i][0]))
        why = (" (its sequential replay in one order differs from itself: the clock, randomness or the "
               "environment, not concurrency)") if nondeterministic else ""
        if raised:
            return Judgement(
                "unexpected-exception",
                "%s raised %s, which no sequential order of the same ops raises%s"
                % (self._label(raised[0]), outcomes[raised[0]].text, why),
                tuple(raised),
                nondeterministic,
            )
        state = "; final state %s" % invocation.state_text if self.target.has_state else ""
        return Judgement(
            "corruption",
            "no sequential order explains these results: %s%s%s" % (results, state, why),
            stuck,
            nondeterministic,
        )

    def _replays_differ(self, order):
        """Whether two sequential replays of ``order``, each on a fresh object, disagree (an order
        found equal DETERMINISM_CHECKS times is not checked again; a scenario found nondeterministic
        once stays so)."""
        if self.nondeterministic:
            return True
        order = tuple(order)
        equal = self._equal_replays.get(order, 0)
        if equal >= DETERMINISM_CHECKS:
            return False
        first = self._replay(order)
        gap, self._clock_step_s = max(REPLAY_GAP_S, self._clock_step_s), 0.0
        time.sleep(gap)
        if self._replay(order) != first:
            self.nondeterministic = True
            return True
        self._equal_replays[order] = equal + 1
        return False

    def _replay(self, order):
        obj = self.target.make()
        keys = tuple(self._apply(obj, i) for i in order)
        return keys, (self.target.state_key(obj) if self.target.has_state else None)
