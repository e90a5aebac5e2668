"""The ``stress`` command: search scenarios for a failure, minimise it, measure its rate, write a repro.

Job options (``job["options"]``; only ``probe`` is required)::

    probe               "module.path:ClassName", a ftlab_probes.api.Probe importable from sys.path
    budget_s            seconds spent searching scenarios (10)
    minimize_s          seconds, per finding, for minimising it (20); its confirmation and control
                        have budgets of their own
    hang_s              an invocation stuck this long is a hang (2.0)
    scenario_s          seconds per scenario during the search, at most (0.25)
    invocations         invocations per scenario during the search, at most (5000)
    threads             threads in a scenario, at most; 2..threads, weighted to the maximum (3)
    ops_per_thread      ops per thread, at most (4)
    init_ops, post_ops  ops in the init and post parts, at most (2, 2)
    max_ops             ops in a whole scenario, at most (15)
    rate_runs           invocations of the minimal scenario when confirming it and measuring its rate
                        (1000)
    rate_s              seconds for that confirmation, at most (5), on top of minimize_s
    check_budget        model steps for one linearizability check before it says unknown (50000)
    seed                seed of the scenario draw and of the schedules (random, recorded in data)
    stop_after_finding  stop searching once a finding is minimised and confirmed (true)
    scaling_s           a clean probe's ops/s with 1, 2, 4... threads, seconds per count (0: off)
    schedules           schedule strategies to draw from (execute.SCHEDULES: random, preempt, pct;
                        default all), weighted by the failures each has found so far
    small_first         run two-op scenarios (one op in each of two threads), then scenarios of at
                        most two ops per thread, before the full shape (true)

Each finding records the schedule strategy that found it (``schedule``); its minimisation, rate and
repro use that strategy. ``data["schedules"]`` counts invocations and failures per strategy.

On a ThreadSanitizer lane (``data["tsan"]``), every worker's ThreadSanitizer reports are read
(tsan.py): each race attributed to an extension module is one ``data-race`` signal per source
location, with both stacks, the scenario in flight and its rate (fresh workers that report it again,
of TSAN_RATE_RUNS).

Each finding goes through finding.process: minimised within minimize_s, confirmed within rate_s
(a wrong result its own replay does not reproduce is recorded ``confirmed: false``, which the lab
lists as unconfirmed, never gating), controlled sequentially, written out as a repro. The whole job
takes at most about budget_s + (minimize_s + rate_s + finding.CONTROL_S) per finding + hang_s; when
the job has a ``timeout_s``, every phase also ends in time for the result to be written before it.

A failure judged in a worker (corruption, unexpected exception, broken invariant) is a finding only
when it can be a race: its minimal scenario has two ops in different threads, and its ops run one
after another on one thread never fail (``finding.control``). Otherwise it is an engine or probe
error: listed in ``data["engine_errors"]`` with the reason, its ops left out of the rest of the
search (``data["excluded_ops"]``); when no op is left, the result's status is ``error`` (never
gating) and ``data["error"]`` says why. Crashes and hangs of a single op stay findings, marked
``concurrent: false``.
"""

import difflib
import os
import random
import tempfile
import time
from dataclasses import asdict, dataclass, fields

from ftlab_probes.runtime import protocol
from ftlab_probes.runtime.stress import finding, launch, rate, scaling, tsan
from ftlab_probes.runtime.stress.draw import Shape, draw_scenarios
from ftlab_probes.runtime.stress.execute import SCHEDULES
from ftlab_probes.runtime.stress.finding import IN_PROCESS_KINDS, death_summary
from ftlab_probes.runtime.stress.oracle import NONDETERMINISTIC, UNKNOWN
from ftlab_probes.runtime.stress.scenario import pairs_in_turn
from ftlab_probes.runtime.stress.target import load_probe_class

#: Scenarios drawn at a time; a worker takes them all and stops when the budget is spent.
DRAW_CHUNK = 200

#: small_first: the shapes of the first draws, then the full shape. The known races of the
#: calibration set all show with one op in each of two threads, where an invocation costs a tenth
#: of a full scenario's and a failing history is checked in a few model steps (a full scenario's
#: failing check can take 50,000): measured on 3.14t, bank lost updates went from not found in 10 s
#: to found in the first second.
SMALL_SHAPES = (Shape(2, 1, 0, 0, 2), Shape(2, 2, 1, 1, 6))
#: Scenarios drawn per small shape (two-op scenarios are few: duplicates are dropped).
SMALL_CHUNK = 60
#: Seconds per scenario of a small shape: short, to cover every pair early.
SMALL_SCENARIO_S = 0.05

#: A strategy's prior weight counts as this many invocations without a failure (adaptive choice).
SCHEDULE_PRIOR_RUNS = 50

#: ThreadSanitizer: fresh workers that replay a reported race's scenario to measure its rate, and
#: invocations each.
TSAN_RATE_RUNS = 5
TSAN_RATE_INVOCATIONS = 50
#: Distinct races whose rate is measured; others are reported with the rate unmeasured.
TSAN_MEASURED = 3

#: Findings of one kind processed while none is confirmed: an unconfirmed one does not end the
#: search (a rare real race may show again, and confirm, in the rest of the budget), but a
#: nondeterministic op would otherwise be minimised and confirmed again and again.
UNCONFIRMED_TRIES = 2

#: Seconds kept free before the job's timeout (after the runtime's own hang-dump lead) to write
#: the repro and the result.
TIMEOUT_MARGIN_S = 5.0


@dataclass(frozen=True)
class Options:
    probe: str
    budget_s: float = 10.0
    minimize_s: float = 20.0
    hang_s: float = 2.0
    scenario_s: float = 0.25
    invocations: int = 5000
    threads: int = 3
    ops_per_thread: int = 4
    init_ops: int = 2
    post_ops: int = 2
    max_ops: int = 15
    rate_runs: int = 1000
    rate_s: float = 5.0
    check_budget: int = 50_000
    seed: object = None
    stop_after_finding: bool = True
    #: Seconds per thread count of the thread-scaling measurement of a clean probe (0: none; the lab asks
    #: for it once per subject, since the report plots one line per result).
    scaling_s: float = 0.0
    schedules: object = None  # names from execute.SCHEDULES; None: all
    small_first: bool = True

    @classmethod
    def from_mapping(cls, options):
        known = {f.name: f for f in fields(cls)}
        for key in options:
            if key not in known:
                close = difflib.get_close_matches(key, known, n=1)
                hint = "; did you mean %r?" % close[0] if close else "; known: %s" % ", ".join(sorted(known))
                raise ValueError("unknown stress option %r%s" % (key, hint))
        if "probe" not in options:
            raise ValueError(
                "the stress job needs options.probe, e.g. 'ftcalib_counter.probes:RacyCounterProbe'"
            )
        values = {}
        for key, value in options.items():
            default = known[key].default
            if key == "schedules" and value is not None:
                names = [value] if isinstance(value, str) else list(value)
                for name in names:
                    if name not in SCHEDULES:
                        raise ValueError("unknown schedule %r; known: %s" % (name, ", ".join(SCHEDULES)))
                if not names:
                    raise ValueError("schedules is empty; give at least one of %s" % ", ".join(SCHEDULES))
                values[key] = tuple(names)
            elif key == "probe" or value is None:
                values[key] = value
            elif isinstance(default, bool):
                values[key] = bool(value)
            elif isinstance(default, (int, float)) or key == "seed":
                values[key] = (type(default) if key != "seed" else int)(value)
            else:
                values[key] = value
        return cls(**values)

    def shape(self):
        return Shape(self.threads, self.ops_per_thread, self.init_ops, self.post_ops, self.max_ops)


@dataclass(frozen=True)
class Failure:
    """A failing scenario as first seen, before minimisation."""

    kind: str
    scenario: object
    summary: str
    table: object  # rows with results (in-process kinds), else None
    trace: str
    returncode: int
    runs: int  # invocations of this scenario until it failed
    schedule: str = "random"  # the strategy of the failing invocation
    nondeterministic: bool = False  # the oracle saw the sequential replay differ from itself


class Search:
    """State of one stress job: counts, batches run, findings."""

    def __init__(self, options, probe_cls, seed, workdir, artifacts_dir, hard_deadline):
        self.options = options
        self.probe_cls = probe_cls
        self.seed = seed
        self.workdir = workdir
        self.artifacts_dir = artifacts_dir
        self.hard_deadline = hard_deadline
        self.started = time.monotonic()
        self.scenarios_run = 0
        self.invocations = 0
        self.unknown = 0
        self.nondeterministic = 0  # verdicts the oracle traced to a replay differing from itself
        self.batches = 0
        self.switch_interval = None
        self.findings = []
        self.repeats = {}
        self.engine_errors = []  # failures that are not races (see finding.control)
        self.excluded = set()  # ops of those failures, left out of the rest of the search
        self.schedule_names = tuple(options.schedules or SCHEDULES)
        self.schedule_stats = {name: [0, 0] for name in self.schedule_names}  # [invocations, failures]
        self.tsan = tsan.lane_is_tsan()
        self.races = {}  # tsan.key -> report dict (the first seen), with "seen" counts
        self.interpreter_races = 0

    def schedule_weights(self):
        """(name, weight) per strategy: its observed failure rate, with a prior (adaptive choice)."""
        return tuple(
            (name, (failures + 1.0) / (runs + SCHEDULE_PRIOR_RUNS))
            for name, (runs, failures) in self.schedule_stats.items()
        )

    def batch(self, scenarios, *, invocations, scenario_s, batch_s, watch, stop_at_failure, schedules=None):
        self.batches += 1
        o = self.options
        return launch.Batch(
            probe=o.probe,
            scenarios=tuple(scenarios),
            invocations=invocations,
            scenario_s=scenario_s,
            batch_s=batch_s,
            watch=tuple(watch),
            stop_at_failure=stop_at_failure,
            hang_s=o.hang_s,
            seed=self.seed + self.batches,
            check_budget=o.check_budget,
            schedules=schedules or self.schedule_weights(),
        )

    def run_batch(self, batch):
        result = launch.run_batch(batch, self.workdir)
        if self.switch_interval is None:
            self.switch_interval = result.switch_interval
        if result.stderr:
            self.collect_races(result, batch)
        return result

    def collect_races(self, result, batch):
        """Keep each ThreadSanitizer race of an extension once, with the scenario that showed it."""
        for report in tsan.parse(result.stderr):
            if report["module"] is None:
                self.interpreter_races += 1
                continue
            key = tsan.key(report)
            if key in self.races:
                self.races[key]["seen"] += 1
                continue
            index = report["scenario"]
            scenario = batch.scenarios[index] if index is not None and index < len(batch.scenarios) else None
            self.races[key] = dict(report, scenario=scenario, seen=1,
                                   detected_after_s=time.monotonic() - self.started)

    def race_findings(self):
        """data-race findings, their rates measured in fresh workers for the first TSAN_MEASURED."""
        findings = []
        for number, (key, race) in enumerate(sorted(self.races.items(), key=lambda kv: kv[1]["detected_after_s"])):
            scenario = race["scenario"]
            reported = runs = 0
            if scenario is not None and number < TSAN_MEASURED and time.monotonic() + 10 < self.hard_deadline:
                for _ in range(TSAN_RATE_RUNS):
                    batch = self.batch((scenario,), invocations=TSAN_RATE_INVOCATIONS, scenario_s=2.0,
                                       batch_s=2.0, watch=(), stop_at_failure=False)
                    result = launch.run_batch(batch, self.workdir)
                    runs += 1
                    if any(tsan.key(r) == key for r in tsan.parse(result.stderr)):
                        reported += 1
            where = "%s (%s in %s)" % (race["module"], race["location"], race["function"])
            if runs:
                summary = "ThreadSanitizer: %s in %s, reported by %d of %d fresh workers running %s" % (
                    race["kind"], where, reported, runs, scenario.describe(brief=True))
            else:
                summary = "ThreadSanitizer: %s in %s%s" % (
                    race["kind"], where, " while running %s" % scenario.describe(brief=True) if scenario else "")
            findings.append({
                "kind": "data-race",
                "summary": summary,
                "module": race["module"],
                "location": race["location"],
                "function": race["function"],
                "stacks": race["stacks"],
                "report": race["text"],
                "scenario": scenario.to_data() if scenario else None,
                "scenario_text": scenario.describe() if scenario else "",
                "rate": [reported, runs],
                "rate_unit": "fresh workers of %d invocations" % TSAN_RATE_INVOCATIONS,
                "seen": race["seen"],
                "detected_after_s": race["detected_after_s"],
            })
        return findings

    # -- search ---------------------------------------------------------------------------------

    def search(self):
        """Run scenarios until the budget is spent (or a finding, when asked to stop there)."""
        o = self.options
        deadline = min(self.started + o.budget_s, self.hard_deadline)
        launch.warm(o.probe, self.workdir)
        every_op = self.probe_cls.operations()
        operations = every_op
        seen, pending, draws = {}, [], 0
        shapes = list(SMALL_SHAPES) if o.small_first else []
        scenario_s = o.scenario_s
        while time.monotonic() < deadline:
            if not pending:
                if shapes:
                    shape, chunk, scenario_s = shapes.pop(0), SMALL_CHUNK, min(o.scenario_s, SMALL_SCENARIO_S)
                else:
                    shape, chunk, scenario_s = o.shape(), DRAW_CHUNK, o.scenario_s
                drawn = draw_scenarios(operations, shape, chunk, self.seed + draws)
                draws += 1
                if chunk == SMALL_CHUNK:
                    # Every combination of ops once before any twice, the same op in both threads
                    # first (register|register: the commonest race, a read-modify-write against itself).
                    drawn = pairs_in_turn(drawn)
                pending = [s for s in drawn if s.describe() not in seen]
                seen.update((s.describe(), s) for s in pending)
                if not pending and not shapes:  # a small op space, every scenario drawn: run them all again
                    pending = list(seen.values())
                if not pending:
                    continue
            batch = self.batch(
                pending,
                invocations=o.invocations,
                scenario_s=scenario_s,
                batch_s=max(0.0, deadline - time.monotonic()),
                watch=IN_PROCESS_KINDS,
                stop_at_failure=True,
            )
            result = self.run_batch(batch)
            failure, consumed = self._account(result, pending)
            pending = pending[consumed:]
            if failure is None:
                continue
            same = [f for f in self.findings if f["kind"] == failure.kind]
            if any(f["confirmed"] for f in same) or len(same) >= UNCONFIRMED_TRIES:
                self.repeats[failure.kind] = self.repeats.get(failure.kind, 0) + 1
                continue
            detected = {
                "detected_after_s": time.monotonic() - self.started,
                "detected_after_runs": self.invocations,
            }
            number = len(self.findings) + len(self.engine_errors) + 1
            processed = finding.process(self, failure, number)
            record = dict(processed.record(), **detected)
            if processed.engine_error:
                # Not a finding about the subject: recorded with its reason, and its ops left out of
                # the rest of the search, which goes on with the others.
                self.engine_errors.append(record)
                self.excluded.update(record["ops"])
                operations = {n: s for n, s in every_op.items() if n not in self.excluded}
                if not operations:
                    return "engine-error"
                clean = [s for s in seen.values() if not self.excluded.intersection(s.op_names())]
                seen = {s.describe(): s for s in clean}
                pending = [s for s in pending if not self.excluded.intersection(s.op_names())]
                continue
            self.findings.append(record)
            if o.stop_after_finding and record["confirmed"]:
                return "finding"
        return "budget"

    def _account(self, result, pending):
        """Count what a search batch did; (Failure or None, scenarios consumed)."""
        for summary in result.summaries.values():
            self.scenarios_run += 1
            self.invocations += summary["runs"]
            self.unknown += summary["counts"].get(UNKNOWN, 0)
            self.nondeterministic += summary["counts"].get(NONDETERMINISTIC, 0)
            for name, (runs, failures) in (summary.get("schedules") or {}).items():
                stats = self.schedule_stats.setdefault(name, [0, 0])
                stats[0] += runs
                stats[1] += failures
        if result.status in rate.DEATHS:
            if result.in_flight is None:
                raise launch.WorkerError("stress worker died before its first scenario:\n" + result.trace)
            self.scenarios_run += 1
            runs = result.runs_in_flight + 1
            self.invocations += runs
            index = result.in_flight
            failure = Failure(
                result.status,
                pending[index],
                death_summary(result),
                None,
                result.trace,
                result.returncode,
                runs,
                result.schedule_in_flight,
            )
            stats = self.schedule_stats.setdefault(result.schedule_in_flight, [0, 0])
            stats[0] += 1
            stats[1] += 1
            return failure, index + 1
        hit = result.failure()
        if hit is None:
            return None, (max(result.summaries) + 1 if result.summaries else 0)
        index, summary = hit
        first = summary["first"]
        failure = Failure(
            first["kind"], pending[index], first["summary"], first["table"], "", 0, first["invocation"],
            first.get("schedule") or "random", bool(first.get("nondeterministic")),
        )
        return failure, index + 1


def run(job):
    started = time.monotonic()
    options = Options.from_mapping(job.get("options") or {})
    timeout = job.get("timeout_s")
    hard_deadline = started + timeout - 2.0 - TIMEOUT_MARGIN_S if timeout else float("inf")
    probe_cls = load_probe_class(options.probe)
    seed = options.seed if options.seed is not None else random.SystemRandom().randrange(2**31)
    artifacts_dir = job.get("artifacts_dir") or os.getcwd()
    os.makedirs(artifacts_dir, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ftlab-stress-") as workdir:
        search = Search(options, probe_cls, seed, workdir, artifacts_dir, hard_deadline)
        with launch.spare_workers():
            stopped = search.search()
            races = search.race_findings() if search.races else []
    signals_out = [
        protocol.signal(
            f["kind"],
            f["summary"],
            probe=options.probe,
            scenario=f["scenario"],
            rate=f["rate"],
            repro=f["repro"],
            table=f["table"],
            detail=f["detail"],
            trace=f["trace"],
            signal=f["signal"],
            concurrent=f["concurrent"],
            confirmed=f["confirmed"],
            unconfirmed_reason=f["unconfirmed_reason"] or None,
            scenario_portable=f["scenario_portable"],
            schedule=f["schedule"],
            hang_s=options.hang_s,
            check_budget=options.check_budget,
            # Whether the scenario is minimal: ops before and after, rounds, complete or out of budget.
            minimization=f["minimization"],
        )
        for f in search.findings
    ]
    signals_out += [
        protocol.signal(
            "data-race",
            f["summary"],
            probe=options.probe,
            module=f["module"],
            location=f["location"],
            function=f["function"],
            stacks=f["stacks"],
            report=f["report"],
            scenario=f["scenario"],
            rate=f["rate"],
            rate_unit=f["rate_unit"],
            concurrent=True,
        )
        for f in races
    ]
    data = {
        "probe": options.probe,
        "subject": probe_cls.subject,
        "seed": seed,
        "options": asdict(options),
        "switch_interval": search.switch_interval,
        "scenarios_run": search.scenarios_run,
        "invocations": search.invocations,
        "ops": list(probe_cls.operations()),  # what the probe races; coverage subtracts excluded_ops
        "unknown": search.unknown,
        "nondeterministic": search.nondeterministic,
        "elapsed_s": time.monotonic() - started,
        "stopped": stopped,
        "findings": search.findings,
        "repeats": search.repeats,
        "engine_errors": search.engine_errors,
        "excluded_ops": sorted(search.excluded),
        "schedules": {name: {"invocations": r, "failures": f} for name, (r, f) in search.schedule_stats.items()},
        "tsan": search.tsan,
        "data_races": races,
        "interpreter_races": search.interpreter_races,
    }
    status = "findings" if signals_out else "ok"
    if search.engine_errors and not signals_out and not set(probe_cls.operations()) - search.excluded:
        # Every op was left out: the probe tested nothing. An error result is what the lab shows as
        # such (a reason, never gating). With ops left, the rest was searched and the result stands,
        # the left-out ops listed with it (the lab names them with the verdict).
        status = "error"
        data["error"] = "; ".join(e["reason"] for e in search.engine_errors)
    counts = scaling.thread_counts()
    # Interpreter start, hypothesis import and the draw, on top of the measurement itself.
    scaling_timeout = options.scaling_s * len(counts) + 20.0
    if options.scaling_s > 0 and status == "ok" and time.monotonic() + scaling_timeout < hard_deadline:
        with tempfile.TemporaryDirectory(prefix="ftlab-scaling-") as workdir:
            measured = scaling.run_in_child(options.probe, seed, options.scaling_s, workdir, scaling_timeout)
        data["scaling"] = measured.get("scaling")
        if measured.get("error"):
            data["scaling_error"] = measured["error"]
    return {"status": status, "data": data, "signals": signals_out}
