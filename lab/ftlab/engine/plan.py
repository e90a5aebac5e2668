"""Planning: subjects x lanes x checks -> jobs. Pure: data in, data out."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence

from ftlab.deps.lock import Lock
from ftlab.engine.checks import CHECKS
from ftlab.engine.checks.base import RunContext
from ftlab.errors import UsageError
from ftlab.lanes.envs import closure
from ftlab.records import LANE_SUBJECT, Job, Lane, Subject


def job_id(run_id: str, subject: Subject, lane: Lane, check: str) -> str:
    return f"{run_id}/{subject.name}/{lane.name}/{check}"


def plan(run_id: str, subjects: Sequence[Subject], lanes: Sequence[Lane], checks: Sequence[str],
         ctx: RunContext) -> list[list[Job]]:
    """One stage per check, in execution order; each stage's jobs can run in parallel. With the run
    option `shard` ("i/N"), only the jobs of shard i (see `shard_of`)."""
    shard = parse_shard(ctx.options.get("shard")) if ctx.options.get("shard") else None
    stages = []
    for name in checks:
        check = CHECKS[name]
        timeout = check.timeout_for(ctx)
        targets = [s for s in subjects if s.kind in check.subject_kinds] if check.per_subject else (LANE_SUBJECT,)
        stages.append([
            Job(job_id=job_id(run_id, s, lane, name), run_id=run_id, subject=s, lane=lane, check=name,
                timeout_s=timeout)
            for s in targets for lane in lanes
            if shard is None or shard_of(s, lane, shard[1]) == shard[0]
        ])
    return stages


_SHARD = re.compile(r"^(\d+)/(\d+)$")


def parse_shard(text: str) -> tuple[int, int]:
    """"2/4" -> (2, 4): shard 2 of 4, counted from 1 (as CI matrices and indexed Jobs count + 1)."""
    m = _SHARD.match(str(text).strip())
    if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
        raise UsageError(f"--shard takes I/N with 1 <= I <= N (got '{text}'); e.g. --shard 1/4")
    return int(m.group(1)), int(m.group(2))


def shard_of(subject: Subject, lane: Lane, count: int) -> int:
    """The shard (1..count) a job belongs to. Stable: it depends on the subject's name only (on the lane's
    name for lane-level jobs), never on the order or number of other subjects, the run or the machine.
    Every lane of a subject lands in one shard, so checks that compare lanes (perf gates) see them all."""
    key = f"lane:{lane.name}" if subject.kind == "lane" else f"subject:{subject.name}"
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") % count + 1


def build_key(lane_name: str) -> str:
    """The name of a lane's builds from source as a task the scheduler waits for."""
    return f"build:{lane_name}"


def waits_for(jobs: Sequence[Job], lock: Lock | None, pending: Mapping[str, frozenset[str]]) -> dict[str, frozenset[str]]:
    """job id -> the build tasks it must wait for. A job waits for its lane's builds from source only
    when its subject needs one of the pins being built (itself, or what it pulled in); every other
    package's jobs run beside the builds. A check that measures time (``exclusive_of_builds``: perf)
    waits for every build, so no compiler shares the cores with its measurements. Pure."""
    out: dict[str, frozenset[str]] = {}
    every = frozenset(build_key(lane) for lane, names in pending.items() if names)
    for job in jobs:
        check = CHECKS[job.check]
        if check.exclusive_of_builds:
            out[job.job_id] = every
            continue
        if not check.needs_env:
            continue
        names = pending.get(job.lane.name) or frozenset()
        needed = {p.name for p in closure(lock, job.subject.name)} if lock is not None and names else set()
        if needed & names:
            out[job.job_id] = frozenset({build_key(job.lane.name)})
    return out
