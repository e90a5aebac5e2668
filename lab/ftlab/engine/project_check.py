"""``ftlab check``: a maintainer's own project, where they work.

Two ways in:

- ``check_request(PATH)``: the project at PATH as the one subject of a run on the default lanes (3.14
  and 3.14t): each lane builds it from a private copy of the tree (uv running its PEP 517 backend with
  that lane's interpreter, as ``uv build`` does), installs it with its locked dependencies, imports
  every module, and stresses the probes it declares (``[tool.ftlab] probes``) or, without any, the
  auto-probe. The run is stored and reported like any other.
- ``check_installed(NAME)``: a distribution already installed in the environment of the interpreter
  running ftlab (cibuildwheel's test step runs there, once per built wheel, cp314t included). Nothing
  is resolved or installed: the import and stress checks run on this interpreter as their lane,
  sandboxed as always; ``project`` names the source tree whose ``[tool.ftlab] probes`` to stress.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from ftlab.engine.checks import CHECKS as ALL_CHECKS
from ftlab.engine.pipeline import RunRequest
from ftlab.engine.session import RunSession
from ftlab.errors import UsageError
from ftlab.judgement.judge import Finding
from ftlab.judgement.outcome import RunOutcome
from ftlab.lanes import interpreters as lanes_mod
from ftlab.lanes.envs import DistOutcome, LaneEnv
from ftlab.lanes.subjects import parse_project
from ftlab.records import Decision, Job, Lane, Result, Subject, Verdict
from ftlab.sandbox import process as sandbox

#: What ``ftlab check PATH`` runs: the lane's fingerprint, then install, import and stress.
CHECKS = ("fingerprint", "install", "import", "stress")
#: What ``--installed`` runs: the install is cibuildwheel's (or the user's) own.
INSTALLED_CHECKS = ("import", "stress")


def check_subject(path: str) -> Subject:
    """The project at ``path`` (bad input when it is not one: the one-line error says what to pass)."""
    return parse_project(path)


def check_request(path: str, *, lane_specs: tuple[str, ...] = (), options: dict[str, Any] | None = None,
                  store_path: Path, argv: tuple[str, ...] = (), provision: bool = True) -> RunRequest:
    return RunRequest(subjects=(check_subject(path),), lane_specs=lane_specs, checks=CHECKS, store_path=store_path,
                      provision=provision, options=dict(options or {}), argv=argv)


@dataclass(frozen=True, kw_only=True)
class InstalledCheck:
    """What ``check_installed`` found: one subject on one lane (this interpreter), judged once."""

    subject: Subject
    version: str
    lane: Lane
    #: The judged run (nothing is stored).
    judged: RunOutcome

    def outcome(self) -> RunOutcome:
        """As a run's outcome, for the report renderers."""
        return self.judged

    @property
    def run_id(self) -> str:
        return self.judged.run_id

    @property
    def results(self) -> tuple[Result, ...]:
        return self.judged.results

    @property
    def verdicts(self) -> tuple[Verdict, ...]:
        return self.judged.verdicts

    @property
    def found(self) -> tuple[Finding, ...]:
        return self.judged.findings

    @property
    def decision(self) -> Decision:
        return self.judged.decision

    @property
    def artifacts_dir(self) -> Path:
        return self.judged.artifacts_dir

    @property
    def failed(self) -> bool:
        return any(f.gating for f in self.found)

    def to_json(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "subject": self.subject.name, "version": self.version,
                "lane": self.lane.to_report_json(), "results": [r.to_json() for r in self.results],
                "verdicts": [v.to_json() for v in self.verdicts], "decision": self.decision.decision,
                "triggers": list(self.decision.triggers), "artifacts_dir": str(self.artifacts_dir)}


def installed(name: str, python: str) -> tuple[str, str]:
    """(version of distribution ``name`` installed for ``python``, why the stress runtime cannot run
    there or ""); bad input when the distribution is not installed. Asks by metadata only: nothing of
    the distribution runs in this process (the checks import it, sandboxed)."""
    code = ("import importlib.metadata as m, importlib.util as u, json, sys\n"
            "try: v = m.version(sys.argv[1])\n"
            "except m.PackageNotFoundError: v = None\n"
            "print(json.dumps([v, u.find_spec('hypothesis') is not None]))\n")
    proc = subprocess.run([python, "-I", "-c", code, name], capture_output=True, text=True, timeout=60,
                          env=sandbox.base_env(), stdin=subprocess.DEVNULL)
    version, has_hypothesis = json.loads(proc.stdout.strip()) if proc.returncode == 0 else (None, False)
    if not version:
        raise UsageError(f"distribution '{name}' is not installed in the environment of {python}; install its wheel "
                         "there first (cibuildwheel's test step does), or check the source tree with 'ftlab check PATH'")
    return version, "" if has_hypothesis else "hypothesis is not installed here (install ftlab, or hypothesis, beside it)"


def check_installed(name: str, *, project: Path | None = None, budget_s: float | None = None,
                    artifacts_root: Path = Path(".ftlab") / "check", python: str | None = None,
                    progress: Any = None) -> InstalledCheck:
    """Import and stress distribution ``name`` as installed for ``python`` (default: this interpreter)."""
    python = python or sys.executable
    canonical = canonicalize_name(name)
    version, runtime_reason = installed(name, python)
    if project is not None:
        subject = check_subject(str(project))
        if subject.name != canonical:
            raise UsageError(f"--project {project} is the project '{subject.name}', not '{canonical}'; pass the "
                             "source tree of the distribution being checked (cibuildwheel: --project {project})")
    else:
        subject = Subject(name=canonical, kind="requirement", spec=f"{canonical}=={version}")
    lane = lanes_mod.fingerprint(python, source="current interpreter")
    options: dict[str, Any] = {}
    if budget_s is not None:
        options["budget_s"] = budget_s
    session = RunSession.detached(lanes=(lane,), subjects=(subject,), checks=INSTALLED_CHECKS, options=options,
                                  artifacts_root=artifacts_root)
    ctx = session.context()
    ctx.lane_pythons[lane.name] = python
    # The environment is the caller's: the distribution is installed (and hypothesis, with ftlab).
    ctx.prepared["envs"] = {lane.name: LaneEnv(
        lane=lane.name, venv=sys.prefix, python=python, ok=True, runtime_ok=not runtime_reason,
        runtime_reason=runtime_reason,
        dists=(DistOutcome(name=canonical, version=version, outcome="wheel", filename="(installed)"),))}
    with session, session.guarded():
        for name_ in INSTALLED_CHECKS:
            check = ALL_CHECKS[name_]
            check.prepare(ctx, progress)
            job = Job(job_id=f"{session.run_id}/{canonical}@{lane.name}/{name_}", run_id=session.run_id,
                      subject=subject, lane=lane, check=name_, timeout_s=check.timeout_for(ctx))
            started = time.monotonic()
            result = check.run(job, ctx)
            if progress is not None:
                progress.note(f"{name_}: {result.status} ({time.monotonic() - started:.1f} s)")
            session.record(result)
        outcome = session.finish()
    return InstalledCheck(subject=subject, version=version, lane=lane, judged=outcome)
