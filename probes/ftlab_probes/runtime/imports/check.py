"""The ``imports`` command: read the job's options, plan the modules, run the children, judge the
rows against their distributions, and return the result's ``data`` and ``signals``."""

import shutil
import sys
import sysconfig
import tempfile
import time
from importlib import machinery

from ftlab_probes.runtime.imports.checker import Checker
from ftlab_probes.runtime.imports.discovery import MODULE_BUDGET, plan_modules
from ftlab_probes.runtime.imports.failures import judge_failures
from ftlab_probes.runtime.imports.outcome import OUTCOMES
from ftlab_probes.runtime.imports.signals import build_signals

#: Big C extensions (torch, tensorflow) take tens of seconds to import cold.
MODULE_TIMEOUT_S = 60.0
#: A batch imports the heavy parents (pandas: 2-3 s) once for all its modules; a cap keeps one
#: process from accumulating every module of a huge package.
BATCH_SIZE = 200
#: The job wrapper dumps stacks HANG_DUMP_LEAD_S before the host's kill; stop starting children a
#: little before that so the result file still gets written.
JOB_MARGIN_S = 3.0


def read_options(job):
    """The job's options with defaults, checked (ValueError says which option is wrong and why)."""
    raw = dict(job.get("options") or {})
    distributions = list(raw.get("distributions") or [])
    modules = list(raw.get("modules") or [])
    if not distributions and not modules:
        subject = job.get("subject") or {}
        if subject.get("name"):
            distributions = [subject["name"]]
    if not distributions and not modules:
        raise ValueError("imports: the job names no distributions or modules to import")
    gil = raw.get("gil")
    if gil is not None:
        gil = str(gil)
        if gil != "0":
            raise ValueError('imports: option gil must be null or "0", got %r' % (raw.get("gil"),))
    budget = raw.get("module_budget", MODULE_BUDGET)
    if budget is not None and (not isinstance(budget, int) or budget < 1):
        raise ValueError("imports: module_budget must be a positive integer or null, got %r" % (budget,))
    timeout = float(raw.get("module_timeout_s") or MODULE_TIMEOUT_S)
    if timeout <= 0:
        raise ValueError("imports: module_timeout_s must be positive, got %r" % (timeout,))
    batch_size = raw.get("batch_size", BATCH_SIZE)
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError("imports: batch_size must be a positive integer, got %r" % (batch_size,))
    return {
        "distributions": distributions,
        "modules": modules,
        "exclude_tests": bool(raw.get("exclude_tests", True)),
        "exclude_vendored": bool(raw.get("exclude_vendored", True)),
        "module_budget": budget,
        "module_timeout_s": timeout,
        "batch_size": batch_size,
        "isolate_extensions": bool(raw.get("isolate_extensions", False)),
        "gil": gil,
    }


def lane_facts():
    is_gil_enabled = getattr(sys, "_is_gil_enabled", None)
    return {
        "executable": sys.executable,
        "version": "%d.%d.%d" % sys.version_info[:3],
        "free_threaded": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
        "ext_suffix": sysconfig.get_config_var("EXT_SUFFIX"),
        "gil_enabled_in_parent": bool(is_gil_enabled()) if is_gil_enabled else True,
    }



def run(job):
    """Import every selected module, in batches. Returns ``status``, ``data``, ``signals``.

    ``data``::

        {"lane": {"executable", "version", "free_threaded", "ext_suffix", "gil_enabled_in_parent"},
         "options": {...as read, with defaults...},
         "discovery": {"distributions": [{"name", "found", "version", "source", "modules", "selected",
                                          "excluded_count", "excluded": [{"module", "reason"}],
                                          "excluded_by_reason": {reason: n},
                                          "budget_cut", "dropped": [str], "namespaces": [str],
                                          "library_count", "libraries": [str],
                                          "extra_only": {requirement: [extra]}}],  # not installed
                       "counts": {"package", "module", "extension"}, "budget_cut": int,
                       "libraries": int,     # plain shared libraries, not modules: never imported
                       "missing": [str], "exclude_tests", "exclude_vendored", "module_budget"},
         "modules": [row, ...],        # see classify() and judge_failure(); one per checked module
         "skipped": [{"module", "reason"}],     # selected, but the job's time ran out
         "not_checked": {"count": int, "by_reason": {reason: n}},   # excluded, over budget, skipped
         "children": [{"id", "mode": "batch"|"alone"|"verbose"|"bisect", "modules", "first",
                       "end", "exit_status", "seconds"}],
         "child_seconds": float,       # wall time of every child together
         "summary": {outcome: count}}

    Rows added to classify()'s: ``scope``, ``needs``, ``missing_kind`` (judge_failure()),
    ``preloaded_by`` (the import chain that had already loaded the module in its batch, or None),
    ``child`` (the id in ``children`` of the child that judged it) and ``batch_death`` (None, or
    ``{"outcome", "signal", "after", "after_count", "alone_outcome", "culprits", "artifact"}`` when
    the module's batch died while importing it: ``after`` the modules imported before it in that
    process, ``alone_outcome`` the outcome of importing it alone, ``culprits`` the earlier modules
    it needs to die, found by bisection, or None).
    """
    started = time.monotonic()
    options = read_options(job)
    lane = lane_facts()
    data = {"lane": lane, "options": options, "modules": [], "skipped": []}
    if options["gil"] == "0" and not lane["free_threaded"]:
        data["error"] = (
            "option gil=0 needs a free-threaded build; %s is a GIL build "
            "('Disabling the GIL is not supported by this build')" % lane["executable"]
        )
        return {"status": "error", "data": data, "signals": []}

    targets, discovery, provided = plan_modules(options, list(machinery.EXTENSION_SUFFIXES))
    data["discovery"] = discovery
    if not targets:
        data["error"] = "nothing to import: %s" % (
            "distribution(s) not installed: %s" % ", ".join(discovery["missing"])
            if discovery["missing"]
            else "the distributions provide no importable modules"
        )
        return {"status": "error", "data": data, "signals": []}

    job_timeout = job.get("timeout_s")
    deadline = started + float(job_timeout) - JOB_MARGIN_S if job_timeout else None
    workdir = tempfile.mkdtemp(prefix="ftlab-imports-")
    try:
        checker = Checker(options, lane, workdir, job.get("artifacts_dir"), deadline)
        rows, unstarted = checker.check_all(targets)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    extra_only = {d["name"]: d["extra_only"] for d in discovery["distributions"]}
    data["modules"] = judge_failures(rows, provided, extra_only)
    data["skipped"] = [{"module": m, "reason": "job time budget exhausted"} for m, _, _ in unstarted]
    data["not_checked"] = not_checked(discovery, data["skipped"])
    data["children"] = checker.children
    data["child_seconds"] = round(sum(c["seconds"] for c in checker.children), 3)
    summary = dict.fromkeys(OUTCOMES, 0)
    for row in rows:
        summary[row["outcome"]] += 1
    data["summary"] = summary
    signals = build_signals(rows)
    return {"status": "findings" if signals else "ok", "data": data, "signals": signals}


#: ``not_checked`` reasons, as a report finishes "N modules not checked: ...".
EXCLUSION_PHRASES = {
    "tests": "test modules (exclude_tests)",
    "vendored": "vendored copies of other packages (exclude_vendored)",
    "__main__": "__main__ (importing it runs the command line)",
    "not-a-module": "shared libraries that are not Python modules (no PyInit_; loaded with ctypes or cffi)",
}


def not_checked(discovery, skipped):
    """``{"count", "by_reason"}``: every discovered module that was not imported, and why (pure)."""
    by_reason = {}
    for dist in discovery["distributions"]:
        for reason, n in dist.get("excluded_by_reason", {}).items():
            phrase = EXCLUSION_PHRASES.get(reason, reason)
            by_reason[phrase] = by_reason.get(phrase, 0) + n
    if discovery["budget_cut"]:
        by_reason["over the module budget of %s" % discovery["module_budget"]] = discovery["budget_cut"]
    for entry in skipped:
        by_reason[entry["reason"]] = by_reason.get(entry["reason"], 0) + 1
    return {"count": sum(by_reason.values()), "by_reason": by_reason}
