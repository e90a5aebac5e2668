"""The layers that judge one invocation (crash and hang are judged by the coordinator, from outside).

In order: an exception the probe does not declare, or raised by invariant()/state() ->
``unexpected-exception``; a broken invariant -> ``invariant-broken``; results and final state not
explained by any sequential order consistent with real-time order -> ``corruption`` (or
``unexpected-exception`` when the odd result is a declared exception that no sequential order
raised there); a search that ran out of budget -> ``unknown``, which is never a pass.
"""

from dataclasses import dataclass

from ftlab_probes.runtime.stress import linearizability as lin

UNKNOWN = "unknown"


@dataclass(frozen=True)
class Judgement:
    kind: str  # a protocol signal kind, or UNKNOWN
    summary: str
    failing: tuple  # positions (history order) of the ops to mark in the table


class Judge:
    """Judges invocations of one scenario; remembers verdicts of histories it has already searched."""

    def __init__(self, target, scenario, budget=lin.DEFAULT_BUDGET):
        self.target = target
        self.scenario = scenario
        self.slots = scenario.slots()
        self.budget = budget
        self._verdicts = {}
        calls = [(s.call.name, s.call.args) for s in self.slots]

        def apply(obj, i):
            name, args = calls[i]
            return target.call(obj, name, args).key

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
        if raised:
            return Judgement(
                "unexpected-exception",
                "%s raised %s, which no sequential order of the same ops raises"
                % (self._label(raised[0]), outcomes[raised[0]].text),
                tuple(raised),
            )
        state = "; final state %s" % invocation.state_text if self.target.has_state else ""
        return Judgement(
            "corruption",
            "no sequential order explains these results: %s%s" % (results, state),
            stuck,
        )
