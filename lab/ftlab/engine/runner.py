"""Executors run jobs. Local processes by default, or tasks on a Dask cluster (lab/ftlab/engine/distributed.py);
each job is self-contained (job file, lane, lock) and its result idempotent by job id, so a plan can
be sharded across machines (lab/ftlab/engine/plan.py) and merged back (lab/ftlab/engine/merge.py)."""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable, Iterable, Iterator
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
