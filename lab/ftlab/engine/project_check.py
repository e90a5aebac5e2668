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

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from ftlab.errors import UsageError
from ftlab.judgement.judge import Finding, judge, ordered
from ftlab.records import Decision, Job, Lane, Result, Subject, Verdict

#: What ``ftlab check PATH`` runs: the lane's fingerprint, then install, import and stress.
CHECKS = ("fingerprint", "install", "import", "stress")
#: What ``--installed`` runs: the install is cibuildwheel's (or the user's) own.
INSTALLED_CHECKS = ("import", "stress")


def check_subject(path: str) -> Subject:
    """The project at ``path`` (bad input when it is not one: the one-line error says what to pass)."""
    from ftlab.lanes.subjects import parse_project

    return parse_project(path)


def check_request(path: str, *, lane_specs: tuple[str, ...] = (), options: dict[str, Any] | None = None,
                  store_path: Path, argv: tuple[str, ...] = (), provision: bool = True):
    from ftlab.engine.pipeline import RunRequest

    return RunRequest(subjects=(check_subject(path),), lane_specs=lane_specs, checks=CHECKS, store_path=store_path,
                      provision=provision, options=dict(options or {}), argv=argv)


@dataclass(frozen=True, kw_only=True)
class InstalledCheck:
    """What ``check_installed`` found: one subject on one lane (this interpreter)."""

    run_id: str
    subject: Subject
    version: str
    lane: Lane
    results: tuple[Result, ...]
    verdicts: tuple[Verdict, ...]
    found: tuple[Finding, ...]
    decision: Decision
    artifacts_dir: Path

    @property
    def failed(self) -> bool:
        return any(f.gating for f in self.found)

    def outcome(self):
        """As a run's outcome, for the report renderers (nothing is stored)."""
        from ftlab.engine.pipeline import RunOutcome

        return RunOutcome(run_id=self.run_id, lanes=(self.lane,), results=self.results, verdicts=self.verdicts,
                          decision=self.decision, store_path=Path(), artifacts_dir=self.artifacts_dir)

    def to_json(self) -> dict[str, Any]:
        from ftlab.engine.pipeline import lane_json

        return {"run_id": self.run_id, "subject": self.subject.name, "version": self.version,
                "lane": lane_json(self.lane), "results": [r.to_json() for r in self.results],
                "verdicts": [v.to_json() for v in self.verdicts], "decision": self.decision.decision,
                "triggers": list(self.decision.triggers), "artifacts_dir": str(self.artifacts_dir)}


def installed(name: str, python: str) -> tuple[str, str]:
    """(version of distribution ``name`` installed for ``python``, why the stress runtime cannot run
    there or ""); bad input when the distribution is not installed. Asks by metadata only: nothing of
    the distribution runs in this process (the checks import it, sandboxed)."""
    import json
    import subprocess

    from ftlab.sandbox import process as sandbox

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
    from ftlab.engine.checks import CHECKS as ALL_CHECKS
    from ftlab.engine.checks.base import RunContext
    from ftlab.judgement.verdict import decide, verdicts
    from ftlab.lanes import interpreters as lanes_mod
    from ftlab.lanes.envs import DistOutcome, LaneEnv
    from ftlab.store.db import new_run_id

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
    run_id = new_run_id()
    artifacts_dir = (artifacts_root / run_id).resolve()
    artifacts_dir.mkdir(parents=True, exist_ok=True)
    options: dict[str, Any] = {}
    if budget_s is not None:
        options["budget_s"] = budget_s
    ctx = RunContext(run_id=run_id, artifacts_dir=artifacts_dir, lanes=(lane,), subjects=(subject,), options=options)
    ctx.lane_pythons[lane.name] = python
    # The environment is the caller's: the distribution is installed (and hypothesis, with ftlab).
    ctx.prepared["envs"] = {lane.name: LaneEnv(
        lane=lane.name, venv=sys.prefix, python=python, ok=True, runtime_ok=not runtime_reason,
        runtime_reason=runtime_reason,
        dists=(DistOutcome(name=canonical, version=version, outcome="wheel", filename="(installed)"),))}
    results = []
    for name_ in INSTALLED_CHECKS:
        check = ALL_CHECKS[name_]
        check.prepare(ctx, progress)
        job = Job(job_id=f"{run_id}/{canonical}@{lane.name}/{name_}", run_id=run_id, subject=subject, lane=lane,
                  check=name_, timeout_s=check.timeout_for(ctx))
        started = time.monotonic()
        result = check.run(job, ctx)
        if progress is not None:
            progress.note(f"{name_}: {result.status} ({time.monotonic() - started:.1f} s)")
        results.append(result)
    found = ordered(judge((lane,), results), (lane,))
    verdict_list = verdicts((subject,), (lane,), results, found)
    decision = decide((lane,), results, verdict_list, found)
    return InstalledCheck(run_id=run_id, subject=subject, version=version, lane=lane, results=tuple(results),
                          verdicts=tuple(verdict_list), found=tuple(found), decision=decision,
                          artifacts_dir=artifacts_dir)
