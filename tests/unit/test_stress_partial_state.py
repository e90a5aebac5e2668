"""Lowe's cache needs the whole state: with a partial one (an auto-probe's few readers) two orders
that reach the same readings are not the same configuration."""

from __future__ import annotations

from ftlab_probes.runtime.stress import linearizability as lin


class Box:
    def __init__(self):
        self.value = None
        self.writes = 0


def model(complete):
    ops = [("put", 1), ("put", 3), ("get", None)]

    def apply(box, i):
        name, arg = ops[i]
        if name == "put":
            box.value = arg
            box.writes += 1
            return None
        return box.value

    # The state read is the write count only: both orders of the two puts read the same.
    return lin.ReplayModel(Box, apply, lambda box: box.writes, True, complete)


# put(1) and put(3) overlap; get() after both returned 1: explained by put(3), put(1), get().
HISTORY = [lin.Op(0, 10, None), lin.Op(1, 9, None), lin.Op(11, 12, 1)]


def test_a_partial_state_never_prunes_an_order():
    assert lin.check(HISTORY, model(complete=False), final_state=2).status == lin.LINEARIZABLE


def test_with_a_complete_state_claimed_the_cache_prunes_it():
    # What the engine did before auto-probe states were marked partial: a false violation.
    assert lin.check(HISTORY, model(complete=True), final_state=2).status == lin.VIOLATION
