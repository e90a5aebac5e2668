"""The Dask executor (`run --executor dask`): jobs become tasks on a Dask distributed cluster.

- The client (the `ftlab run` process) plans, submits every runnable job of a stage, and records each
  result as it comes back: only the client writes the store; a worker never touches SQLite.
- A worker runs a job as the local executor would: it finds the run's lanes with the lane code here
  (provisioning with uv when a lane is missing on that machine), builds the lane venvs from the run's
  lock once (uv's cache stays warm across runs), and runs the check's sandboxed child.
- A worker that dies has its tasks rescheduled by the scheduler, at most `allowed-failures` times;
  past that the job is recorded as an error, which `ftlab run --resume` runs again. A job is recorded
  once: the client keeps the first result of each job id (the store replaces by job id anyway).
- `--workers N` starts a LocalCluster of N single-threaded process workers on loopback;
  `--scheduler tcp://HOST:PORT` joins a running cluster whose workers have ftlab installed.
"""

from __future__ import annotations

import dataclasses
import fcntl
import functools
import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ftlab.engine.runner import guarded
from ftlab.errors import UsageError
from ftlab.lanes import interpreters as lanes_mod
from ftlab.records import Job, Lane, Result, Subject
from ftlab.sandbox import process as sandbox

#: A job whose worker died this many times while running it is recorded as an error (resume retries
#: it): a package that kills its worker every time must not take the cluster down one worker at a time.
ALLOWED_FAILURES = 3
#: Joining a cluster: a scheduler that does not answer within this is not there.
CONNECT_TIMEOUT_S = 20.0
#: Where workers keep what a run needs when the run's folder is not on their disk (another machine).
WORKER_DIR_ENV = "FTLAB_WORKER_DIR"


def worker_dir() -> Path:
    """The worker's own folder for runs whose artifacts folder it cannot see."""
    env = os.environ.get(WORKER_DIR_ENV)
    base = Path(env) if env else sandbox.user_cache_dir() / "worker"
    return base


@dataclass(frozen=True, kw_only=True)
class RunSpec:
    """What a worker needs to run any job of a run: sent with every task (small: lanes, subjects, the lock)."""

    run_id: str
    artifacts_dir: str
    lanes: tuple[Lane, ...]
    subjects: tuple[Subject, ...]
    options: dict[str, Any]
    lock_text: str | None

    @property
    def key(self) -> str:
        doc = json.dumps([self.run_id, self.artifacts_dir, [ln.to_json() for ln in self.lanes], self.lock_text],
                         sort_keys=True, default=str)
        return hashlib.sha256(doc.encode()).hexdigest()[:16]


def run_spec(ctx: Any) -> RunSpec:
    lock = ctx.prepared.get("lock")
    return RunSpec(run_id=ctx.run_id, artifacts_dir=str(ctx.artifacts_dir), lanes=tuple(ctx.lanes),
                   subjects=tuple(ctx.subjects), options=dict(ctx.options), lock_text=lock.text if lock else None)


# -- the worker side ------------------------------------------------------------------------------


class WorkerRun:
    """One run as a worker process sees it: its lanes here, its venvs here, its checks prepared."""

    def __init__(self, spec: RunSpec):
        from ftlab.deps.lock import Lock
        from ftlab.engine.checks.base import RunContext
        from ftlab.store import runlock

        self.spec = spec
        shared = Path(spec.artifacts_dir)
        # The client's run folder on this disk (a LocalCluster, a shared file system): artifacts go where
        # the client's reports link to. Elsewhere, the worker's own folder.
        self.artifacts_dir = shared if (shared / runlock.OWNER_FILE).exists() else worker_dir() / "runs" / spec.run_id
        self.artifacts_dir.mkdir(parents=True, exist_ok=True)
        self.lanes = {lane.name: lanes_mod.local_lane(lane) for lane in spec.lanes}
        self.lock = Lock.parse(spec.lock_text, source=f"run {spec.run_id}'s lock") if spec.lock_text else None
        self.ctx = RunContext(run_id=spec.run_id, artifacts_dir=self.artifacts_dir, lanes=tuple(self.lanes.values()),
                              subjects=spec.subjects, options=dict(spec.options))
        self.ctx.prepared["lock"] = self.lock
        self.ctx.prepared["envs"] = {}
        self._guard = threading.Lock()
        self._prepared: set[str] = set()


    def run(self, job: Job) -> Result:
        from ftlab.engine.checks import CHECKS

        check = CHECKS[job.check]
        local_job = dataclasses.replace(job, lane=self.lanes.get(job.lane.name, job.lane))

        def go(j: Job) -> Result:
            if check.needs_env:
                self._ensure_env(j.lane)
            with self._guard:
                if check.name not in self._prepared:
                    check.prepare(self.ctx, None)
                    self._prepared.add(check.name)
            return check.run(j, self.ctx)

        return guarded(go, local_job)

    def _ensure_env(self, lane: Lane) -> None:
        """The lane's venv for this run, built once per machine: worker processes sharing a disk take a
        file lock, and a venv is only used once its record is written (a dead builder's half is redone)."""
        if lane.name in self.ctx.prepared["envs"]:
            return
        from ftlab.lanes.envs import pin_timeout

        with self._guard:
            if lane.name in self.ctx.prepared["envs"]:
                return
            env = _shared_env(lane, self.lock, self.artifacts_dir / "envs",
                              wheels_only=bool(self.spec.options.get("wheels_only")),
                              timeout_s=pin_timeout(self.spec.options))
            self.ctx.prepared["envs"][lane.name] = env
            if env.ok:
                self.ctx.lane_pythons[lane.name] = env.python


def _shared_env(lane: Lane, lock: Any, root: Path, *, wheels_only: bool, timeout_s: float) -> Any:
    import shutil

    from ftlab.deps.lock import Lock
    from ftlab.lanes.envs import build_env

    root.mkdir(parents=True, exist_ok=True)
    record = root / f"{lane.name}.env.json"
    with open(root / f"{lane.name}.build.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        if record.exists():
            return env_from_json(json.loads(record.read_text()))
        shutil.rmtree(root / lane.name, ignore_errors=True)
        env = build_env(lane, lock or Lock(pins=(), text="", index_url="", python_version=""), root,
                        wheels_only=wheels_only, timeout_s=timeout_s)
        tmp = record.with_suffix(".tmp")
        tmp.write_text(json.dumps(dataclasses.asdict(env), default=list))
        tmp.replace(record)
        return env


def env_from_json(doc: dict[str, Any]) -> Any:
    from ftlab.lanes.envs import DistOutcome, LaneEnv

    dists = tuple(DistOutcome(**{**d, "left_running": tuple(d.get("left_running") or ()),
                                 "not_instrumented": None if d.get("not_instrumented") is None
                                 else tuple(d["not_instrumented"])}) for d in doc.pop("dists"))
    return LaneEnv(**doc, dists=dists)


#: Per worker process: the runs it has seen (lanes found, venvs built), by RunSpec.key. A worker process
#: lives as long as its cluster; a handful of runs' worth of small records.
_RUNS: dict[str, WorkerRun] = {}
_RUNS_GUARD = threading.Lock()


def run_job(spec: RunSpec, job: Job) -> Result:
    """The task: one job on this worker."""
    with _RUNS_GUARD:
        state = _RUNS.get(spec.key)
        if state is None:
            state = _RUNS[spec.key] = WorkerRun(spec)
    return state.run(job)


# -- the client side ------------------------------------------------------------------------------


class DaskExecutor:
    """Jobs as tasks on a Dask cluster, results yielded in the client's thread as they finish."""

    local = False

    def __init__(self, *, scheduler: str | None = None, workers: int = 0, allowed_failures: int = ALLOWED_FAILURES):
        if scheduler and workers:
            raise UsageError("pass --scheduler tcp://HOST:PORT or --workers N, not both")
        self.scheduler = scheduler
        self.workers = workers or (0 if scheduler else (os.cpu_count() or 1))
        self.allowed_failures = allowed_failures
        self.client: Any = None
        self.cluster: Any = None
        self._started = time.monotonic()
        self._done = 0
        self._total = 0
        self._busy_s = 0.0

    def __enter__(self) -> DaskExecutor:
        try:
            import dask
            from distributed import Client, LocalCluster
        except ImportError:
            raise UsageError("--executor dask needs Dask: pip install 'ftlab[dask]'") from None
        if self.scheduler:
            try:
                self.client = Client(self.scheduler, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
            except (OSError, TimeoutError) as exc:
                raise UsageError(f"cannot reach the Dask scheduler at {self.scheduler} ({exc}); start one with "
                                 "'dask scheduler' and workers with 'dask worker ADDRESS', or use --workers N") from None
            return self
        with dask.config.set({"distributed.scheduler.allowed-failures": self.allowed_failures}):
            # Process workers with one thread each: a job is one sandboxed child at a time per worker.
            self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                        host="127.0.0.1", dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR)
        self.client = Client(self.cluster, set_as_default=False)
        return self

    def __exit__(self, *exc: object) -> None:
        for closable in (self.client, self.cluster):
            if closable is not None:
                try:
                    closable.close()
                except Exception:  # closing a cluster that is going away anyway
                    pass
        self.client = self.cluster = None

    def run_check(self, check: Any, ctx: Any, jobs: Iterable[Job]) -> Iterator[Result]:
        spec = run_spec(ctx)
        jobs = list(jobs)
        by_id = {job.job_id: job for job in jobs}
        seen: set[str] = set()
        for job, value in self.map(functools.partial(run_job, spec), jobs):
            if job.job_id in seen:  # never recorded twice
                continue
            seen.add(job.job_id)
            yield value if isinstance(value, Result) else _error(by_id[job.job_id], value)

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[tuple[Any, Any]]:
        """(item, fn(item)) as each finishes, fn run on a worker; a task that failed yields its exception
        instead (a worker that died `allowed_failures` times: distributed.KilledWorker)."""
        from distributed import as_completed

        items = list(items)
        self._total += len(items)
        futures = {self.client.submit(fn, item, pure=False): item for item in items}
        try:
            for fut in as_completed(list(futures), loop=self.client.loop):
                item = futures.pop(fut)
                try:
                    value = fut.result()
                except Exception as exc:  # a lost task is reported against its job
                    if _is_disk_full_error(exc):
                        raise
                    value = exc
                self._done += 1
                self._busy_s += getattr(value, "duration_s", 0.0) or 0.0
                yield item, value
        finally:
            for fut in futures:
                fut.cancel()

    def running(self) -> dict[str, int]:
        """Tasks on each worker now, by worker name."""
        try:
            info = self.client.scheduler_info(n_workers=-1)["workers"]
            processing = self.client.processing()
        except Exception:  # progress is best effort while workers come and go
            return {}
        return {str(info.get(addr, {}).get("name", addr)): len(keys) for addr, keys in sorted(processing.items())}

    def describe(self, result: Result) -> str:
        running = self.running()
        per_worker = ", ".join(f"w{name} {n}" for name, n in running.items())
        left = self._total - self._done
        elapsed = time.monotonic() - self._started
        eta = f"ETA {_duration(elapsed / self._done * left)}" if self._done and left else "ETA -"
        return f"{result.subject}@{result.lane}: {result.status} | on workers {per_worker or '-'} | {eta}"


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m" if seconds >= 3600 else f"{seconds // 60}m{seconds % 60:02d}s"


def _is_disk_full_error(exc: BaseException) -> bool:
    from ftlab.errors import DiskFullError

    return isinstance(exc, DiskFullError)


def _error(job: Job, exc: BaseException) -> Result:
    from distributed import KilledWorker

    if isinstance(exc, KilledWorker):
        reason = ("the Dask workers running it died as many times as the scheduler allows (its allowed-failures, "
                  f"{ALLOWED_FAILURES} on a --workers cluster); 'ftlab run --resume' runs it again")
    else:
        reason = f"the Dask task failed: {type(exc).__name__}: {exc}"
    return Result(job_id=job.job_id, run_id=job.run_id, subject=job.subject.name, lane=job.lane.name,
                  check=job.check, status="error", reason=reason)
