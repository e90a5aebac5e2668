"""One finding's phases (probes/ftlab_probes/runtime/stress/finding.py): the budgets each phase gets,
the two-op pairs minimisation tries first, when a wrong result counts as confirmed, and the oracle
saying so when a sequential replay differs from itself (oracle.py)."""

import threading
import time

from hypothesis import strategies as st

from ftlab_probes.api import Probe, op
from ftlab_probes.runtime.stress import finding, rate
from ftlab_probes.runtime.stress.finding import (
    CONTROL_S,
    MIN_CONFIRM_S,
    Budgets,
    Evidence,
    Processed,
    is_confirmed,
)
from ftlab_probes.runtime.stress.job import Failure, Options
from ftlab_probes.runtime.stress.minimize import Minimized
from ftlab_probes.runtime.stress.scenario import Call, Scenario, pairs
from ftlab_probes.runtime.stress.target import Target

HERE = __name__


def c(name, *args):
    return Call(name, args)


def two(a, b):
    return Scenario((), ((a,), (b,)), ())


# -- budgets ------------------------------------------------------------------------------------------


def test_minimisation_and_confirmation_have_budgets_of_their_own():
    options = Options(probe="x:Y", minimize_s=20.0, rate_s=5.0)
    budgets = Budgets.of(options, 100.0, float("inf"))
    assert budgets.minimise_until == 120.0  # all of minimize_s, none of it shared with the rate
    assert budgets.confirm_s == 5.0  # all of rate_s, whatever minimisation used


def test_a_near_job_deadline_cuts_minimisation_and_keeps_the_confirmation():
    options = Options(probe="x:Y", minimize_s=20.0, rate_s=5.0)
    budgets = Budgets.of(options, 100.0, 110.0)
    assert budgets.minimise_until == 110.0 - 5.0 - CONTROL_S
    assert budgets.confirm_s == 5.0
    late = Budgets.of(options, 100.0, 101.0)  # past every reserve: still a measured confirmation
    assert late.confirm_s == MIN_CONFIRM_S and late.minimise_until < 100.0


# -- pairs first ----------------------------------------------------------------------------------------


def test_pairs_are_one_op_of_a_thread_against_one_of_another_same_op_first():
    big = Scenario((c("put", 1),), ((c("get"), c("inc")), (c("inc"), c("dec")), (c("get"),)), (c("get"),))
    got = pairs(big)
    assert all(p.init == () and p.post == () and [len(t) for t in p.threads] == [1, 1] for p in got)
    texts = [p.describe() for p in got]
    assert len(texts) == len(set(texts))  # each once
    assert set(texts[:2]) == {two(c("get"), c("get")).describe(), two(c("inc"), c("inc")).describe()}
    assert two(c("inc"), c("dec")).describe() in texts
    # threads 0|1: 4 pairs; 0|2: get|get, inc|get; 1|2: inc|get again (the same scenario), dec|get.
    assert len(got) == 7


def test_a_scenario_of_one_thread_has_no_pairs():
    assert pairs(Scenario((), ((c("a"), c("b")),), ())) == []


# -- confirmation ---------------------------------------------------------------------------------------


def measured(failures, runs, nondeterministic=0):
    return rate.Rate(failures, runs, None, "", nondeterministic)


def test_a_wrong_result_is_confirmed_only_by_failures_the_oracle_does_not_trace_to_nondeterminism():
    assert is_confirmed("corruption", measured(3, 1000))
    assert not is_confirmed("corruption", measured(0, 1000))
    assert not is_confirmed("unexpected-exception", measured(4, 1000, nondeterministic=4))
    assert is_confirmed("invariant-broken", measured(4, 1000, nondeterministic=3))


def test_crashes_and_hangs_are_their_own_evidence():
    assert is_confirmed("crash", measured(0, 40)) and is_confirmed("hang", measured(0, 3))


def processed(kind, confirmation, *, nondeterministic=False):
    scen = two(c("diff"), c("isoformat"))
    failure = Failure(kind, scen, "seen", None, "", 0, 7, "random", nondeterministic)
    return Processed(failure=failure, minimized=Minimized(scen, True, 1), evidence=Evidence.of(failure),
                     confirmation=confirmation, confirmed=is_confirmed(kind, confirmation), not_a_race=None,
                     repro="/r.py", processing_s=1.0)


def test_an_unconfirmed_record_says_what_was_seen_and_why():
    record = processed("corruption", measured(0, 1000)).record()
    assert record["confirmed"] is False and record["rate"] == [0, 1000]
    assert record["summary"].startswith("corruption seen once in the search, not reproduced in 1000 further runs")
    assert record["unconfirmed_reason"] == "not reproduced in 1000 confirmation runs of its minimal scenario"
    assert record["scenario_portable"] == {"literal": "([], [[('diff', ())], [('isoformat', ())]], [])"}
    nondet = processed("corruption", measured(5, 1000, 5)).record()
    assert nondet["confirmed"] is False and "differs from itself" in nondet["unconfirmed_reason"]
    seen = processed("corruption", measured(0, 800), nondeterministic=True).record()
    assert "the oracle saw its sequential replay differ from itself" in seen["unconfirmed_reason"]


def test_a_confirmed_record_has_no_reason():
    record = processed("corruption", measured(12, 1000)).record()
    assert record["confirmed"] is True and record["unconfirmed_reason"] == ""
    assert record["summary"].startswith("corruption in 12 of 1000 runs of the minimal scenario")


def test_portable_scenarios_round_trip():
    scen = Scenario((c("put", "k", b"\x00"),), ((c("get", "k"),), (c("put", "k", 2.5),)), ())
    assert Scenario.from_portable(scen.to_portable()) == scen
    odd = two(c("put", object), c("get"))  # no literal form: a pickle
    assert "pickle" in odd.to_portable() and Scenario.from_portable(odd.to_portable()) == odd


# -- the oracle's determinism check ---------------------------------------------------------------------


class Clock(Probe):
    """``Time.diff()`` without an argument, in miniature: an op that reads the clock."""

    def make(self):
        return {}

    @op()
    def now(self, obj):
        return time.perf_counter_ns()


class WhichThread(Probe):
    """Deterministic in any one thread, different between threads: no replay differs from itself."""

    def make(self):
        return {}

    @op(st.just(0))
    def ident(self, obj, n):
        return threading.get_ident() == threading.main_thread().ident


def test_a_result_that_moves_with_the_clock_is_flagged_nondeterministic():
    scen = two(c("now"), c("now"))
    got = rate.in_process(Target(f"{HERE}:Clock"), scen, "corruption", 20, 10_000)
    assert got.failures == 20 and got.nondeterministic == 20
    assert not is_confirmed("corruption", got)


def test_a_thread_dependent_result_is_not_flagged():
    scen = two(c("ident", 0), c("ident", 0))
    got = rate.in_process(Target(f"{HERE}:WhichThread"), scen, "corruption", 20, 10_000)
    assert got.failures == 20 and got.nondeterministic == 0


def test_first_only_stops_at_the_first_failure():
    scen = two(c("ident", 0), c("ident", 0))
    got = rate.in_process(Target(f"{HERE}:WhichThread"), scen, "corruption", 20, 10_000, first_only=True)
    assert (got.failures, got.runs) == (1, 1)


def test_the_oracle_summary_names_the_cause():
    scen = two(c("now"), c("now"))
    got = rate.in_process(Target(f"{HERE}:Clock"), scen, "corruption", 1, 10_000)
    assert "differs from itself: the clock, randomness or the environment" in got.first["summary"]


def test_pair_share_leaves_greedy_minimisation_most_of_the_budget():
    assert 0 < finding.PAIR_SHARE <= 0.5


class Seconds(Probe):
    """A result read from a clock of one-second resolution, as pendulum's ``Time.diff()`` shows it."""

    def make(self):
        return {}

    @op()
    def now(self, obj):
        return int(time.time())


def test_a_clock_step_tells_a_coarse_clock_from_a_race_and_the_verdict_sticks():
    from ftlab_probes.runtime.stress.execute import Invocation
    from ftlab_probes.runtime.stress.oracle import CLOCK_STEP_S, Judge
    from ftlab_probes.runtime.stress.target import Outcome

    scen = two(c("now"), c("now"))
    judge = Judge(Target(f"{HERE}:Seconds"), scen, 10_000, clock_step_s=CLOCK_STEP_S)
    stale = Outcome.of_value(int(time.time()) - 100, True)  # a second no replay will read again
    seen = Invocation(((0, 10), (20, 30)), (stale, stale), None, "", None, None)
    began = time.monotonic()
    first = judge.judge(seen)
    assert first.kind == "corruption" and first.nondeterministic
    assert time.monotonic() - began >= CLOCK_STEP_S  # the first check stepped across a tick
    began = time.monotonic()
    again = judge.judge(Invocation(((0, 10), (5, 30)), (stale, stale), None, "", None, None))
    assert again.nondeterministic and time.monotonic() - began < CLOCK_STEP_S  # sticky, no second step
