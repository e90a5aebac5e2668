"""The greedy minimiser on deterministic failing predicates."""

import time

from ftlab_probes.runtime.stress.minimize import candidates, minimize
from ftlab_probes.runtime.stress.scenario import Call, Scenario


def c(name, *args):
    return Call(name, args)


BIG = Scenario(
    init=(c("put", 1), c("get")),
    threads=((c("get"), c("inc"), c("get")), (c("put", 2), c("dec")), (c("get"), c("get"))),
    post=(c("get"),),
)


def fails_when_inc_and_dec_race(scenario):
    """The bug needs inc() on one thread and dec() on another."""
    has = [{call.name for call in calls} for calls in scenario.threads]
    return any("inc" in a and "dec" in b for i, a in enumerate(has) for j, b in enumerate(has) if i != j)


def first_failing_by(predicate, log=None):
    def first_failing(options):
        if log is not None:
            log.append(len(options))
        return next((i for i, s in enumerate(options) if predicate(s)), None)

    return first_failing


def test_minimises_to_the_two_racing_ops():
    result = minimize(BIG, first_failing_by(fails_when_inc_and_dec_race), time.monotonic() + 10)
    assert result.complete
    assert result.scenario == Scenario(init=(), threads=((c("inc"),), (c("dec"),)), post=())


def test_keeps_init_ops_the_failure_needs():
    def needs_put_first(scenario):
        return any(call.name == "put" for call in scenario.init) and fails_when_inc_and_dec_race(scenario)

    result = minimize(BIG, first_failing_by(needs_put_first), time.monotonic() + 10)
    assert result.scenario == Scenario(init=(c("put", 1),), threads=((c("inc"),), (c("dec"),)), post=())


def test_parallel_part_is_tried_first():
    order = BIG.shrink_order()
    assert [s.part for s in order[:7]] == ["parallel"] * 7
    assert [s.part for s in order[7:]] == ["init", "init", "post"]
    singles = candidates(BIG, 1)
    assert singles[0].threads[0] == (c("inc"), c("get"))  # the first parallel op dropped first


def test_chunks_shrink_a_big_scenario_in_few_rounds():
    log = []
    result = minimize(BIG, first_failing_by(fails_when_inc_and_dec_race, log), time.monotonic() + 10)
    assert result.rounds < BIG.size()  # fewer rounds than one per dropped op
    assert log[0] == 2  # the first round tries halves


def test_deadline_returns_the_current_scenario_as_incomplete():
    result = minimize(BIG, first_failing_by(fails_when_inc_and_dec_race), time.monotonic() - 1)
    assert not result.complete
    assert result.scenario == BIG


def test_never_proposes_an_empty_scenario():
    tiny = Scenario(init=(), threads=((c("inc"),),), post=())
    assert candidates(tiny, 1) == []
