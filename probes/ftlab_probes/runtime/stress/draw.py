"""Scenarios drawn by hypothesis, all on the coordinator's main thread before any worker starts."""

from dataclasses import dataclass

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from ftlab_probes.runtime.stress.scenario import Call, Scenario


@dataclass(frozen=True)
class Shape:
    """Bounds of a drawn scenario."""

    max_threads: int = 3
    max_ops_per_thread: int = 4
    max_init: int = 2
    max_post: int = 2
    #: The linearizability search is NP-complete: past ~15 ops it stops finishing in useful time.
    max_total: int = 15


def _weighted_to_max(low, high):
    """Values low..high, the maximum as likely as all the others together (Lincheck's thread weighting)."""
    values = list(range(low, high + 1))
    return st.sampled_from(values + [high] * max(1, len(values) - 1))


def scenario_strategy(operations, shape):
    """A strategy of Scenarios over ``operations`` (``{name: arg strategies}``)."""
    names = list(operations)
    calls_of = {
        name: st.tuples(*strategies).map(lambda args, n=name: Call(n, args))
        for name, strategies in operations.items()
    }

    @st.composite
    def scenario(draw):
        # Swarm testing: half the scenarios enable a random subset of ops, so an op that masks a bug
        # (a lock taken by a reader, a reset) is sometimes absent.
        enabled = names
        if len(names) > 1 and draw(st.booleans()):
            picked = [n for n in names if draw(st.booleans())]
            enabled = picked or names
        call = st.sampled_from(enabled).flatmap(lambda n: calls_of[n])
        budget = shape.max_total
        n_threads = draw(_weighted_to_max(2, max(2, shape.max_threads)))
        threads = []
        for remaining_threads in range(n_threads, 0, -1):
            # Leave at least one op for every thread still to draw.
            most = min(shape.max_ops_per_thread, budget - (remaining_threads - 1))
            if most < 1:
                break
            count = draw(_weighted_to_max(1, most))
            threads.append(tuple(draw(call) for _ in range(count)))
            budget -= count
        init = tuple(draw(call) for _ in range(draw(st.integers(0, min(shape.max_init, budget)))))
        budget -= len(init)
        post = tuple(draw(call) for _ in range(draw(st.integers(0, min(shape.max_post, budget)))))
        return Scenario(init, tuple(threads), post)

    return scenario()


def draw_scenarios(operations, shape, count, rng_seed):
    """Up to ``count`` distinct scenarios, reproducible from ``rng_seed``."""
    strategy = scenario_strategy(operations, shape)
    drawn = []

    @seed(rng_seed)
    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(scenario):
        drawn.append(scenario)

    collect()
    unique = {}
    for scenario in drawn:  # arguments may be unhashable (lists, dicts): told apart by their text
        unique.setdefault(scenario.describe(), scenario)
    return list(unique.values())
