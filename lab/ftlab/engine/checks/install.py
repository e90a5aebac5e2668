"""The `install` check: how each subject's locked distributions installed on each lane.

The work happens once per lane when the run builds lane environments (lab/ftlab/lanes/envs.py); this check turns
each subject's share of it (the subject and everything it pulled in) into a result with signals.
"""

from __future__ import annotations

from ftlab.engine.checks.base import Check, RunContext
from ftlab.lanes.envs import DistOutcome, LaneEnv, closure
from ftlab.records import Job, Result, Signal


class InstallCheck(Check):
    name = "install"
    description = "install every locked distribution on each lane: which wheel (exact tag), sdist builds, failures"
    needs_env = True

    def run(self, job: Job, ctx: RunContext) -> Result:
        env: LaneEnv = ctx.prepared["envs"][job.lane.name]
        common = dict(job_id=job.job_id, run_id=job.run_id, subject=job.subject.name, lane=job.lane.name,
                      check=job.check, artifacts_dir=env.venv)
        if not env.ok:
            return Result(status="error", reason=env.reason, **common)
        lock = ctx.prepared["lock"]
        pins = closure(lock, job.subject.name)
        dists = [d for d in (env.dist(p.name) for p in pins) if d is not None]
        data = {"wheels_only": env.wheels_only, "dists": [d.to_json() for d in dists],
                "subject_dist": next((d.to_json() for d in dists if d.name == job.subject.name), None)}
        unfinished = [d for d in dists if d.outcome == "failed" and d.failure == "build-timeout"]
        if unfinished:
            # Not known whether it installs: no verdict against the package, and the run cannot say go.
            d = unfinished[0]
            via = "" if d.name == job.subject.name else f" (needed by {job.subject.name})"
            return Result(status="error", data=data, duration_s=sum(x.seconds for x in dists), **common,
                          reason=f"{d.name}=={d.version}{via}: {d.key_line}; raise --install-timeout, or "
                                 "--wheels-only to test only what has wheels")
        signals = []
        for d in dists:
            evidence = d.to_json()
            if d.outcome == "failed" and d.failure == "no-wheel":
                signals.append(Signal(kind="no-wheel", summary=f"{d.name}=={d.version} has no wheel for {job.lane.name} ({d.key_line})", evidence=evidence))
            elif d.outcome == "failed":
                via = "" if d.name == job.subject.name else f" (needed by {job.subject.name})"
                signals.append(Signal(kind="install-failed", summary=f"{d.name}=={d.version}{via}: {d.failure}: {d.key_line}", evidence=evidence))
            elif d.outcome == "sdist":
                signals.append(Signal(kind="built-from-sdist", summary=f"{d.name}=={d.version} built from {d.filename} in {d.seconds:.1f} s", evidence=evidence))
            if d.not_instrumented:
                signals.append(not_instrumented_signal(d))
        return Result(status="findings" if signals else "ok", signals=tuple(signals), data=data,
                      duration_s=sum(d.seconds for d in dists), **common)


def not_instrumented_signal(d: DistOutcome) -> Signal:
    """Information on a ThreadSanitizer lane: shared objects of ``d`` built without -fsanitize=thread
    (a prebuilt wheel from the index), inside which ThreadSanitizer cannot see a race."""
    names = [b.rsplit("/", 1)[-1] for b in d.not_instrumented or ()]
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    how = (f"a prebuilt wheel ({d.wheel_tag or d.filename}), not built with ThreadSanitizer" if d.outcome == "wheel"
           else "built here, but its build did not use the lane's -fsanitize=thread")
    return Signal(kind="not-instrumented",
                  summary=f"{d.name}=={d.version}: {how}: races inside {shown} are invisible on this lane",
                  evidence=d.to_json())
