"""One run session: the lifecycle every run shares, written once.

``ftlab run`` (ftlab.engine.pipeline), ``ftlab survey`` (ftlab.engine.survey), ``ftlab merge``
(ftlab.engine.merge) and ``ftlab check --installed`` (ftlab.engine.project_check) produce their results
only through a session, which owns:

- starting a run (a fresh id whose folder is claimed and locked, the run recorded) or resuming one
  (the run named, or the latest unfinished one no live process executes; owned before it is read;
  refused when it is of another kind, or was finished meanwhile by another process);
- building the lane environments (one venv per available lane, filled from the lock);
- recording results (a job that failed on a full disk stops the run, resumably, instead of being
  recorded as the job's failure);
- interruption and the disk (the run is marked interrupted; a full disk or a store error says how to
  finish the run with the command of its kind);
- finishing: the results judged once (ftlab.judgement.outcome), the verdicts and the decision stored.

A detached session (``check --installed``) stores nothing: the same lifecycle over results in memory.
"""

from __future__ import annotations

import shutil
import signal
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ftlab.deps.lock import Lock
from ftlab.engine.checks.base import RunContext
from ftlab.errors import LOW_SPACE_BYTES, DiskFullError, StoreError, UsageError, free_bytes, is_disk_full
from ftlab.judgement.outcome import RunOutcome, judged
from ftlab.lanes.envs import build_env, pin_timeout
from ftlab.records import Lane, Result, Subject
from ftlab.sandbox import process as sandbox
from ftlab.store import runlock
from ftlab.store.db import Store, new_run_id
from ftlab.version import __version__

#: The kinds of run a store holds, and the command that finishes an unfinished one of each kind.
RESUME_COMMAND = {"run": "ftlab run --resume", "survey": "ftlab survey --resume"}


def cancel_on_signals() -> None:
    """Ctrl-C or SIGTERM cancel a run at once: every sandbox is killed whole before the run unwinds
    (instead of waiting for the jobs running now), then it ends as interrupted, resumable."""

    def cancel(signum: int, _frame: object) -> None:
        sandbox.kill_all()
        raise KeyboardInterrupt

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, cancel)


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


def claim_run_folder(runs_dir: Path) -> tuple[str, Path, runlock.RunOwnership]:
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


def lock_python_version(lanes: Sequence[Lane]) -> str:
    """The Python a run's lock is resolved for (and up): the oldest lane's major.minor; 3.14 without any."""
    known = sorted(lane.release[:2] for lane in lanes if len(lane.release) >= 2)
    return "{}.{}".format(*known[0]) if known else "3.14"


def stop_if_disk_full(artifacts_dir: Path) -> None:
    """A failed job on a full disk failed because of the disk: stop (resumably) instead of recording it."""
    free = free_bytes(artifacts_dir)
    if free is not None and free < LOW_SPACE_BYTES:
        raise DiskFullError(f"the disk holding '{artifacts_dir}' is full ({free} bytes free); free some space "
                            "(results recorded so far are kept)")


class RunSession:
    """One run from start (or resume) to its judged outcome. Use as a context manager: leaving it
    releases the run's ownership (runlock)."""

    def __init__(self, *, store: Store | None, kind: str, run_id: str, artifacts_dir: Path, lanes: Sequence[Lane],
                 subjects: Sequence[Subject], checks: Sequence[str], options: dict[str, Any], lock: Lock | None,
                 done: set[str], ownership: runlock.RunOwnership | None, resumed: bool = False):
        self.store = store
        self.kind = kind
        self.run_id = run_id
        self.artifacts_dir = Path(artifacts_dir)
        self.lanes = tuple(lanes)
        self.subjects = tuple(subjects)
        self.checks = tuple(checks)
        self.options = options
        self.lock = lock
        #: Job ids already recorded (a resumed run skips them).
        self.done = done
        self.resumed = resumed
        self._ownership = ownership
        self._memory: list[Result] = []  # a detached session's results

    # -- start, resume, detached -----------------------------------------------------------------------

    @classmethod
    def start(cls, store: Store, *, kind: str = "run", lanes: Sequence[Lane], subjects: Sequence[Subject],
              checks: Sequence[str], options: dict[str, Any], argv: Sequence[str], lane_specs: Sequence[str] = (),
              lock: Lock | None = None, lock_text: str | None = None, config: dict[str, Any] | None = None) -> RunSession:
        """A new run in ``store``: its folder beside the store claimed and locked, then the run recorded.
        ``config`` replaces the stored configuration (merge keeps its shards'); otherwise it is built here."""
        run_id, artifacts_dir, ownership = claim_run_folder(store.path.parent / "runs")
        if config is None:
            config = {"checks": list(checks), "lane_specs": list(lane_specs), "options": options}
            if kind == "survey":
                config = {"kind": "survey", **config}
        try:
            store.start_run(run_id=run_id, argv=list(argv), artifacts_dir=str(artifacts_dir),
                            ftlab_version=__version__, lanes=tuple(lanes), subjects=tuple(subjects),
                            lock_text=lock.text if lock is not None else lock_text, config=config)
        except BaseException:
            ownership.release()
            raise
        return cls(store=store, kind=kind, run_id=run_id, artifacts_dir=artifacts_dir, lanes=lanes, subjects=subjects,
                   checks=checks, options=options, lock=lock, done=set(), ownership=ownership)

    @classmethod
    def resume(cls, store: Store, ref: str | None, *, kind: str = "run", reporter: Any = None) -> RunSession:
        """The run ``ref`` names (``latest``: the newest unfinished one nobody executes), owned by this
        process before it is read; refused when it is of another kind or has nothing left to do."""
        run_id = resume_target(store, ref)
        ownership = runlock.acquire(store.artifacts_dir(run_id), run_id)
        try:
            previous = store.load_run(run_id)  # read once this process owns the run
            stored_kind = "survey" if previous.config.get("kind") == "survey" else "run"
            if stored_kind != kind:
                # Each survey subject has its own lock (ftlab.engine.survey); a run has one for all.
                what = "a survey" if stored_kind == "survey" else "not a survey"
                raise UsageError(f"run {run_id} is {what}; finish it with '{RESUME_COMMAND[stored_kind]} {run_id}'")
            if previous.status == "finished" and ref in (None, "latest"):
                raise UsageError(f"run {run_id} was finished by another ftlab process while this one waited "
                                 f"for it; nothing is left to resume (see it with 'ftlab report {run_id}')")
            done = store.done_job_ids(run_id)
            lock = Lock.parse(previous.lock, source=f"run {run_id}'s lock") if previous.lock else None
            session = cls(store=store, kind=kind, run_id=run_id, artifacts_dir=Path(previous.artifacts_dir),
                          lanes=previous.lanes, subjects=previous.subjects, checks=tuple(previous.config["checks"]),
                          options=previous.config.get("options", {}), lock=lock, done=done, ownership=ownership,
                          resumed=True)
            if reporter is not None:
                if previous.status == "finished":
                    reporter.note(f"run {run_id} had finished: its jobs that ended in error run again, then its "
                                  "verdicts are recomputed")
                elif kind == "run":
                    reporter.note(f"resuming run {run_id}: {len(done)} jobs already recorded")
            store.reopen_run(run_id)
        except BaseException:
            ownership.release()
            raise
        return session

    @classmethod
    def detached(cls, *, lanes: Sequence[Lane], subjects: Sequence[Subject], checks: Sequence[str],
                 options: dict[str, Any], artifacts_root: Path) -> RunSession:
        """A session that stores nothing (``check --installed``): artifacts under ``artifacts_root``."""
        run_id = new_run_id()
        artifacts_dir = (Path(artifacts_root) / run_id).resolve()
        artifacts_dir.mkdir(parents=True, exist_ok=True)
        return cls(store=None, kind="run", run_id=run_id, artifacts_dir=artifacts_dir, lanes=lanes, subjects=subjects,
                   checks=checks, options=options, lock=None, done=set(), ownership=None)

    def __enter__(self) -> RunSession:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._ownership is not None:
            self._ownership.release()

    # -- during the run --------------------------------------------------------------------------------

    def note_lanes(self, reporter: Any, *, with_reasons: bool = True) -> None:
        """Say which lanes are unavailable (and, with ``with_reasons``, what else a lane's fingerprint noted)."""
        for lane in self.lanes:
            if not lane.available:
                reporter.note(f"lane {lane.name}: unavailable: {lane.reason}")
            elif with_reasons and lane.reason:
                reporter.note(f"lane {lane.name} ({lane.kind}, {lane.path}): {lane.reason}")

    def context(self, *, artifacts_dir: Path | None = None, lanes: Sequence[Lane] | None = None,
                subjects: Sequence[Subject] | None = None, lock: Lock | None = None) -> RunContext:
        """The checks' view of the run (a survey gives each subject its own folder, lanes and lock)."""
        ctx = RunContext(run_id=self.run_id, artifacts_dir=artifacts_dir or self.artifacts_dir,
                         lanes=tuple(self.lanes if lanes is None else lanes),
                         subjects=tuple(self.subjects if subjects is None else subjects), options=dict(self.options))
        ctx.prepared["lock"] = self.lock if lock is None else lock
        return ctx

    def record(self, result: Result) -> None:
        """Store one result. A job that failed while the disk is full failed because of the disk: the
        run stops (resumably) instead."""
        if result.status in ("error", "crash", "timeout"):
            stop_if_disk_full(self.artifacts_dir)
        if self.store is None:
            self._memory.append(result)
        else:
            self.store.record_result(result)

    def stored_results(self, check: str | None = None) -> tuple[Result, ...]:
        if self.store is None:
            return tuple(r for r in self._memory if check is None or r.check == check)
        return tuple(self.store.results(self.run_id, check))

    @contextmanager
    def guarded(self) -> Iterator[None]:
        """Interruption marks the run interrupted; a store error or a full disk says how to finish it."""
        resume = RESUME_COMMAND.get(self.kind)
        hint = f"then finish run {self.run_id} with '{resume} {self.run_id}'" if resume and self.store else ""
        try:
            yield
        except KeyboardInterrupt:
            if self.store is not None:
                self.store.mark_interrupted(self.run_id)
            raise
        except StoreError as exc:
            if not hint:
                raise
            raise type(exc)(f"{exc}; {hint}") from None
        except OSError as exc:
            if not is_disk_full(exc):
                raise
            raise DiskFullError(f"the disk is full: no space left on the disk of '{exc.filename or self.artifacts_dir}'; "
                                "free some space (results recorded so far are kept)"
                                + (f", {hint}" if hint else "")) from None

    # -- environments ------------------------------------------------------------------------------------

    def build_envs(self, ctx: RunContext, reporter: Any = None,
                   defer: dict[str, frozenset[str]] | None = None) -> dict[str, Any]:
        """The run's lane environments from its lock (``build_envs``)."""
        return build_envs(ctx, self.lock, reporter, defer=defer)

    # -- the end -----------------------------------------------------------------------------------------

    def finish(self) -> RunOutcome:
        """Judge every result once, store the verdicts and the decision; the run's outcome."""
        if self.store is None:
            return judged(run_id=self.run_id, lanes=self.lanes, subjects=self.subjects, results=self._memory,
                          artifacts_dir=self.artifacts_dir)
        record = self.store.load_run(self.run_id)
        outcome = judged(run_id=self.run_id, lanes=self.lanes, subjects=self.subjects, results=record.results,
                         store_path=self.store.path, artifacts_dir=self.artifacts_dir)
        self.store.finish_run(self.run_id, verdicts=outcome.verdicts, decision=outcome.decision)
        return outcome


def build_envs(ctx: RunContext, lock: Lock | None, reporter: Any = None,
               defer: dict[str, frozenset[str]] | None = None) -> dict[str, Any]:
    """One venv per available lane, filled from the lock; lanes are built in parallel. Pins in
    ``defer[lane]`` are left pending (built later, beside the checks). Fills ``ctx.prepared["envs"]``
    and ``ctx.lane_pythons``; returns the environments by lane name."""
    lock = lock or Lock(pins=(), text="", index_url="", python_version="")
    root = ctx.artifacts_dir / "envs"
    root.mkdir(parents=True, exist_ok=True)
    available = [lane for lane in ctx.lanes if lane.available]
    for lane in available:
        # A resumed run rebuilds its venvs: the interrupted process may have left them half-filled.
        if (root / lane.name).exists():
            shutil.rmtree(root / lane.name)
    envs = {}
    stage = reporter.stage(f"installing {len(lock.pins)} pins", len(available)) if reporter else _no_stage()
    with stage, ThreadPoolExecutor(max_workers=max(1, len(available))) as pool:
        futures = {pool.submit(build_env, lane, lock, root, wheels_only=bool(ctx.options.get("wheels_only")),
                               timeout_s=pin_timeout(ctx.options),
                               defer=(defer or {}).get(lane.name, frozenset())): lane
                   for lane in available}
        for fut, lane in futures.items():
            env = fut.result()
            envs[lane.name] = env
            if env.ok:
                ctx.lane_pythons[lane.name] = env.python
            if reporter:
                failed = sum(d.outcome == "failed" for d in env.dists)
                reporter.advance(f"{lane.name}: {len(env.dists) - failed} installed, {failed} failed"
                                 if env.ok else f"{lane.name}: {env.reason}")
    ctx.prepared["envs"] = envs
    return envs


@contextmanager
def _no_stage() -> Iterator[None]:
    yield


def skipped(job: Any, reason: str) -> Result:
    """The result of a job that does not run (its lane is unavailable, its package is not installed)."""
    return Result(job_id=job.job_id, run_id=job.run_id, subject=job.subject.name, lane=job.lane.name,
                  check=job.check, status="skipped", reason=reason)
