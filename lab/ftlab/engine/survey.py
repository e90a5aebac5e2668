"""`ftlab survey`: many packages, each on its own lock, as one resumable run.

A run locks every subject together, so one package that cannot resolve stops it; a survey instead
locks, installs and checks each subject on its own (one task per subject, on the local executor or a
Dask cluster), so a broken package is a finding about that package and the survey goes on. Subjects
come from a list file or the N most-downloaded packages on PyPI (hugovk's top-pypi-packages data set,
read from a URL setting at run time and cached with its date). Results go to the store like a run's;
the survey report (lab/ftlab/report/survey.py) tabulates install / import / GIL / stress per package and lane.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import shutil
import time
import traceback
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from ftlab.deps.index import IndexClient
from ftlab.deps.lock import resolve as resolve_lock
from ftlab.engine.checks import CHECKS
from ftlab.engine.checks.base import RunContext
from ftlab.engine.distributed import worker_dir
from ftlab.engine.plan import job_id
from ftlab.engine.runner import guarded, make_executor
from ftlab.engine.session import RunSession, build_envs, lock_python_version, skipped
from ftlab.errors import FtlabError, UsageError, is_disk_full
from ftlab.lanes import interpreters as lanes_mod
from ftlab.lanes.interpreters import local_lane
from ftlab.records import Job, Lane, Result, Signal, Subject
from ftlab.report.survey import history_entry
from ftlab.sandbox import process as sandbox
from ftlab.store import runlock
from ftlab.store.db import Store

#: The URL setting of the top-packages data set (a URL or file://PATH of the same JSON).
TOP_URL_ENV = "FTLAB_TOP_PYPI_URL"
#: hugovk's monthly data set: {"last_update": ..., "rows": [{"project": ..., "download_count": ...}]}.
DEFAULT_TOP_URL = "https://hugovk.github.io/top-pypi-packages/top-pypi-packages.min.json"
#: The data set is rebuilt monthly; a day-old copy is as good as a fresh one.
TOP_CACHE_MAX_AGE_S = 86400.0
#: Reading the data set (about 1 MB).
TOP_TIMEOUT_S = 60.0
#: Lane-level checks (fingerprint) say nothing about a package; a survey runs these per subject.
SURVEY_CHECKS = ("install", "import", "stress", "perf")


# -- subjects ---------------------------------------------------------------------------------------


def read_list(path: Path) -> list[str]:
    """Package names, one a line; blank lines and # comments ignored, duplicates dropped."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UsageError(f"cannot read the survey list '{path}' ({exc.strerror}); pass a file of package names, one a line") from None
    names: list[str] = []
    for line in lines:
        name = line.split("#", 1)[0].strip()
        if name and name not in names:
            names.append(name)
    if not names:
        raise UsageError(f"the survey list '{path}' names no package; write one package name a line")
    return names


@dataclass(frozen=True, kw_only=True)
class TopPackages:
    names: tuple[str, ...]
    url: str
    #: The data set's own date (its last_update), and when ftlab read it.
    date: str
    fetched_at: float
    from_cache: bool


def top_packages(n: int, *, url: str | None = None, cache_dir: Path, now: float | None = None) -> TopPackages:
    """The n most-downloaded packages, from the data set at `url` ($FTLAB_TOP_PYPI_URL, else hugovk's),
    cached in `cache_dir` for a day. An unreachable data set with no cached copy is bad input."""
    if n < 1:
        raise UsageError(f"--top must be at least 1 (got {n}); e.g. --top 50")
    url = url or os.environ.get(TOP_URL_ENV) or DEFAULT_TOP_URL
    now = time.time() if now is None else now
    cache = cache_dir / f"top-pypi-{hashlib.sha256(url.encode()).hexdigest()[:12]}.json"
    doc = _read_cache(cache)
    from_cache = doc is not None and now - doc["fetched_at"] < TOP_CACHE_MAX_AGE_S
    if not from_cache:
        try:
            with urllib.request.urlopen(url, timeout=TOP_TIMEOUT_S) as resp:
                data = json.loads(resp.read())
            rows = [r["project"] for r in data["rows"]]
            doc = {"url": url, "fetched_at": now, "date": str(data.get("last_update") or "unknown"), "rows": rows}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise UsageError(f"cannot read the top-PyPI-packages data set at {url} ({getattr(exc, 'reason', exc)}); "
                             f"set {TOP_URL_ENV} to a reachable copy (a URL, or file://PATH of "
                             "top-pypi-packages.min.json), or pass a list file") from None
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp")
        tmp.write_text(json.dumps(doc))
        tmp.replace(cache)
    return TopPackages(names=tuple(doc["rows"][:n]), url=url, date=doc["date"], fetched_at=doc["fetched_at"],
                       from_cache=from_cache)


def _read_cache(path: Path) -> dict | None:
    try:
        doc = json.loads(path.read_text())
        return doc if isinstance(doc.get("rows"), list) and "fetched_at" in doc else None
    except (OSError, ValueError, AttributeError):
        return None


def has_compiled_code(files: Sequence[Any]) -> bool | None:
    """Whether the newest release (prereleases and yanked files aside) ships a platform-specific wheel,
    i.e. compiled code; None when it has no wheel to tell by (sdist only, or no release)."""
    by_version: dict[Version, list[Any]] = {}
    for f in files:
        if f.kind != "wheel" or f.yanked:
            continue
        try:
            version = parse_wheel_filename(f.filename)[1]
        except (ValueError, InvalidVersion):
            continue
        if not version.is_prerelease:
            by_version.setdefault(version, []).append(f)
    if not by_version:
        return None
    newest = by_version[max(by_version)]
    return any(tag.platform != "any" for f in newest for tag in parse_wheel_filename(f.filename)[3])


def with_extensions(names: Sequence[str], index_url: str | None) -> tuple[list[str], dict[str, str]]:
    """The names whose newest release has compiled wheels, and why each other one was left out."""
    client = IndexClient(index_url)

    def one(name: str) -> tuple[str, bool | None, str]:
        try:
            return name, has_compiled_code(client.project_files(name)), ""
        except FtlabError as exc:
            return name, None, str(exc)

    kept, dropped = [], {}
    with ThreadPoolExecutor(max_workers=8, thread_name_prefix="ftlab-survey-index") as pool:
        for name, compiled, error in pool.map(one, names):
            if compiled:
                kept.append(name)
            else:
                dropped[name] = error or ("no wheels to tell by" if compiled is None else "pure Python wheels only")
    return kept, dropped


# -- one subject, on whichever machine runs it -------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SurveySpec:
    run_id: str
    artifacts_dir: str
    lanes: tuple[Lane, ...]
    checks: tuple[str, ...]
    options: dict[str, Any]


def planned_jobs(spec: SurveySpec, subject: Subject) -> list[Job]:
    return [Job(job_id=job_id(spec.run_id, subject, lane, check), run_id=spec.run_id, subject=subject, lane=lane,
                check=check, timeout_s=300.0)
            for check in spec.checks if subject.kind in CHECKS[check].subject_kinds for lane in spec.lanes]


def survey_subject(spec: SurveySpec, subject: Subject) -> list[Result]:
    """Lock, install and check one subject on every lane. Never raises: what fails is its results."""
    try:
        return _survey_subject(spec, subject)
    except Exception as exc:  # recorded against each of the subject's jobs, never hidden
        if is_disk_full(exc):
            raise
        reason = str(exc) if isinstance(exc, FtlabError) else f"ftlab internal error: {type(exc).__name__}: {exc}"
        return [_result(job, "error", reason, data={"traceback": traceback.format_exc()})
                for job in planned_jobs(spec, subject)]


def _result(job: Job, status: str, reason: str = "", **extra: Any) -> Result:
    return Result(job_id=job.job_id, run_id=job.run_id, subject=job.subject.name, lane=job.lane.name,
                  check=job.check, status=status, reason=reason, **extra)


def _survey_subject(spec: SurveySpec, subject: Subject) -> list[Result]:
    shared = Path(spec.artifacts_dir)
    base = shared if (shared / runlock.OWNER_FILE).exists() else worker_dir() / "runs" / spec.run_id
    root = base / "subjects" / sandbox.folder_name(subject.name)
    root.mkdir(parents=True, exist_ok=True)
    jobs = planned_jobs(spec, subject)
    available = [lane for lane in spec.lanes if lane.available]
    local = {lane.name: local_lane(lane) for lane in available}
    python_version = lock_python_version(available)
    try:
        lock = resolve_lock([subject], index_url=spec.options.get("index_url"), python_version=python_version)
    except FtlabError as exc:
        # The subject's own lock failed: on every lane it is not installable, and nothing else can run.
        out = []
        for job in jobs:
            if not job.lane.available:
                out.append(skipped(job, f"lane unavailable: {job.lane.reason}"))
            elif job.check == "install":
                sig = Signal(kind="install-failed", summary=f"{subject.name}: no lock for Python {python_version}+: "
                             f"{str(exc)[:300]}", evidence={"stage": "lock", "error": str(exc)[:3000]})
                out.append(_result(job, "findings", signals=(sig,)))
            else:
                out.append(skipped(job, f"{subject.name} not installed on this lane"))
        return out
    ctx = RunContext(run_id=spec.run_id, artifacts_dir=root, lanes=tuple(local.values()), subjects=(subject,),
                     options=dict(spec.options))
    ctx.prepared["lock"] = lock
    built = build_envs(ctx, lock)
    results = []
    try:
        for check_name in spec.checks:
            check = CHECKS[check_name]
            check.prepare(ctx, None)
            for job in (j for j in jobs if j.check == check_name):
                if not job.lane.available:
                    results.append(skipped(job, f"lane unavailable: {job.lane.reason}"))
                    continue
                run_job = dataclasses.replace(job, lane=local[job.lane.name], timeout_s=check.timeout_for(ctx))
                result = guarded(lambda j, check=check: check.run(j, ctx), run_job)
                if check_name == "install":  # the subject's own lock, as the survey run has none
                    result = dataclasses.replace(result, data={**result.data, "lock": lock.text})
                results.append(result)
    finally:
        # Venvs of a thousand packages would fill the disk: the results keep what they showed.
        for name in built:
            shutil.rmtree(root / "envs" / name, ignore_errors=True)
    return results


# -- the survey, on the client ------------------------------------------------------------------------


def survey_history(store_path: Path) -> list[dict[str, Any]]:
    """Every finished survey in the store, oldest first, for the survey report's chart over time."""
    with Store(store_path, create=False) as store:
        records = [store.load_run(run_id) for run_id in store.run_ids()]
    return [history_entry(r) for r in records if r.config.get("kind") == "survey" and r.status == "finished"]


def run_survey(names: Sequence[str] | None, *, lane_specs: Sequence[str], checks: Sequence[str], store_path: Path,
               options: dict, jobs: int, reporter: Any, resume: str | None):
    """Start (or resume) a survey run, check every subject not yet complete, judge; (RunOutcome, source)."""
    with Store(store_path) as store:
        if resume:
            session = RunSession.resume(store, resume, kind="survey", reporter=reporter)
        else:
            lanes = tuple(lanes_mod.resolve(list(lane_specs)))
            subjects = tuple(Subject(name=str(canonicalize_name(n)), kind="requirement", spec=n) for n in names or ())
            session = RunSession.start(store, kind="survey", lanes=lanes, subjects=subjects, checks=checks,
                                       options=options, argv=["ftlab", "survey"], lane_specs=lane_specs)
        with session:
            session.note_lanes(reporter, with_reasons=False)
            spec = SurveySpec(run_id=session.run_id, artifacts_dir=str(session.artifacts_dir), lanes=session.lanes,
                              checks=session.checks, options=dict(session.options))
            todo = [s for s in session.subjects if any(j.job_id not in session.done for j in planned_jobs(spec, s))]
            if resume:
                reporter.note(f"resuming survey {session.run_id}: {len(session.subjects) - len(todo)} of "
                              f"{len(session.subjects)} packages done")
            with session.guarded():
                with make_executor(jobs, session.options) as executor, reporter.stage("survey", len(todo)):
                    for subject, value in executor.map(functools.partial(survey_subject, spec), todo):
                        results = value if isinstance(value, list) else \
                            [_result(j, "error", f"the task failed: {type(value).__name__}: {value}")
                             for j in planned_jobs(spec, subject)]
                        for result in results:
                            session.record(result)
                        statuses = ", ".join(f"{r.check}@{r.lane} {r.status}" for r in results)
                        reporter.advance(executor.describe(Result(
                            job_id="", run_id=session.run_id, subject=subject.name, lane="*", check="survey",
                            status=statuses or "nothing to run")))
                outcome = session.finish()
    return outcome, session.options.get("survey") or {}
