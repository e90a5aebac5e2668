"""The linearizability checker on hand-made histories, with a counter as the sequential model."""

from ftlab_probes.runtime.stress import linearizability as lin


class CounterModel:
    """A sequential counter: every op is ``("add", n)`` returning the new value, or ``("get",)``."""

    def __init__(self, ops, has_state=True):
        self.ops = ops
        self.has_state = has_state
        self.applied = 0

    def step(self, prefix, i):
        value = 0
        for j in (*prefix, i):
            if self.ops[j][0] == "add":
                value += self.ops[j][1]
        self.applied += len(prefix) + 1
        result = value if self.ops[i][0] == "add" or self.ops[i][0] == "get" else None
        return ("ok", result), (value if self.has_state else None)


def history(*entries):
    """``(call, ret, op, result)`` tuples -> (Op list, model ops)."""
    ops = [lin.Op(call, ret, ("ok", result)) for call, ret, _, result in entries]
    return ops, [op for _, _, op, _ in entries]


def test_lost_update_is_rejected():
    # Two overlapping add(1) both answering 1, final value 1: no sequential order gives that.
    ops, model_ops = history((0, 10, ("add", 1), 1), (1, 11, ("add", 1), 1))
    verdict = lin.check(ops, CounterModel(model_ops), final_state=1)
    assert verdict.status == lin.VIOLATION
    assert verdict.stuck  # the op no order could place is named


def test_overlapping_adds_in_either_order_are_accepted():
    ops, model_ops = history((0, 10, ("add", 1), 2), (1, 11, ("add", 1), 1))
    verdict = lin.check(ops, CounterModel(model_ops), final_state=2)
    assert verdict.status == lin.LINEARIZABLE
    assert verdict.order == (1, 0)


def test_real_time_order_is_respected():
    # add(1) returned before get() was called, so get() must see it: 0 is not explainable...
    ops, model_ops = history((0, 5, ("add", 1), 1), (6, 9, ("get",), 0))
    assert lin.check(ops, CounterModel(model_ops), final_state=1).status == lin.VIOLATION
    # ...but when the two overlap, get() may come first.
    ops, model_ops = history((0, 7, ("add", 1), 1), (6, 9, ("get",), 0))
    assert lin.check(ops, CounterModel(model_ops), final_state=1).status == lin.LINEARIZABLE


def test_final_state_must_match():
    ops, model_ops = history((0, 10, ("add", 1), 1), (1, 11, ("add", 2), 3))
    assert lin.check(ops, CounterModel(model_ops), final_state=3).status == lin.LINEARIZABLE
    verdict = lin.check(ops, CounterModel(model_ops), final_state=1)
    assert verdict.status == lin.VIOLATION
    assert verdict.stuck == ()  # every result explained, the final state not


def test_budget_exhaustion_is_unknown_never_a_pass():
    # Twelve overlapping gets of a counter that never changes, the last one impossible: without a
    # state to prune on, the search explores orders until the budget runs out.
    entries = [(i, 100, ("get",), 0) for i in range(11)] + [(11, 100, ("get",), 5)]
    ops, model_ops = history(*entries)
    verdict = lin.check(ops, CounterModel(model_ops, has_state=False), budget=300_000)
    assert verdict.status == lin.UNKNOWN
    assert verdict.steps > 300_000
    # With states, Lowe's cache prunes the same search (2^11 configurations) to a definite answer.
    verdict = lin.check(ops, CounterModel(model_ops), final_state=0, budget=300_000)
    assert verdict.status == lin.VIOLATION
