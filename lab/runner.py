"""Executors run jobs. Local processes by default; each job is self-contained (job file, lane, lock)
and its result idempotent by job id, so a plan can later be sharded across machines."""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from ftlab.errors import DiskFullError, FtlabError, is_disk_full
from ftlab.records import Job, Result


class LocalExecutor:
    """Runs up to `max_workers` jobs at once. Each job is a child process; threads only wait on them."""

    def __init__(self, max_workers: int):
        self.max_workers = max(1, max_workers)

    def run(self, fn: Callable[[Job], Result], jobs: Iterable[Job]) -> Iterator[Result]:
        """Yield results as jobs finish, in the caller's thread (so the store is written from one thread)."""
        jobs = list(jobs)
        with ThreadPoolExecutor(max_workers=self.max_workers, thread_name_prefix="ftlab-job") as pool:
            pending: dict[Future, Job] = {pool.submit(_guarded, fn, job): job for job in jobs}
            try:
                while pending:
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in done:
                        pending.pop(fut)
                        yield fut.result()
            finally:
                for fut in pending:
                    fut.cancel()


def _guarded(fn: Callable[[Job], Result], job: Job) -> Result:
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
