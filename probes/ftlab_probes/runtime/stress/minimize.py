"""Greedy minimisation of a failing scenario, Lincheck's order with delta debugging's chunks.

Each round drops chunks of ops (half the scenario, then quarters, ... down to single ops), in the
order parallel part first, then init, then post; the first candidate that still fails becomes the
current scenario. Racy failures do not fail every time, so whether a candidate "still fails" is
decided by the caller, running it many times; chunks make a deadlock (whose every failing run costs
a hang timeout) shrink in a few rounds instead of one round per op.
"""

import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Minimized:
    scenario: object
    complete: bool  # False when the deadline cut the search short (the scenario still fails)
    rounds: int
    #: What the last failing candidate showed (the caller's, see ``minimize``); None without one.
    evidence: object = None


def candidates(scenario, size):
    """Scenarios with one chunk of ``size`` ops dropped, in shrink order; never empty ones."""
    order = scenario.shrink_order()
    out = []
    for start in range(0, len(order), size):
        smaller = scenario.without(order[start : start + size])
        if smaller.size() > 0 and smaller not in out:
            out.append(smaller)
    return out


def minimize(scenario, first_failing, deadline):
    """Shrink ``scenario`` while ``first_failing(list_of_candidates)`` names one that still fails.

    ``first_failing`` returns the index of the first candidate that fails, or None; or ``(index,
    evidence)``, and the last evidence is returned with the result. ``deadline`` is a
    ``time.monotonic()`` value; past it the current scenario is returned as incomplete.
    """
    current = scenario
    size = max(1, current.size() // 2)
    rounds = 0
    evidence = None
    while True:
        if time.monotonic() > deadline:
            return Minimized(current, False, rounds, evidence)
        options = candidates(current, size)
        rounds += 1
        hit = first_failing(options) if options else None
        if isinstance(hit, tuple):
            hit, evidence = hit
        if hit is not None:
            current = options[hit]
            size = max(1, min(size, current.size() // 2))
        elif size > 1:
            size //= 2
        else:
            return Minimized(current, True, rounds, evidence)
