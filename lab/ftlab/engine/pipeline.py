"""One run, end to end: lanes and subjects in, results stored, verdicts and go/no-go out."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ftlab
from ftlab.cli.progress import Reporter
from ftlab.deps.lock import Lock
from ftlab.deps.lock import resolve as resolve_lock
from ftlab.engine import runlock
from ftlab.engine.checks import CHECKS
from ftlab.engine.checks.base import RunContext
from ftlab.engine.plan import plan
from ftlab.engine.runner import make_executor, run_overlapped
from ftlab.errors import LOW_SPACE_BYTES, DiskFullError, StoreError, UsageError, free_bytes, is_disk_full
from ftlab.judgement.judge import judge, ordered
from ftlab.judgement.verdict import decide, verdicts
from ftlab.lanes import interpreters as lanes_mod
from ftlab.lanes.envs import forecast_builds
from ftlab.records import Decision, Job, Lane, Result, Subject, Verdict
from ftlab.store.db import RunRecord, Store, new_run_id


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


@dataclass(frozen=True, kw_only=True)
class RunOutcome:
    run_id: str
    lanes: tuple[Lane, ...]
    results: tuple[Result, ...]
    verdicts: tuple[Verdict, ...]
    decision: Decision
    store_path: Path
    artifacts_dir: Path

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "lanes": [lane_json(lane) for lane in self.lanes],
            "results": [r.to_json() for r in self.results],
            "verdicts": [v.to_json() for v in self.verdicts],
            # Judged against the baseline GIL lane, what is new on 3.14t first (ftlab.judgement.judge).
            "findings": [f.to_json() for f in ordered(judge(self.lanes, self.results), self.lanes)],
            "go": self.decision.go,
            "decision": self.decision.decision,
            "triggers": list(self.decision.triggers),
            "store": str(self.store_path),
            "artifacts_dir": str(self.artifacts_dir),
        }


def lane_json(lane: Lane) -> dict[str, Any]:
    """The documented lane shape of `lanes --json` and `run --json`."""
    return {
        "name": lane.name, "path": lane.path, "version": lane.version, "implementation": lane.implementation,
        "gil_disabled": lane.gil_disabled, "kind": lane.kind if lane.available or lane.version else "unknown",
        "abiflags": lane.abiflags, "ext_suffix": lane.ext_suffix, "platform_tags": list(lane.platform_tags),
        "source": lane.source, "spec": lane.spec, "available": lane.available, "reason": lane.reason,
        "sanitizer": lane.sanitizer,
    }


def execute(request: RunRequest, reporter: Reporter | None = None) -> RunOutcome:
    reporter = reporter or Reporter(quiet=True)
    store = Store(request.store_path)
    try:
        return _execute(request, store, reporter)
    finally:
        store.close()


def _execute(request: RunRequest, store: Store, reporter: Reporter) -> RunOutcome:
    if request.resume:
        run_id = resume_target(store, request.resume)
        ownership = runlock.acquire(store.artifacts_dir(run_id), run_id)
        try:
            previous = store.load_run(run_id)  # read once this process owns the run
            if previous.config.get("kind") == "survey":  # each subject has its own lock (lab/ftlab/engine/survey.py)
                raise UsageError(f"run {run_id} is a survey; finish it with 'ftlab survey --resume {run_id}'")
            if previous.status == "finished" and request.resume == "latest":
                raise UsageError(f"run {run_id} was finished by another ftlab process while this one waited "
                                 f"for it; nothing is left to resume (see it with 'ftlab report {run_id}')")
            lanes = previous.lanes
            subjects = previous.subjects
            checks = tuple(previous.config["checks"])
            options = previous.config.get("options", {})
            artifacts_dir = Path(previous.artifacts_dir)
            done = store.done_job_ids(run_id)
            lock = Lock.parse(previous.lock, source=f"run {run_id}'s lock") if previous.lock else None
            if previous.status == "finished":
                reporter.note(f"run {run_id} had finished: its jobs that ended in error run again, then its "
                              "verdicts are recomputed")
            else:
                reporter.note(f"resuming run {run_id}: {len(done)} jobs already recorded")
            store.reopen_run(run_id)
        except BaseException:
            ownership.release()
            raise
    else:
        lanes = tuple(lanes_mod.resolve(request.lane_specs, provision_missing=request.provision))
        _check_forced_gil(request.options, lanes)
        subjects = request.subjects
        checks = request.checks
        options = dict(request.options)
        lock = _resolve_lock(subjects, checks, options, lanes, reporter)
        run_id, artifacts_dir, ownership = _new_run(request.store_path.parent / "runs")
        done = set()
        try:
            store.start_run(run_id=run_id, argv=list(request.argv), artifacts_dir=str(artifacts_dir),
                            ftlab_version=ftlab.__version__, lanes=lanes, subjects=subjects,
                            lock_text=lock.text if lock is not None else None,
                            config={"checks": list(checks), "lane_specs": list(request.lane_specs), "options": options})
        except BaseException:
            ownership.release()
            raise
    with ownership:
        for lane in lanes:
            if not lane.available:
                reporter.note(f"lane {lane.name}: unavailable: {lane.reason}")
            elif lane.reason:
                reporter.note(f"lane {lane.name} ({lane.kind}, {lane.path}): {lane.reason}")
        ctx = RunContext(run_id=run_id, artifacts_dir=artifacts_dir, lanes=lanes, subjects=subjects, options=options)
        ctx.prepared["lock"] = lock
        try:
            record, verdict_list, decision = _run_plan(ctx, store, checks, done, lock, request, reporter)
        except KeyboardInterrupt:
            store.mark_interrupted(run_id)
            raise
        except StoreError as exc:
            raise type(exc)(f"{exc}; then finish run {run_id} with 'ftlab run --resume {run_id}'") from None
        except OSError as exc:
            if not is_disk_full(exc):
                raise
            raise DiskFullError(f"the disk is full: no space left on the disk of '{exc.filename or artifacts_dir}'; free some space "
                                f"(results recorded so far are kept), then finish run {run_id} with "
                                f"'ftlab run --resume {run_id}'") from None
    return RunOutcome(run_id=run_id, lanes=tuple(lanes), results=record.results, verdicts=tuple(verdict_list),
                      decision=decision, store_path=store.path, artifacts_dir=artifacts_dir)


def _run_plan(ctx: RunContext, store: Store, checks, done: set[str], lock: Lock | None, request: RunRequest,
              reporter: Reporter):
    # Local threads, or a Dask cluster (lab/ftlab/engine/distributed.py: its workers build their own lane venvs).
    with make_executor(request.jobs, ctx.options) as executor:
        return _run_stages(ctx, store, checks, done, lock, executor, reporter)


def _run_stages(ctx: RunContext, store: Store, checks, done: set[str], lock: Lock | None, executor,
                reporter: Reporter):
    run_id, artifacts_dir, lanes, subjects = ctx.run_id, ctx.artifacts_dir, ctx.lanes, ctx.subjects
    artifacts_dir.mkdir(parents=True, exist_ok=True)
    stages = plan(run_id, subjects, lanes, checks, ctx)
    pending, estimates = _announce_builds(ctx, lock, checks, executor, reporter)
    if pending:
        # Builds from source run beside the other packages' checks (ftlab.engine.runner.run_overlapped).
        _build_envs(ctx, lock, reporter, defer=pending)
        run_overlapped(ctx, store, stages, done, executor, reporter, lock=lock, pending=pending, estimates=estimates,
                       record=lambda result: _record(store, artifacts_dir, result))
        stages = []
    for stage in stages:
        if not stage:
            continue
        check = CHECKS[stage[0].check]
        todo = [j for j in stage if j.job_id not in done]
        skipped = [j for j in todo if not j.lane.available]
        runnable = [j for j in todo if j.lane.available]
        for job in skipped:
            store.record_result(_skipped(job, f"lane unavailable: {job.lane.reason}"))
        if runnable and check.needs_env and "envs" not in ctx.prepared and executor.local:
            _build_envs(ctx, lock, reporter)
        if runnable and executor.local:
            check.prepare(ctx, reporter)
        with reporter.stage(check.name, len(runnable)):
            for result in executor.run_check(check, ctx, runnable):
                if result.status in ("error", "crash", "timeout"):
                    _stop_if_disk_full(artifacts_dir)
                store.record_result(result)
                reporter.advance(executor.describe(result))
        stored = list(store.results(run_id, check.name))
        for before, after in zip(stored, check.finalize(ctx, stored), strict=True):
            if after != before:
                store.record_result(after)
    record = store.load_run(run_id)
    found = judge(lanes, record.results)
    verdict_list = verdicts(subjects, lanes, record.results, found)
    decision = decide(lanes, record.results, verdict_list, found)
    store.finish_run(run_id, verdicts=verdict_list, decision=decision)
    return record, verdict_list, decision


def _record(store: Store, artifacts_dir: Path, result: Result) -> None:
    if result.status in ("error", "crash", "timeout"):
        _stop_if_disk_full(artifacts_dir)
    store.record_result(result)


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


def resume_target(store: Store, ref: str | None) -> str:
    """The run `--resume` continues: `latest` (or nothing) is the newest run that did not finish and
    that no live ftlab process is executing; anything else names a run as `ftlab report` does."""
    if ref not in (None, "latest"):
        return store.resolve_run_id(ref)
    owners = [(rid, runlock.owner(art)) for rid, _, art in store.unfinished_runs()]
    free = [rid for rid, pid in owners if pid is None]
    if free:
        return free[-1]
    if owners:
        busy = ", ".join(f"{rid} by ftlab process {pid}" if pid > 0 else f"{rid} by another ftlab process"
                         for rid, pid in owners)
        raise UsageError(f"every unfinished run in the store at '{store.path}' is being executed ({busy}); "
                         "wait for it to finish, or stop that process and resume")
    raise UsageError(f"no unfinished run to resume in the store at '{store.path}'; start one with 'ftlab run' "
                     "(see 'ftlab runs')")


def _new_run(runs_dir: Path) -> tuple[str, Path, runlock.RunOwnership]:
    """A fresh run id, its folder and its lock. Creating the folder claims the id: another ftlab process
    starting a run on the same store in the same second gets another one."""
    artifacts_dir = runs_dir
    try:
        runs_dir.mkdir(parents=True, exist_ok=True)
        while True:
            run_id = new_run_id()
            artifacts_dir = (runs_dir / run_id).resolve()
            try:
                artifacts_dir.mkdir()
            except FileExistsError:
                continue
            return run_id, artifacts_dir, runlock.acquire(artifacts_dir, run_id)
    except OSError as exc:
        if is_disk_full(exc):
            raise DiskFullError(f"the disk is full: no space left to create the run folder '{artifacts_dir}'; free some space "
                                "or pass --store PATH on another disk") from None
        raise StoreError(f"cannot create the run folder '{artifacts_dir}' ({exc.strerror}); pass --store PATH "
                         "in a writable directory") from None


def _stop_if_disk_full(artifacts_dir: Path) -> None:
    """A failed job on a full disk failed because of the disk: stop (resumably) instead of recording it."""
    free = free_bytes(artifacts_dir)
    if free is not None and free < LOW_SPACE_BYTES:
        raise DiskFullError(f"the disk holding '{artifacts_dir}' is full ({free} bytes free); free some space "
                            "(results recorded so far are kept)")


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
    versions = sorted(tuple(int(x) for x in lane.version.split(".")[:2]) for lane in lanes if lane.version)
    python_version = f"{versions[0][0]}.{versions[0][1]}" if versions else "3.14"
    reporter.note(f"resolving {len(installable)} subject(s) into one lock for Python {python_version}+ ...")
    return resolve_lock(installable, index_url=options.get("index_url"), python_version=python_version)


def _build_envs(ctx: RunContext, lock: Lock | None, reporter: Reporter, defer: dict[str, frozenset[str]] | None = None) -> None:
    """One venv per available lane, filled from the lock; lanes are built in parallel. Pins in
    ``defer[lane]`` are left pending (built later, beside the checks)."""
    from concurrent.futures import ThreadPoolExecutor

    from ftlab.lanes.envs import build_env, pin_timeout

    lock = lock or Lock(pins=(), text="", index_url="", python_version="")
    root = ctx.artifacts_dir / "envs"
    root.mkdir(parents=True, exist_ok=True)
    available = [lane for lane in ctx.lanes if lane.available]
    for lane in available:
        # A resumed run rebuilds its venvs: the interrupted process may have left them half-filled.
        if (root / lane.name).exists():
            shutil.rmtree(root / lane.name)
    envs = {}
    with reporter.stage(f"installing {len(lock.pins)} pins", len(available)), \
            ThreadPoolExecutor(max_workers=max(1, len(available))) as pool:
        futures = {pool.submit(build_env, lane, lock, root, wheels_only=bool(ctx.options.get("wheels_only")),
                               timeout_s=pin_timeout(ctx.options), defer=(defer or {}).get(lane.name, frozenset())): lane
                   for lane in available}
        for fut, lane in futures.items():
            env = fut.result()
            envs[lane.name] = env
            if env.ok:
                ctx.lane_pythons[lane.name] = env.python
            failed = sum(d.outcome == "failed" for d in env.dists)
            reporter.advance(f"{lane.name}: {len(env.dists) - failed} installed, {failed} failed" if env.ok else f"{lane.name}: {env.reason}")
    ctx.prepared["envs"] = envs


def _skipped(job: Job, reason: str) -> Result:
    return Result(job_id=job.job_id, run_id=job.run_id, subject=job.subject.name, lane=job.lane.name,
                  check=job.check, status="skipped", reason=reason)


def outcome_from_record(record: RunRecord) -> RunOutcome:
    """A stored run in the same shape `execute` returns, for reports and `--json` of old runs."""
    return RunOutcome(run_id=record.run_id, lanes=record.lanes, results=record.results,
                      verdicts=record.verdicts, decision=record.decision or Decision(decision="undecided",
                      triggers=("run did not finish",)), store_path=Path(), artifacts_dir=Path(record.artifacts_dir))

