"""What every check shares: running the in-lane runtime for a job and turning how the child ended
into a Result. A dead child is itself a result (crash, timeout), never an exception in the host."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ftlab.errors import ProtocolError
from ftlab.lanes.envs import DistOutcome, LaneEnv, closure
from ftlab.records import Job, Lane, Result, Signal, Subject
from ftlab.sandbox import process as sandbox

# The protocol's formats are defined once, beside the in-lane runtime that writes them; that module
# imports only the standard library, so reading them runs nothing of a lane's.
from ftlab_probes.runtime.protocol import JOB_FORMAT, RESULT_FORMAT


@dataclass(kw_only=True)
class RunContext:
    """What jobs of one run share. Mutable only while the run prepares (envs are filled in by checks)."""

    run_id: str
    artifacts_dir: Path
    lanes: tuple[Lane, ...]
    subjects: tuple[Subject, ...]
    options: dict[str, Any] = field(default_factory=dict)
    #: lane name -> python of the lane's venv (set by the install check); the bare lane otherwise.
    lane_pythons: dict[str, str] = field(default_factory=dict)
    #: Check-specific state produced by `prepare` (e.g. the install check's per-lane env records).
    prepared: dict[str, Any] = field(default_factory=dict)

    def python_for(self, lane: Lane) -> str:
        return self.lane_pythons.get(lane.name, lane.path)

    def job_dir(self, job: Job) -> Path:
        return self.artifacts_dir / job.check / job.lane.name / sandbox.folder_name(job.subject.name)


class Check:
    """A check plugs into the pipeline: plan jobs, optionally prepare per run, run one job."""

    name = ""
    #: False for lane-level checks (fingerprint): one job per lane instead of per subject and lane.
    per_subject = True
    #: One line for `ftlab --help` and reports.
    description = ""
    #: True when jobs run in the lane's venv with the run's lock installed (built once per lane).
    needs_env = False
    #: True for a check that measures time: its jobs wait until no build from source shares the cores.
    exclusive_of_builds = False
    #: Subject kinds the check means something for (the standard library has nothing to install).
    subject_kinds = frozenset({"requirement", "project", "fixture"})

    def prepare(self, ctx: RunContext, progress: Any = None) -> None:
        """Work shared by all jobs of this check in a run (e.g. building lane venvs)."""

    def options_for(self, job: Job, ctx: RunContext) -> dict[str, Any]:
        return {}

    def run(self, job: Job, ctx: RunContext) -> Result:
        raise NotImplementedError

    def timeout_for(self, ctx: RunContext) -> float:
        return 300.0

    def finalize(self, ctx: RunContext, results: list[Result]) -> list[Result]:
        """After all of this check's jobs: results that depend on several lanes (perf gates)."""
        return results


def not_testable(job: Job, ctx: RunContext) -> Result | None:
    """The result for a job whose subject cannot be tested on its lane (no env, not installed), or None."""
    env = ctx.prepared.get("envs", {}).get(job.lane.name)
    common = dict(job_id=job.job_id, run_id=job.run_id, subject=job.subject.name, lane=job.lane.name, check=job.check)
    if env is None:
        return Result(status="error", reason=f"no environment was built for lane {job.lane.name}", **common)
    if not env.ok:
        return Result(status="error", reason=env.reason, **common)
    if job.subject.kind == "stdlib":
        return None
    dist = env.dist(job.subject.name)
    if dist is None or dist.outcome == "failed":
        return Result(status="skipped", reason=f"{job.subject.name} not installed on this lane", **common)
    if dist.outcome == "not-needed":
        return Result(status="skipped", reason=f"{job.subject.name} not needed on this lane", **common)
    broken = _failed_dependency(job, ctx, env) if job.check in NEEDS_THE_WHOLE_INSTALL else None
    if broken is not None:
        return Result(status="skipped", reason=f"{job.subject.name} is not installable on this lane: {broken.name}=="
                      f"{broken.version} (needed by it) did not install ({broken.failure})", **common)
    return None


#: Checks that exercise the subject's API, which a partial install (a dependency missing) cannot
#: speak for (polars' Python classes without polars-runtime-32); the import check still runs, and its
#: failures are read as the install failure's consequences (ftlab.judgement.consequences).
NEEDS_THE_WHOLE_INSTALL = frozenset({"stress", "perf"})


def _failed_dependency(job: Job, ctx: RunContext, env: LaneEnv) -> DistOutcome | None:
    """The first distribution the subject needs that failed to install on the job's lane, or None."""
    lock = ctx.prepared.get("lock")
    if lock is None:
        return None
    return next((d for d in (env.dist(p.name) for p in closure(lock, job.subject.name))
                 if d is not None and d.outcome == "failed"), None)


def job_document(job: Job, ctx: RunContext, options: dict[str, Any], artifacts: Path) -> dict[str, Any]:
    return {
        "format": JOB_FORMAT,
        "job_id": job.job_id,
        "command": job.check,
        "subject": job.subject.to_json(),
        "lane": job.lane.to_json(),
        "options": options,
        "timeout_s": job.timeout_s,
        "artifacts_dir": str(artifacts),
    }


def run_runtime(job: Job, ctx: RunContext, command: str | None, options: dict[str, Any],
                env_extra: dict[str, str] | None = None, *, workdir: Path | None = None,
                module: str = "ftlab_probes.runtime") -> tuple[sandbox.ChildOutcome, Path]:
    """Run `python -X faulthandler -m MODULE [COMMAND] --job J --out O` for a job in the sandbox
    (by default the runtime's COMMAND in the job's own folder)."""
    workdir = workdir or ctx.job_dir(job)
    workdir.mkdir(parents=True, exist_ok=True)
    artifacts = workdir / "artifacts"
    artifacts.mkdir(exist_ok=True)
    job_path = workdir / "job.json"
    out_path = workdir / "result.json"
    out_path.unlink(missing_ok=True)
    job_path.write_text(json.dumps(job_document(job, ctx, options, artifacts), indent=1))
    python = ctx.python_for(job.lane)
    argv = [python, "-X", "faulthandler", "-m", module, *([command] if command else []),
            "--job", str(job_path), "--out", str(out_path)]
    env = dict(env_extra or {})
    if ctx.options.get("gil") is not None and job.lane.gil_disabled:
        env["PYTHON_GIL"] = str(ctx.options["gil"])
    limits = sandbox.Limits()
    if ctx.options.get("memory_mb"):
        limits = dataclasses.replace(limits, address_space_mb=int(ctx.options["memory_mb"]))
    if job.lane.sanitizer == "thread":
        # ThreadSanitizer reserves its shadow memory up front, terabytes of address space: under any cap
        # the interpreter dies at start ("CHECK failed: sanitizer_allocator_primary64.h"), a SIGSEGV.
        limits = dataclasses.replace(limits, address_space_mb=None)
    outcome = sandbox.run_child(argv, workdir=workdir, timeout_s=job.timeout_s, result_path=out_path, env_extra=env,
                                limits=limits)
    return outcome, workdir


def result_from_outcome(job: Job, outcome: sandbox.ChildOutcome, workdir: Path) -> Result:
    """The generic reading of a child: its result document, or what its death says."""
    common = dict(job_id=job.job_id, run_id=job.run_id, subject=job.subject.name, lane=job.lane.name,
                  check=job.check, duration_s=outcome.duration_s, exit_status=outcome.returncode,
                  artifacts_dir=str(workdir))
    sandbox_doc = outcome.sandbox_json()
    doc = outcome.result
    if doc is not None:
        check_result_shape(job, doc)
        signals = tuple(Signal(kind=s["kind"], summary=s["summary"], evidence=s.get("evidence") or {})
                        for s in doc.get("signals", []))
        status = doc["status"]
        reason = ""
        if status == "error":
            data = doc.get("data") or {}
            why = data.get("error") or (data.get("traceback", "").strip().splitlines() or ["no detail"])[-1]
            reason = "the check failed inside the lane: " + str(why)[:300]
        return Result(status=status, signals=signals, data={**(doc.get("data") or {}), "sandbox": sandbox_doc},
                      reason=reason, **common)
    tail = outcome.stderr_tail()
    if outcome.timed_out:
        sig = Signal(kind="hang", summary=f"{job.check} did not finish within {job.timeout_s:.0f} s",
                     evidence={"timeout_s": job.timeout_s, "stacks": tail})
        return Result(status="timeout", signals=(sig,), reason="timed out", data={"sandbox": sandbox_doc}, **common)
    if outcome.crashed:
        name = sandbox.signal_name(outcome.returncode)
        sig = Signal(kind="crash", summary=f"{job.check} child died with {name}",
                     evidence={"signal": name, "exit_status": outcome.returncode, "faulthandler": tail})
        return Result(status="crash", signals=(sig,), reason=f"child died with {name}", data={"sandbox": sandbox_doc},
                      **common)
    last = (tail.strip().splitlines() or ["no output"])[-1][:200]
    return Result(status="error", reason=f"child exited {outcome.returncode} without a result: {last}",
                  data={"stderr_tail": tail, "sandbox": sandbox_doc}, **common)


def check_result_shape(job: Job, doc: dict) -> None:
    where = f"result for job '{job.subject.name}@{job.lane.name}/{job.check}'"
    if doc.get("format") != RESULT_FORMAT:
        raise ProtocolError(f"{where} has format {doc.get('format')!r}, expected {RESULT_FORMAT!r}")
    if doc.get("job_id") != job.job_id:
        raise ProtocolError(f"{where} is for job {doc.get('job_id')!r}, expected {job.job_id!r}")
    if doc.get("status") not in ("ok", "findings", "error"):
        raise ProtocolError(f"{where} has status {doc.get('status')!r}, expected ok, findings or error")
    for s in doc.get("signals", []):
        if not isinstance(s, dict) or "kind" not in s or "summary" not in s:
            raise ProtocolError(f"{where} has a malformed signal {s!r}; expected kind, summary, evidence")
