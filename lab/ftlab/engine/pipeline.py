"""One run, end to end: lanes and subjects in, results stored, verdicts and go/no-go out."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ftlab.deps.lock import Lock
from ftlab.deps.lock import resolve as resolve_lock
from ftlab.engine.checks import CHECKS
from ftlab.engine.checks.base import RunContext
from ftlab.engine.plan import plan
from ftlab.engine.runner import make_executor, run_overlapped
from ftlab.engine.session import RunSession, lock_python_version, resume_target, skipped
from ftlab.errors import UsageError
from ftlab.judgement.outcome import RunOutcome, from_record
from ftlab.lanes import interpreters as lanes_mod
from ftlab.lanes.envs import forecast_builds
from ftlab.progress import Reporter
from ftlab.records import Lane, Subject
from ftlab.store.db import RunRecord, Store

__all__ = ["RunOutcome", "RunRequest", "execute", "lane_json", "outcome_from_record", "resume_target"]


@dataclass(frozen=True, kw_only=True)
class RunRequest:
    subjects: tuple[Subject, ...] = ()
    lane_specs: tuple[str, ...] = ()
    checks: tuple[str, ...] = ("fingerprint",)
    store_path: Path = Path(".ftlab/ftlab.sqlite")
    jobs: int = 0  # 0: one per core
    provision: bool = True
    options: dict[str, Any] = field(default_factory=dict)
    argv: tuple[str, ...] = ()
    resume: str | None = None


def lane_json(lane: Lane) -> dict[str, Any]:
    """The documented lane shape of `lanes --json` and of the JSON report."""
    return lane.to_report_json()


def execute(request: RunRequest, reporter: Reporter | None = None) -> RunOutcome:
    reporter = reporter or Reporter(quiet=True)
    store = Store(request.store_path)
    try:
        return _execute(request, store, reporter)
    finally:
        store.close()


def _execute(request: RunRequest, store: Store, reporter: Reporter) -> RunOutcome:
    if request.resume:
        session = RunSession.resume(store, request.resume, kind="run", reporter=reporter)
    else:
        lanes = tuple(lanes_mod.resolve(request.lane_specs, provision_missing=request.provision))
        _check_forced_gil(request.options, lanes)
        options = dict(request.options)
        lock = _resolve_lock(request.subjects, request.checks, options, lanes, reporter)
        session = RunSession.start(store, lanes=lanes, subjects=request.subjects, checks=request.checks,
                                   options=options, argv=request.argv, lane_specs=request.lane_specs, lock=lock)
    with session:
        session.note_lanes(reporter)
        ctx = session.context()
        with session.guarded():
            # Local threads, or a Dask cluster (ftlab.engine.distributed: its workers build their own lane venvs).
            with make_executor(request.jobs, ctx.options) as executor:
                _run_stages(session, ctx, executor, reporter)
            return session.finish()


def _run_stages(session: RunSession, ctx: RunContext, executor, reporter: Reporter) -> None:
    session.artifacts_dir.mkdir(parents=True, exist_ok=True)
    stages = plan(session.run_id, session.subjects, session.lanes, session.checks, ctx)
    pending, estimates = _announce_builds(ctx, session.lock, session.checks, executor, reporter)
    if pending:
        # Builds from source run beside the other packages' checks (ftlab.engine.runner.run_overlapped).
        session.build_envs(ctx, reporter, defer=pending)
        run_overlapped(ctx, session.stored_results, stages, session.done, executor, reporter, lock=session.lock,
                       pending=pending, estimates=estimates, record=session.record)
        return
    for stage in stages:
        if not stage:
            continue
        check = CHECKS[stage[0].check]
        todo = [j for j in stage if j.job_id not in session.done]
        runnable = [j for j in todo if j.lane.available]
        for job in todo:
            if not job.lane.available:
                session.record(skipped(job, f"lane unavailable: {job.lane.reason}"))
        if runnable and check.needs_env and "envs" not in ctx.prepared and executor.local:
            session.build_envs(ctx, reporter)
        if runnable and executor.local:
            check.prepare(ctx, reporter)
        with reporter.stage(check.name, len(runnable)):
            for result in executor.run_check(check, ctx, runnable):
                session.record(result)
                reporter.advance(executor.describe(result))
        stored = list(session.stored_results(check.name))
        for before, after in zip(stored, check.finalize(ctx, stored), strict=True):
            if after != before:
                session.record(after)


def _announce_builds(ctx: RunContext, lock: Lock | None, checks, executor,
                     reporter: Reporter) -> tuple[dict[str, frozenset[str]], dict[str, float]]:
    """Pins with no wheel for a lane, read from the index before anything installs, announced with a
    rough cost: (lane name -> the pins to build beside the checks, lane name -> their estimated
    seconds); empty when there are none, or on Dask, whose workers build their own venvs."""
    if (lock is None or not executor.local or "envs" in ctx.prepared or ctx.options.get("wheels_only")
            or not any(CHECKS[c].needs_env for c in checks)):
        return {}, {}
    ahead, problem = forecast_builds(lock, ctx.lanes)
    if problem:
        reporter.note(f"could not tell ahead which pins build from source ({problem}); installing in order")
    for build in ahead:
        reporter.note(f"build ahead: {build.describe()}; its checks wait for it, the other packages' go on meanwhile")
    pending: dict[str, set[str]] = {}
    estimates: dict[str, float] = {}
    for build in ahead:
        pending.setdefault(build.lane, set()).add(build.name)
        estimates[build.lane] = estimates.get(build.lane, 0.0) + build.estimate_s
    return {lane: frozenset(names) for lane, names in pending.items()}, estimates


def _check_forced_gil(options: dict, lanes) -> None:
    """--gil=0 applies to free-threaded lanes (GIL lanes in the same run are the unforced baseline).
    With no free-threaded lane at all it could only fail: a GIL build refuses PYTHON_GIL=0 at startup."""
    if options.get("gil") is None or any(lane.gil_disabled for lane in lanes):
        return
    names = ", ".join(lane.name for lane in lanes)
    raise UsageError(
        f"--gil=0 needs a free-threaded lane, and every lane here is a GIL build ({names}), which refuses "
        "PYTHON_GIL=0 at startup (\"Disabling the GIL is not supported by this build\"); add --lane 3.14t"
    )


def _resolve_lock(subjects, checks, options, lanes, reporter: Reporter) -> Lock | None:
    """One lock for every lane of the run, resolved before anything is recorded (bad input: exit 2).

    Universal, and for the oldest lane's Python on up, so every lane installs the same pins (with
    markers where an answer differs by platform or version)."""
    installable = [s for s in subjects if s.kind != "stdlib"]
    if not installable or not any(CHECKS[c].needs_env for c in checks):
        return None
    python_version = lock_python_version(lanes)
    reporter.note(f"resolving {len(installable)} subject(s) into one lock for Python {python_version}+ ...")
    return resolve_lock(installable, index_url=options.get("index_url"), python_version=python_version)


def outcome_from_record(record: RunRecord) -> RunOutcome:
    """A stored run in the same shape `execute` returns (judged once), for reports and `--json` of old runs."""
    return from_record(record)
