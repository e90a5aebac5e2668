"""The `stress` check, host side: race each subject's API from many threads on each lane.

A subject with hand-written probes (probes/ftlab_probes/catalog.py: ``stdlib`` and popular packages) runs those;
any other subject gets auto-probes: a screening child (``python -m ftlab_probes.auto``) reads the
distribution's top-level modules in the lane and returns probe specs, which then run like any probe.
Each probe is one ``ftlab_probes.runtime stress`` child; the subject's budget is shared between its probes
and their signals are merged into one result.

Replay before "new" (``finalize``, after every lane's stress jobs): each lane's search has its own
budget, so a race both builds have may be hit by one search only (bidict's ``MutableBidict`` gated as
new on 3.14t for that reason). Every finding of a free-threaded lane that its baseline GIL lane's
search did not show is replayed there (``ftlab_probes.runtime stress-replay``: its minimal scenario,
REPLAY_RUNS times within REPLAY_S) and the record is stored in its evidence (``baseline_replay``:
lane, failures, runs, relation ``shared`` or ``new``, or why no replay ran); the judgement reads it. Auto-probe signals say so in their evidence
(``auto_probe: true`` and the calls of the minimal scenario), so a reader can tell "an object nobody
documented as thread-safe misbehaves when shared" from a hand-written probe's finding.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

from ftlab.coverage import of_stress
from ftlab.engine.checks.base import Check, RunContext, not_testable, result_from_outcome, run_runtime
from ftlab.errors import ProtocolError
from ftlab.judgement.judge import baselines, signal_key
from ftlab.lanes.subjects import declared_probes
from ftlab.records import Job, Lane, Result, Signal, Subject
from ftlab.sandbox import process as sandbox

#: Seconds of search per subject and lane unless --budget says otherwise.
DEFAULT_BUDGET_S = 20.0
#: Below this a probe spends its time starting workers and drawing scenarios, not racing.
MIN_PROBE_BUDGET_S = 3.0
#: Minimising a finding and measuring its rate, per probe: a fraction of the budget, within bounds.
MINIMIZE_S = (5.0, 20.0)
#: A finding's confirmation (the minimal scenario replayed on a budget of its own, job option
#: rate_s) and its sequential control (finding.CONTROL_S), per probe, on top of minimisation.
CONFIRM_S = 5.0 + 2.0
#: A stress child's fixed costs beyond budget, minimisation and confirmation: interpreter and
#: hypothesis start, workers, repro writing, and job.py's own margins.
CHILD_OVERHEAD_S = 45.0
#: Replay before "new": replays of a free-threaded finding's minimal scenario on the baseline GIL lane,
#: and seconds for them, at most. The same order as the finding's own confirmation (1000 runs): a
#: race seen at rate p on the GIL build is missed with odds (1-p)^1000, under 1e-4 for p >= 1%.
#: 10 s covers 1000 runs of a small scenario on 2 cores, or a few crashes (a worker start each).
REPLAY_RUNS = 1000
REPLAY_S = 10.0
#: The replay child's fixed costs: interpreter, hypothesis and probe import, worker starts.
REPLAY_OVERHEAD_S = 40.0
#: Kinds replayed on the baseline lane (a data race needs a ThreadSanitizer build to show at all).
REPLAYED_KINDS = frozenset({"corruption", "unexpected-exception", "invariant-broken", "crash", "hang"})
#: Seconds per thread count when measuring a subject's thread scaling (its first clean probe; the
#: report plots one line per subject and lane). Two counts on 2 cores: about 2 s with process start.
SCALING_S = 0.5
#: Screening a distribution's modules for auto-probes (each module in its own process, restarts
#: included); screening a typical module takes under a second.
SCREEN_TIMEOUT_S = 240.0
#: How much longer a stress child may take on a ThreadSanitizer lane: every worker starts and runs
#: instrumented (5-15x slower), and each race report is symbolised as it is printed.
TSAN_SLOWDOWN = 5.0


@dataclasses.dataclass(frozen=True, kw_only=True)
class PlannedProbe:
    probe: str
    kind: str  # hand-written | auto
    budget_s: float
    expected_finding: Any = None
    #: A real, undocumented bug the probe is known to find (probes/FINDINGS.md): said so, and it gates.
    known_issue: str | None = None


def budget_of(ctx: RunContext) -> float:
    return float(ctx.options.get("budget_s") or DEFAULT_BUDGET_S)


def minimize_for(budget_s: float) -> float:
    return max(MINIMIZE_S[0], min(MINIMIZE_S[1], budget_s))


def share_budget(probes: list[tuple[str, str, Any]], budget_s: float) -> tuple[list[PlannedProbe], list[str]]:
    """Split a subject's budget between its probes, in order; probes past what the budget allows
    at MIN_PROBE_BUDGET_S each are returned as skipped (a reason in the result, never silent)."""
    if not probes:
        return [], []
    fits = max(1, int(budget_s // MIN_PROBE_BUDGET_S))
    chosen = probes[:fits]
    each = budget_s / len(chosen)
    planned = [PlannedProbe(probe=p, kind=k, budget_s=round(each, 3), expected_finding=e) for p, k, e in chosen]
    return planned, [p for p, _, _ in probes[fits:]]


def child_timeout(budget_s: float) -> float:
    return budget_s + minimize_for(budget_s) + CONFIRM_S + CHILD_OVERHEAD_S


def auto_calls(evidence: dict[str, Any]) -> list[str]:
    """The calls of a finding's minimal scenario, labelled by part ("t0 add(3)")."""
    scenario = evidence.get("scenario") or {}
    calls = [f"init {c}" for c in scenario.get("init", [])]
    for i, thread in enumerate(scenario.get("threads", [])):
        calls += [f"t{i} {c}" for c in thread]
    calls += [f"post {c}" for c in scenario.get("post", [])]
    return calls


def auto_target(probe: str) -> str:
    """``ftlab_probes.auto:cls:pkg.mod:Cls:...`` -> ``pkg.mod.Cls``; ``ftlab_probes.auto:fn:pkg:...`` -> ``pkg functions``."""
    parts = probe.split(":", 1)[-1].split(":")
    if parts[0] == "cls" and len(parts) > 2:
        return f"{parts[1]}.{parts[2]}"
    return f"{parts[1] if len(parts) > 1 else '?'} functions"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text)[:60].strip("_")


class StressCheck(Check):
    name = "stress"
    description = ("race each subject's API from many threads (hand-written probes, else auto-probes): "
                   "crashes, hangs, corruption, with minimal scenarios and repro scripts")
    needs_env = True
    subject_kinds = frozenset({"requirement", "project", "fixture", "stdlib"})

    def timeout_for(self, ctx: RunContext) -> float:
        # Informational for the job record: each child below has its own timeout.
        budget = budget_of(ctx)
        return SCREEN_TIMEOUT_S + budget + (budget // MIN_PROBE_BUDGET_S + 1) * (
            MINIMIZE_S[1] + CONFIRM_S + CHILD_OVERHEAD_S)

    def prepare(self, ctx: RunContext, progress: Any = None) -> None:
        if "probe_catalog" not in ctx.prepared:
            from ftlab.engine.checks.probes_list import load_catalog

            ctx.prepared["probe_catalog"] = load_catalog(workdir=_mkdir(ctx.artifacts_dir / "stress" / "catalog"))

    def run(self, job: Job, ctx: RunContext) -> Result:
        common = dict(job_id=job.job_id, run_id=job.run_id, subject=job.subject.name, lane=job.lane.name,
                      check=job.check)
        untestable = not_testable(job, ctx)
        if untestable is not None:
            return untestable
        env = ctx.prepared["envs"][job.lane.name]
        if not env.runtime_ok:
            reason = f"the stress runtime cannot run on this lane: {env.runtime_reason or 'hypothesis missing'}"
            return Result(status="skipped", reason=reason, **common)
        workdir = _mkdir(ctx.job_dir(job))
        budget = budget_of(ctx)
        data: dict[str, Any] = {"budget_s": budget, "probes": []}
        from ftlab.engine.checks.probes_list import probes_for

        hand = probes_for(job.subject.name, ctx.prepared.get("probe_catalog") or [])
        declared = declared_probes(job.subject)
        known_issues = {} if declared else {e["probe"]: e.get("known_issue") for e in hand}
        if declared:
            candidates = [(probe, "declared", None) for probe in declared]
        elif hand:
            candidates = [(e["probe"], "hand-written", e.get("expected_finding")) for e in hand]
        else:
            screened = self._screen(job, ctx, workdir)
            data["auto"] = screened
            if screened.get("error"):
                return Result(status="error", reason=screened["error"], data=data, artifacts_dir=str(workdir),
                              **common)
            candidates = [("ftlab_probes.auto:" + spec, "auto", None) for spec in screened["specs"]]
            if not candidates:
                # Tested as far as it can be: screening ran and left nothing that can be called safely
                # from threads (no public functions or argument-free classes). Not a gap in the run,
                # but no stress test either: the verdict must not name stress among its checks.
                data["nothing_tested"] = True
                data["coverage"] = of_stress(data).to_json()
                return Result(status="ok", reason="auto-probe: nothing in the public API passed screening",
                              data=data, artifacts_dir=str(workdir), **common)
        planned, skipped = share_budget(candidates, budget)
        data["skipped_probes"] = [{"probe": p, "reason": "the subject's budget is spent (raise --budget)"}
                                  for p in skipped]
        signals: list[Signal] = []
        duration = 0.0
        errors = []
        left_out = []  # ops a probe could not test (engine errors: not races), named with the verdict
        for index, plan in enumerate(planned):
            result = self._run_probe(job, ctx, workdir / f"{index:02d}-{_slug(plan.probe.split(':', 1)[-1])}", plan,
                                     scaling_s=0.0 if "scaling" in data else SCALING_S)
            duration += result.duration_s
            row = {"probe": plan.probe, "kind": plan.kind, "budget_s": plan.budget_s, "status": result.status,
                   "reason": result.reason, "duration_s": round(result.duration_s, 3),
                   "expected_finding": plan.expected_finding, "artifacts_dir": result.artifacts_dir}
            for key in ("scenarios_run", "invocations", "unknown", "elapsed_s", "stopped", "seed", "switch_interval",
                        "scaling", "scaling_error", "engine_errors", "excluded_ops", "ops"):
                if key in result.data:
                    row[key] = result.data[key]
            data["probes"].append(row)
            # The report plots one scaling line per result: the subject's first probe measured.
            if result.data.get("scaling") and "scaling" not in data:
                data["scaling"] = result.data["scaling"]
                data["scaling_probe"] = plan.probe
            if result.status == "error":
                errors.append(f"{plan.probe}: {result.reason}")
            elif result.data.get("excluded_ops"):
                left_out.append(f"{plan.probe}: {', '.join(result.data['excluded_ops'])}")
            signals.extend(self._label(s, plan, known_issues.get(plan.probe)) for s in result.signals)
        status = "findings" if signals else ("error" if errors and len(errors) == len(planned) else "ok")
        reason = "; ".join(errors)[:500] if status == "error" else ""
        if errors and status != "error":
            data["probe_errors"] = errors
        if left_out and status != "error":
            reason = ("ops left out, their failures not races (engine errors in the result): "
                      + "; ".join(left_out))[:500]
        # What was found, screened, dropped and raced (ftlab.coverage): the verdict rests on stress only
        # when some op was raced.
        data["coverage"] = of_stress(data).to_json()
        return Result(status=status, signals=tuple(signals), data=data, reason=reason, duration_s=duration,
                      artifacts_dir=str(workdir), **common)

    def finalize(self, ctx: RunContext, results: list[Result]) -> list[Result]:
        """Replay before "new": each free-threaded finding the baseline's search did not show is
        replayed on the baseline GIL lane, and the record kept in its evidence (module docstring)."""
        base_of = baselines(ctx.lanes)
        lanes = {lane.name: lane for lane in ctx.lanes}
        by_cell = {(r.subject, r.lane): r for r in results}
        out = []
        for r in results:
            base_name = base_of.get(r.lane, "")
            if not base_name or r.status != "findings":
                out.append(r)
                continue
            base = by_cell.get((r.subject, base_name))
            signals = tuple(self._replayed(r, s, base, lanes[base_name], ctx, number)
                            for number, s in enumerate(r.signals))
            out.append(r if signals == r.signals else dataclasses.replace(r, signals=signals))
        return out

    def _replayed(self, r: Result, s: Signal, base: Result | None, base_lane: Lane, ctx: RunContext,
                  number: int) -> Signal:
        """``s`` with its ``baseline_replay`` record (unchanged when it needs none or has one)."""
        ev = s.evidence
        if s.kind not in REPLAYED_KINDS or "baseline_replay" in ev:
            return s
        if base is not None and any(signal_key(base.check, b) == signal_key(r.check, s) for b in base.signals):
            return s  # the baseline's own search found it: shared, no replay needed
        record: dict[str, Any] = {"lane": base_lane.name, "failures": 0, "runs": 0}
        env = ctx.prepared.get("envs", {}).get(base_lane.name)
        if not ev.get("scenario_portable") or not ev.get("probe"):
            record["reason"] = "not replayed: the finding carries no portable scenario (a result from an older ftlab)"
        elif base is None or base.status not in ("ok", "findings"):
            record["reason"] = f"not replayed: no stress result for {r.subject} on {base_lane.name}"
        elif env is None or not env.ok or not env.runtime_ok:
            record["reason"] = f"not replayed: the environment of {base_lane.name} is not usable on this machine"
        else:
            record.update(self._replay(r, s, base_lane, ctx, number))
        summary = s.summary
        if record["runs"]:
            record["relation"], summary = replay_reading(s.summary, record, base_lane.name, confirmed=ev.get("confirmed"))
        return Signal(kind=s.kind, summary=summary, evidence={**ev, "baseline_replay": record})

    def _replay(self, r: Result, s: Signal, base_lane: Lane, ctx: RunContext, number: int) -> dict[str, Any]:
        """Run the finding's minimal scenario on the baseline lane; the replay's counts, or why none."""
        ev = s.evidence
        subject = next((x for x in ctx.subjects if x.name == r.subject), Subject(name=r.subject))
        job = Job(job_id=f"{r.job_id}/replay-{number}", run_id=r.run_id, subject=subject, lane=base_lane,
                  check="stress", timeout_s=REPLAY_S + REPLAY_OVERHEAD_S)
        options = {"probe": ev["probe"], "scenario": ev["scenario_portable"], "kind": s.kind, "runs": REPLAY_RUNS,
                   "time_s": REPLAY_S, "schedule": ev.get("schedule") or "random",
                   "hang_s": ev.get("hang_s") or 2.0, "check_budget": ev.get("check_budget") or 50_000}
        workdir = _mkdir(Path(r.artifacts_dir or ctx.artifacts_dir) / f"replay-{number}-on-{_slug(base_lane.name)}")
        child_job, outcome = self._child(job, ctx, workdir, "ftlab_probes.runtime", "stress-replay", options,
                                         job.timeout_s)
        doc = outcome.result
        if doc is None or doc.get("status") != "ok":
            reason = (result_from_outcome(child_job, outcome, workdir).reason if doc is None
                      else str((doc.get("data") or {}).get("traceback", ""))[-300:])
            return {"reason": f"the replay on {base_lane.name} ended without a count: {reason}"[:500],
                    "artifacts_dir": str(workdir)}
        data = doc.get("data") or {}
        return {"failures": int(data.get("failures", 0)), "runs": int(data.get("runs", 0)),
                "nondeterministic": int(data.get("nondeterministic", 0)), "detail": data.get("detail") or "",
                "elapsed_s": round(float(data.get("elapsed_s", 0.0)), 3), "artifacts_dir": str(workdir)}

    # -- steps --------------------------------------------------------------------------------------

    def _child(self, job: Job, ctx: RunContext, workdir: Path, module: str, command: str | None,
               options: dict[str, Any], timeout_s: float) -> tuple[Job, sandbox.ChildOutcome]:
        child_job = dataclasses.replace(job, timeout_s=timeout_s)
        outcome, _ = run_runtime(child_job, ctx, command, options, workdir=workdir, module=module)
        return child_job, outcome

    def _screen(self, job: Job, ctx: RunContext, workdir: Path) -> dict[str, Any]:
        """The auto-probe specs for a subject: ``{"specs", "modules", ...}`` or ``{"error"}``."""
        where = workdir / "autoprobe"
        options = {"distribution": job.subject.name}
        child_job, outcome = self._child(job, ctx, where, "ftlab_probes.auto", None, options, SCREEN_TIMEOUT_S)
        doc = outcome.result
        if doc is None:
            result = result_from_outcome(child_job, outcome, where)
            return {"error": f"auto-probe screening ended without a result: {result.reason}"}
        if doc.get("format") != "ftlab-result/1" or doc.get("job_id") != job.job_id:
            raise ProtocolError(f"auto-probe screening for '{job.subject.name}@{job.lane.name}' returned "
                                f"format {doc.get('format')!r}, expected 'ftlab-result/1'")
        data = doc.get("data") or {}
        if doc.get("status") == "error":
            data["error"] = f"auto-probe screening failed: {data.get('error', 'see ' + str(where))}"
        return data

    def _run_probe(self, job: Job, ctx: RunContext, workdir: Path, plan: PlannedProbe, *, scaling_s: float) -> Result:
        options = {"probe": plan.probe, "budget_s": plan.budget_s, "minimize_s": minimize_for(plan.budget_s),
                   "scaling_s": scaling_s}
        slowdown = TSAN_SLOWDOWN if job.lane.sanitizer == "thread" else 1.0
        child_job, outcome = self._child(job, ctx, workdir, "ftlab_probes.runtime", "stress", options,
                                         child_timeout(plan.budget_s) * slowdown)
        return result_from_outcome(child_job, outcome, workdir)

    def _label(self, signal: Signal, plan: PlannedProbe, known_issue: str | None = None) -> Signal:
        evidence = dict(signal.evidence)
        evidence.setdefault("probe", plan.probe)
        evidence["probe_kind"] = plan.kind
        summary = signal.summary
        if plan.kind == "auto":
            evidence["auto_probe"] = True
            evidence["calls"] = auto_calls(evidence)
            summary = f"auto-probe of {auto_target(plan.probe)}: {summary}"
        elif plan.expected_finding:
            evidence["expected_finding"] = plan.expected_finding
            summary = f"{summary} (known: see probes/FINDINGS.md)"
        elif known_issue:
            evidence["known_issue"] = known_issue
            summary = f"{summary} (known issue, not fixed upstream: see probes/FINDINGS.md)"
        return Signal(kind=signal.kind, summary=summary, evidence=evidence)


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def replay_reading(summary: str, record: dict[str, Any], base_name: str, *, confirmed: object) -> tuple[str, str]:
    """(relation, summary) of a free-threaded finding after its replay on the baseline lane: ``shared``
    when the baseline failed alike (replays the oracle did not trace to nondeterminism; or any, when
    the finding itself is unconfirmed for that reason: like is compared with like), else ``new``."""
    replays = f"{record['failures']} of {record['runs']} replays on {base_name}"
    real = record["failures"] - record.get("nondeterministic", 0)
    if real > 0:
        return "shared", f"{summary}; also reproduced on {base_name} ({replays})"
    if record["failures"]:
        relation = "shared" if confirmed is False else "new"
        return relation, (f"{summary}; on {base_name} alike in {replays}, which the oracle traced to results "
                          "that differ from run to run, not to concurrency")
    return "new", f"{summary}; not reproduced on {base_name} ({replays})"

