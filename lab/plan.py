"""Planning: subjects x lanes x checks -> jobs. Pure: data in, data out."""

from __future__ import annotations

from collections.abc import Sequence

from ftlab.checks import CHECKS
from ftlab.checks.base import RunContext
from ftlab.records import LANE_SUBJECT, Job, Lane, Subject


def job_id(run_id: str, subject: Subject, lane: Lane, check: str) -> str:
    return f"{run_id}/{subject.name}/{lane.name}/{check}"


def plan(run_id: str, subjects: Sequence[Subject], lanes: Sequence[Lane], checks: Sequence[str],
         ctx: RunContext) -> list[list[Job]]:
    """One stage per check, in execution order; each stage's jobs can run in parallel."""
    stages = []
    for name in checks:
        check = CHECKS[name]
        timeout = check.timeout_for(ctx)
        targets = [s for s in subjects if s.kind in check.subject_kinds] if check.per_subject else (LANE_SUBJECT,)
        stages.append([
            Job(job_id=job_id(run_id, s, lane, name), run_id=run_id, subject=s, lane=lane, check=name,
                timeout_s=timeout)
            for s in targets for lane in lanes
        ])
    return stages
