"""One finding, from its first failure to its record: minimise, confirm, control, repro.

``process(search, failure, number)`` runs the phases in order, each a function with its own budget:

- ``minimise``: first the failing scenario's two-op pairs (one op of one thread against one of
  another: the shape nearly every race shows in), on a share of the budget, then greedy chunk
  dropping (minimize.py) from the pair that failed, or from the whole scenario; every candidate is
  run many times in workers, all within ``minimize_s``; the last failing candidate's evidence comes
  back with the scenario;
- ``confirm``: the minimal scenario replayed ``rate_runs`` times within ``rate_s``, a budget of its
  own (never what minimisation left over): its failures are the finding's rate. Its first
  determinism check steps across a clock tick (oracle.CLOCK_STEP_S). A wrong result
  (corruption, unexpected exception, broken invariant) is ``confirmed`` only when this replay shows it
  again, and not only through the oracle's nondeterminism (oracle.py: the sequential replay differed
  from itself); otherwise the finding is recorded ``confirmed: false`` with what was seen, and the
  lab lists it as unconfirmed, never gating. A crash or a hang is its own evidence: always confirmed;
- ``control``: the sequential control of an in-process kind (its ops one after another on one
  thread): a failure there makes it an engine or probe error, not a finding;
- ``write_repro``: the standalone script.

Each returns a value; ``Processed`` gathers them and gives the one record shape
(``Processed.record()``: a finding, or an engine error when the control says it is not a race).
"""

import dataclasses
import os
import signal as signals
import time
from dataclasses import dataclass

from ftlab_probes.runtime.stress import launch, rate, repro
from ftlab_probes.runtime.stress.minimize import minimize
from ftlab_probes.runtime.stress.oracle import CLOCK_STEP_S
from ftlab_probes.runtime.stress.scenario import pairs, render_table, table

#: Kinds judged inside a worker; crash and hang are judged from outside.
IN_PROCESS_KINDS = ("corruption", "unexpected-exception", "invariant-broken")

#: A minimisation candidate "still fails" if it fails within this many times the invocations the
#: original scenario needed (at least MIN_CANDIDATE_RUNS): a bug seen at rate p is then missed with
#: odds about e^-20 per candidate.
CANDIDATE_FACTOR = 20
MIN_CANDIDATE_RUNS = 200
#: ...and within this many seconds, so one slow candidate cannot eat the minimisation budget.
CANDIDATE_S = 1.0

#: Share of the minimisation budget for trying the failing scenario's two-op pairs first. Greedy
#: dropping from 15 ops tries up to ~30 candidates a pass, each up to CANDIDATE_S when it does not
#: fail: it ran out of time on most real findings (issue 22), while their races showed with one op in
#: each of two threads (as the calibration set's do). A pair that fails is minimal in one round.
PAIR_SHARE = 0.4
#: Least seconds per pair: a few hundred invocations of a two-op scenario on a loaded 3.14t.
MIN_PAIR_S = 0.1

#: Least time given to the confirmation when the job's deadline is near: a worker start and a few
#: hundred invocations of a small scenario.
MIN_CONFIRM_S = 0.5

#: Runs of a finding's sequential control (its ops one after another on one thread): a correct probe
#: of a deterministic subject passes every one, so a single failure proves the finding is not a race.
#: 200 runs of a small scenario take well under a second; CONTROL_S caps a slow one.
CONTROL_RUNS = 200
CONTROL_S = 2.0


@dataclass(frozen=True)
class Budgets:
    """When minimisation must end, and the seconds the confirmation gets: each phase its own budget."""

    minimise_until: float  # a time.monotonic() value
    confirm_s: float

    @classmethod
    def of(cls, options, began, hard_deadline):
        """``minimize_s`` from ``began`` for minimising, ``rate_s`` for confirming, never a share of the
        other's: the confirmation and the control are kept out of minimisation's time before the job's
        ``hard_deadline``, so they run even when minimisation is cut, with at least MIN_CONFIRM_S."""
        reserve = options.rate_s + CONTROL_S
        until = min(began + options.minimize_s, hard_deadline - reserve)
        return cls(until, max(MIN_CONFIRM_S, min(options.rate_s, hard_deadline - CONTROL_S - max(began, until))))


@dataclass(frozen=True)
class Evidence:
    """What a failure showed last, and the scenario it showed it in."""

    scenario: object
    summary: str
    table: object  # rows with results (in-process kinds), else None
    trace: str
    returncode: int
    nondeterministic: bool = False  # the oracle traced it to a replay differing from itself

    @classmethod
    def of(cls, failure):
        return cls(failure.scenario, failure.summary, failure.table, failure.trace, failure.returncode,
                   failure.nondeterministic)

    def rows(self, scenario):
        """The table of ``scenario``: this evidence's results when it is about that scenario."""
        return self.table if self.scenario == scenario and self.table is not None else table(scenario)


@dataclass(frozen=True)
class Processed:
    """Everything the phases found out about one failure."""

    failure: object  # job.Failure
    minimized: object  # minimize.Minimized
    evidence: Evidence
    confirmation: object  # rate.Rate
    confirmed: bool
    not_a_race: object  # None, or {"reason", "control"} (see ``control``)
    repro: str
    processing_s: float

    @property
    def scenario(self):
        return self.minimized.scenario

    @property
    def engine_error(self):
        return self.not_a_race is not None

    def summary(self):
        kind, scenario, measured = self.failure.kind, self.scenario, self.confirmation
        which = "minimal scenario" if self.minimized.complete else "scenario (minimisation ran out of time)"
        if measured.failures:
            text = "%s in %d of %d runs of the %s %s" % (
                kind, measured.failures, measured.runs, which, scenario.describe(brief=True))
        else:
            # Seen once in the search, never again: a rare interleaving or no race at all, reported as
            # such (never dropped, never dressed up as reproducible).
            text = "%s seen once in the search, not reproduced in %d further runs of the %s %s" % (
                kind, measured.runs, which, scenario.describe(brief=True))
        if not scenario.concurrent() and not self.engine_error:
            # A crash or a hang of ops on one thread is real, but it is no race: say so.
            text += " (no two ops run concurrently: it needs no other thread)"
        return text

    def unconfirmed_reason(self):
        if self.confirmed:
            return ""
        measured = self.confirmation
        if measured.failures and measured.failures == measured.nondeterministic:
            return ("its %d failures in %d confirmation runs all came with a sequential replay that differs "
                    "from itself (the clock, randomness or the environment): not evidence of a race"
                    % (measured.failures, measured.runs))
        if self.evidence.nondeterministic:
            return ("the oracle saw its sequential replay differ from itself (the clock, randomness or the "
                    "environment), and %d confirmation runs did not show it again" % measured.runs)
        return "not reproduced in %d confirmation runs of its minimal scenario" % measured.runs

    def record(self):
        """The finding's record (``data["findings"]``), or an engine error's (``data["engine_errors"]``)."""
        scenario, measured, failure = self.scenario, self.confirmation, self.failure
        rows = self.evidence.rows(scenario)
        if self.engine_error:
            return {
                "engine_error": True,
                "kind": failure.kind,
                "reason": "engine or probe error, not a finding: %s; %s" % (self.summary(), self.not_a_race["reason"]),
                "sequential_control": self.not_a_race["control"],
                "ops": scenario.op_names(),
                "detail": self.evidence.summary,
                "scenario": scenario.to_data(),
                "scenario_text": scenario.describe(),
                "rate": [measured.failures, measured.runs],
                "repro": self.repro,
                "table_text": render_table(rows, len(scenario.threads)),
                "processing_s": self.processing_s,
            }
        returncode = self.evidence.returncode
        return {
            "kind": failure.kind,
            "concurrent": scenario.concurrent(),
            "schedule": failure.schedule,
            "summary": self.summary(),
            "detail": self.evidence.summary,
            "scenario": scenario.to_data(),
            "scenario_text": scenario.describe(),
            #: The scenario in a form another lane's runtime rebuilds (scenario.Scenario.from_portable):
            #: the lab replays it on the baseline GIL lane before calling the finding new.
            "scenario_portable": scenario.to_portable(),
            "original": failure.scenario.to_data(),
            "minimization": {
                "complete": self.minimized.complete,
                "rounds": self.minimized.rounds,
                "ops_before": failure.scenario.size(),
                "ops_after": scenario.size(),
            },
            "rate": [measured.failures, measured.runs],
            "confirmed": self.confirmed,
            "unconfirmed_reason": self.unconfirmed_reason(),
            "repro": self.repro,
            "table": rows,
            "table_text": render_table(rows, len(scenario.threads)),
            "trace": self.evidence.trace,
            "signal": -returncode if returncode < 0 else None,
            "processing_s": self.processing_s,
        }


def process(search, failure, number):
    """All phases for ``failure`` (a job.Failure) of ``search`` (a job.Search); a Processed."""
    began = time.monotonic()
    budgets = Budgets.of(search.options, began, search.hard_deadline)
    minimized = minimise(search, failure, budgets.minimise_until)
    evidence = minimized.evidence or Evidence.of(failure)
    scenario = minimized.scenario
    confirmation = confirm(search, failure, scenario, budgets.confirm_s)
    if confirmation.first is not None:
        evidence = dataclasses.replace(evidence, scenario=scenario, summary=confirmation.first["summary"],
                                       table=confirmation.first["table"])
    if confirmation.trace:
        evidence = dataclasses.replace(evidence, trace=confirmation.trace)
    not_a_race = control(search, failure.kind, scenario, time.monotonic() + CONTROL_S)
    path = write_repro(search, failure, scenario, evidence, confirmation, number)
    return Processed(
        failure=failure,
        minimized=minimized,
        evidence=evidence,
        confirmation=confirmation,
        confirmed=is_confirmed(failure.kind, confirmation),
        not_a_race=not_a_race,
        repro=path,
        processing_s=time.monotonic() - began,
    )


def is_confirmed(kind, confirmation):
    """A crash or a hang is its own evidence; a wrong result needs confirmation failures that are not
    all the oracle's nondeterminism."""
    if kind not in IN_PROCESS_KINDS:
        return True
    return confirmation.failures > confirmation.nondeterministic


def minimise(search, failure, deadline):
    """Shrink the failing scenario until ``deadline``; a Minimized whose evidence is the last hit's."""
    runs = max(MIN_CANDIDATE_RUNS, CANDIDATE_FACTOR * failure.runs)
    start, evidence = failure.scenario, None
    candidates = pairs(start) if start.size() > 2 else []
    if candidates:
        share = PAIR_SHARE * (deadline - time.monotonic())
        per_pair = min(CANDIDATE_S, max(MIN_PAIR_S, share / len(candidates)))
        hit = first_failing(search, failure, candidates, runs, min(deadline, time.monotonic() + share), per_pair)
        if hit is not None:
            start, evidence = candidates[hit[0]], hit[1]
    minimized = minimize(start, lambda options: first_failing(search, failure, options, runs, deadline), deadline)
    if minimized.evidence is None and evidence is not None:
        minimized = dataclasses.replace(minimized, evidence=evidence)
    return minimized


def first_failing(search, failure, candidates, runs, deadline, scenario_s=CANDIDATE_S):
    """``(index, Evidence)`` of the first candidate that fails as ``failure`` did (each run up to
    ``runs`` invocations or ``scenario_s`` seconds), else None. The strategy that found the failure
    replays it: minimisation, confirmation and repro keep its schedule."""
    offset = 0
    while offset < len(candidates):
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        batch = search.batch(candidates[offset:], invocations=runs, scenario_s=scenario_s, batch_s=left,
                             watch=(failure.kind,), stop_at_failure=True, schedules=pinned(failure))
        result = search.run_batch(batch)
        if result.status == launch.DONE:
            hit = result.failure()
            if hit is None:
                return None
            index, summary = offset + hit[0], hit[1]["first"]
            return index, Evidence(candidates[index], summary["summary"], summary["table"], "", 0,
                                   bool(summary.get("nondeterministic")))
        if result.in_flight is None:
            return None
        if result.status == failure.kind:
            index = offset + result.in_flight
            return index, Evidence(candidates[index], death_summary(result), None, result.trace, result.returncode)
        offset += result.in_flight + 1  # died of another kind: not this failure
    return None


def confirm(search, failure, scenario, time_s):
    """The minimal scenario replayed on its own budget (``rate_runs`` within ``time_s``); a rate.Rate."""
    o = search.options
    settings = search.batch((), invocations=0, scenario_s=0.0, batch_s=0.0, watch=(), stop_at_failure=False,
                            schedules=pinned(failure))
    # The first determinism check steps across a clock tick: a result that moves with a clock of
    # one-second resolution does not confirm a race however often it differs from its replay.
    settings = dataclasses.replace(settings, clock_step_s=CLOCK_STEP_S)
    return rate.in_workers(settings, scenario, failure.kind, o.rate_runs, time_s, search.workdir)


def control(search, kind, scenario, deadline):
    """None when an in-process failure of ``scenario`` can be a race; else why it is not.

    A race needs two ops in different threads, and a correct probe of a deterministic subject
    never fails when its ops run one after another on one thread. So every in-process finding
    gets a sequential control (``Scenario.serialized``, CONTROL_RUNS runs): a failure there, or
    a minimal scenario without two concurrent ops, makes it an engine or probe error (a result
    read at the wrong moment, a nondeterministic op, results that depend on the calling thread),
    never a finding about the subject. Crashes and hangs are judged from outside and stay
    findings: a single op that kills the interpreter is a real crash.
    """
    if kind not in IN_PROCESS_KINDS:
        return None
    settings = search.batch((), invocations=0, scenario_s=0.0, batch_s=0.0, watch=(), stop_at_failure=False)
    time_s = max(0.5, min(CONTROL_S, deadline - time.monotonic()))
    measured = rate.in_workers(settings, scenario.serialized(), IN_PROCESS_KINDS, CONTROL_RUNS, time_s,
                               search.workdir)
    seen = "%d of %d runs with its ops one after another on one thread" % (measured.failures, measured.runs)
    if measured.failures == measured.runs:
        reason = ("it fails in every sequential run too (%s): the probe reads a result or a state the "
                  "sequential replay cannot reproduce, or its invariant does not hold without threads" % seen)
    elif measured.failures:
        reason = ("it fails in some sequential runs too (%s): an op is nondeterministic (time, randomness, ids, "
                  "global state) or the subject runs threads of its own" % seen)
    elif not scenario.concurrent():
        reason = ("no two of its ops run in different threads, and with its ops one after another on the "
                  "calling thread it passes (%s): the results depend on which thread calls an op "
                  "(thread-locals, main-thread-only APIs), not on a race" % seen)
    else:
        return None
    return {"reason": reason, "control": [measured.failures, measured.runs]}


def write_repro(search, failure, scenario, evidence, confirmation, number):
    """The finding's standalone repro script; its path."""
    o = search.options
    name = "stress-%s-%s-%d.py" % (search.probe_cls.__name__, failure.kind, number)
    return repro.write(
        os.path.join(search.artifacts_dir, name),
        probe=o.probe,
        scenario=scenario,
        rows=evidence.rows(scenario),
        kind=failure.kind,
        failures=confirmation.failures,
        runs=confirmation.runs,
        summary=evidence.summary,
        hang_s=o.hang_s,
        check_budget=o.check_budget,
        schedule=failure.schedule,
    )


def pinned(failure):
    """The schedule weights that replay only the strategy that found ``failure``."""
    return ((failure.schedule, 1.0),)


def death_summary(result):
    """One line for a worker that crashed or hung (a launch.BatchResult)."""
    if result.status == launch.HANG and result.deadlocked:
        return "an invocation deadlocked: every thread waited on a lock held by another (all thread stacks in trace)"
    if result.status == launch.HANG:
        return "an invocation did not finish within the hang timeout (all thread stacks in trace)"
    number = -result.returncode
    try:
        name = signals.Signals(number).name
    except ValueError:
        name = "signal %d" % number
    return "the worker died of %s" % name
