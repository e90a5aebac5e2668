"""Executors run jobs. Local processes by default, or tasks on a Dask cluster (lab/ftlab/engine/distributed.py);
each job is self-contained (job file, lane, lock) and its result idempotent by job id, so a plan can
be sharded across machines (lab/ftlab/engine/plan.py) and merged back (lab/ftlab/engine/merge.py)."""

from __future__ import annotations

import os
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from ftlab.errors import DiskFullError, FtlabError, is_disk_full
from ftlab.records import Job, Result


class LocalExecutor:
    """Runs up to `max_workers` jobs at once. Each job is a child process; threads only wait on them."""

    #: Jobs run in this process's threads, so they share the run's prepared state (lane venvs).
    local = True

    def __init__(self, max_workers: int):
        self.max_workers = max(1, max_workers)

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def run(self, fn: Callable[[Job], Result], jobs: Iterable[Job]) -> Iterator[Result]:
        """Yield results as jobs finish, in the caller's thread (so the store is written from one thread)."""
        for _job, result in self.map(lambda job: guarded(fn, job), jobs):
            yield result

    def run_check(self, check: Any, ctx: Any, jobs: Iterable[Job]) -> Iterator[Result]:
        """One check's jobs of a run (the seam the pipeline uses; the Dask executor runs them on workers)."""
        return self.run(lambda job: check.run(job, ctx), jobs)

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[tuple[Any, Any]]:
        """(item, fn(item)) as each finishes; an exception in fn propagates (wrap fn to record it)."""
        items = list(items)
        with ThreadPoolExecutor(max_workers=self.max_workers, thread_name_prefix="ftlab-job") as pool:
            pending: dict[Future, Any] = {pool.submit(fn, item): item for item in items}
            try:
                while pending:
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in done:
                        item = pending.pop(fut)
                        yield item, fut.result()
            finally:
                for fut in pending:
                    fut.cancel()

    def run_gated(self, fn: Callable[[Job], Result], jobs: Iterable[Job], *,
                  background: Mapping[str, Callable[[], Any]],
                  waits: Mapping[str, frozenset[str]]) -> Iterator[Result]:
        """Like ``run``, with background tasks (builds from source) in the same pool: a job starts once
        the tasks ``waits[job_id]`` names have finished, every other job runs beside them. Builds leave
        at least one slot to the jobs while any job can run; a later build starts when a slot is free and
        no job is ready, so on 2 cores one build and one check run at a time. Results in the caller's thread."""
        queue = list(jobs)
        todo_bg = list(background.items())
        finished: set[str] = set()
        bg_cap = max(1, self.max_workers - 1)
        with ThreadPoolExecutor(max_workers=self.max_workers, thread_name_prefix="ftlab-job") as pool:
            running: dict[Future, tuple[str, Any]] = {}
            try:
                while queue or todo_bg or running:
                    ready = [j for j in queue if waits.get(j.job_id, frozenset()) <= finished]
                    bg_running = sum(kind == "bg" for kind, _ in running.values())
                    while todo_bg and len(running) < self.max_workers and (bg_running < bg_cap or not ready):
                        key, task = todo_bg.pop(0)
                        running[pool.submit(task)] = ("bg", key)
                        bg_running += 1
                    for job in ready:
                        if len(running) >= self.max_workers:
                            break
                        queue.remove(job)
                        running[pool.submit(guarded, fn, job)] = ("job", job)
                    if not running:  # only jobs waiting for tasks that never come: a planning bug
                        names = ", ".join(sorted(set().union(*(waits.get(j.job_id, frozenset()) for j in queue))))
                        raise RuntimeError(f"{len(queue)} jobs wait for {names}, which no task provides")
                    done, _ = wait(running, return_when=FIRST_COMPLETED)
                    for fut in done:
                        kind, item = running.pop(fut)
                        value = fut.result()  # a background task's exception stops the run: a bug, not a finding
                        if kind == "bg":
                            finished.add(item)
                        else:
                            yield value
            finally:
                for fut in running:
                    fut.cancel()

    def describe(self, result: Result) -> str:
        """The progress line for a finished job."""
        return f"{result.subject}@{result.lane}: {result.status}"


def make_executor(jobs: int, options: dict[str, Any]):
    """The executor a run's options ask for: `executor: dask` (with `scheduler` or `workers`), else local."""
    if options.get("executor") == "dask":
        from ftlab.engine.distributed import DaskExecutor

        return DaskExecutor(scheduler=options.get("scheduler"), workers=int(options.get("workers") or 0))
    return LocalExecutor(jobs or os.cpu_count() or 1)


def guarded(fn: Callable[[Job], Result], job: Job) -> Result:
    """A bug in a check's host code is recorded against its job, and the rest of the run goes on.
    A full disk is the machine's problem, not the job's: it stops the run (which can be resumed)."""
    try:
        return fn(job)
    except Exception as exc:  # recorded with its traceback, never hidden
        if is_disk_full(exc):
            raise DiskFullError(f"the disk is full: no space left on the disk of '{exc.filename or 'the run folder'}'; free some "
                                "space (results recorded so far are kept)") from None
        reason = str(exc) if isinstance(exc, FtlabError) else f"ftlab internal error: {type(exc).__name__}: {exc}"
        return Result(job_id=job.job_id, run_id=job.run_id, subject=job.subject.name, lane=job.lane.name,
                      check=job.check, status="error", reason=reason, data={"traceback": traceback.format_exc()})


def run_overlapped(ctx: Any, stored_results: Callable[[str], Iterable[Result]], stages: list[list[Job]],
                   done: set[str], executor: LocalExecutor,
                   reporter: Any, *, lock: Any, pending: Mapping[str, frozenset[str]],
                   record: Callable[[Result], None], estimates: Mapping[str, float] | None = None) -> None:
    """Every check's jobs of a run in one pool, with each lane's builds from source (``pending``: lane
    name -> pin names left out of its venv) as background tasks: a package's jobs wait only for the
    builds its own pins need, so a 20-minute C++ build holds back its own package, not every other
    package's import and stress jobs. Each result is handed to ``record`` as it arrives; then each
    check's ``finalize`` runs over its stored results, in check order, as the staged loop does.
    ``estimates`` (lane name -> seconds its builds should take) keep the progress ETA from promising
    the end while a build still runs."""
    from ftlab.engine.checks import CHECKS
    from ftlab.engine.plan import build_key, waits_for
    from ftlab.engine.session import skipped
    from ftlab.lanes.envs import finish_env, pin_timeout

    jobs = [j for stage in stages for j in stage if j.job_id not in done]
    for job in jobs:
        if not job.lane.available:
            record(skipped(job, f"lane unavailable: {job.lane.reason}"))
    runnable = [j for j in jobs if j.lane.available]
    names = [name for name in CHECKS if any(j.check == name for j in runnable)]
    for name in names:
        CHECKS[name].prepare(ctx, reporter)
    root = ctx.artifacts_dir / "envs"

    def finish(lane: Any) -> Callable[[], None]:
        def task() -> None:
            env = finish_env(ctx.prepared["envs"][lane.name], lane, lock, root,
                             wheels_only=bool(ctx.options.get("wheels_only")), timeout_s=pin_timeout(ctx.options))
            ctx.prepared["envs"][lane.name] = env  # one assignment: readers see the old env or the new one
            built.add(lane.name)
            reporter.note(f"{lane.name}: built from source: " + ", ".join(
                f"{d.name} ({d.outcome}{', ' + d.failure if d.failure else ''}, {d.seconds:.0f} s)"
                for d in env.dists if d.name in pending[lane.name]))
        return task

    built: set[str] = set()
    started = time.monotonic()

    def floor() -> float:
        left = [est - (time.monotonic() - started) for lane, est in (estimates or {}).items() if lane not in built]
        return max([0.0, *left])

    background = {build_key(lane.name): finish(lane) for lane in ctx.lanes
                  if lane.available and pending.get(lane.name) and lane.name in ctx.prepared.get("envs", {})}
    with reporter.stage("checks", len(runnable), eta_floor=floor):
        for result in executor.run_gated(lambda job: CHECKS[job.check].run(job, ctx), runnable,
                                         background=background, waits=waits_for(runnable, lock, pending)):
            record(result)
            reporter.advance(f"{result.check} {executor.describe(result)}")
    for name in names:
        stored = list(stored_results(name))
        for before, after in zip(stored, CHECKS[name].finalize(ctx, stored), strict=True):
            if after != before:
                record(after)
