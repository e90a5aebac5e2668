"""`ftlab run` and `ftlab demo`: parsers and handlers. Other command modules add `run` options of their
own (RUN_OPTION_MODULES: ``add_run_arguments(run_parser)`` and ``run_options(args, checks) -> dict``)."""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ftlab.cli import perf, scale
from ftlab.cli.common import (
    EXIT_FINDINGS,
    INDEX_HELP,
    LANE_HELP,
    PERF_BUDGET_HELP,
    STORE_HELP,
    Command,
    render_outcome,
    store_path,
)
from ftlab.errors import UsageError

if TYPE_CHECKING:
    from ftlab.engine.pipeline import RunRequest

#: Modules that add `run` options of their own, in the order their options are listed.
RUN_OPTION_MODULES = (scale, perf)


def add_run(sub) -> argparse.ArgumentParser:
    sp = sub.add_parser("run", help="install, import and stress-test subjects on each lane")
    sp.add_argument("subjects", nargs="*", metavar="SUBJECT", help="a requirement (numpy, pyyaml==6.0.3) or a project directory")
    sp.add_argument("-r", "--requirements", action="append", default=[], metavar="FILE", help="a requirements or lock file")
    sp.add_argument("--lane", action="append", default=[], metavar="SPEC", help=LANE_HELP)
    sp.add_argument("--checks", default=None, metavar="LIST", help="comma-separated checks (see 'ftlab checks')")
    sp.add_argument("--store", type=Path, default=None, help=STORE_HELP)
    sp.add_argument("--jobs", type=int, default=0, metavar="N", help="jobs at once (default: one per core)")
    sp.add_argument("--no-provision", action="store_true", help="do not ask uv to install missing lanes")
    sp.add_argument("--wheels-only", action="store_true", help="never build from sdists; a missing wheel is a finding")
    sp.add_argument("--install-timeout", type=float, default=None, metavar="SECONDS",
                    help="seconds one distribution's install may take, builds from source included (default: "
                         "1200); a build still running then leaves its package untested, not failed")
    sp.add_argument("--index-url", default=None, metavar="URL", help=INDEX_HELP)
    sp.add_argument("--gil", choices=["0"], default=None, help="run checks with PYTHON_GIL=0 on free-threaded lanes")
    sp.add_argument("--budget", type=float, default=None, metavar="SECONDS", help="stress budget per subject and lane")
    sp.add_argument("--module-timeout", type=float, default=None, metavar="SECONDS",
                    help="import check: a module import running longer is a hang (default: 60)")
    sp.add_argument("--perf-budget", default=None, metavar="LIST", help=PERF_BUDGET_HELP)
    sp.add_argument("--baseline", default=None, metavar="LANE",
                    help="perf: the lane the other lanes of its kind (GIL or free-threaded) are gated against "
                         "(default: the first lane of each kind)")
    sp.add_argument("--perf-seconds", type=float, default=None, metavar="SECONDS",
                    help="perf: seconds per thread count and repeat of each workload (default: 0.2; more is steadier)")
    sp.add_argument("--perf-repeats", type=int, default=None, metavar="N",
                    help="perf: fresh processes per workload, for the spread (default: 5)")
    sp.add_argument("--memory-limit", type=int, default=None, metavar="MB",
                    help="address space per sandboxed process (default: 8192); an allocation past it is a MemoryError")
    sp.add_argument("--resume", nargs="?", const="latest", default=None, metavar="RUN",
                    help="finish an interrupted or killed run (default: the latest unfinished one); "
                         "jobs already recorded are kept")
    sp.add_argument("--report-dir", type=Path, default=None, help="where the HTML report goes (default: reports/)")
    sp.add_argument("--json", action="store_true", help="print the run as JSON on stdout")
    for module in RUN_OPTION_MODULES:
        module.add_run_arguments(sp)
    return sp


def cmd_run(args: argparse.Namespace) -> int:
    from ftlab.engine.checks import parse_checks
    from ftlab.engine.pipeline import RunRequest
    from ftlab.lanes.subjects import read_subjects

    if args.resume and (args.subjects or args.requirements or args.lane):
        raise UsageError("--resume continues a stored run as it was planned; drop the subjects and --lane options")
    checks = parse_checks(args.checks)
    perf_options = _perf_options(args, checks)
    subject_set = read_subjects(args.subjects, args.requirements) if args.subjects or args.requirements else None
    subjects = subject_set.subjects if subject_set else ()
    index_url = args.index_url or (subject_set.index_url if subject_set else None)
    if args.install_timeout is not None and args.install_timeout <= 0:
        raise UsageError(f"--install-timeout must be a positive number of seconds, not {args.install_timeout:g} (default 1200)")
    options = {"wheels_only": args.wheels_only, "gil": args.gil, "budget_s": args.budget, "index_url": index_url,
               "install_timeout_s": args.install_timeout,
               "module_timeout_s": args.module_timeout, "perf_budget": args.perf_budget, **perf_options}
    for module in RUN_OPTION_MODULES:
        options.update(module.run_options(args, checks))
    if args.memory_limit is not None:
        if args.memory_limit < 256:
            raise UsageError(f"--memory-limit {args.memory_limit} MB is too small to start Python; e.g. --memory-limit 2048")
        options["memory_mb"] = args.memory_limit
    if args.gil is not None:
        options["gil"] = int(args.gil)
    request = RunRequest(
        subjects=tuple(subjects), lane_specs=tuple(args.lane), checks=tuple(checks), store_path=store_path(args),
        jobs=args.jobs, provision=not args.no_provision, options=options, argv=tuple(sys.argv), resume=args.resume,
    )
    return run_and_render(request, args)


def _perf_options(args: argparse.Namespace, checks: Sequence[str]) -> dict:
    """The perf check's settings, checked before anything runs (bad budgets or lanes are bad input)."""
    from ftlab.judgement.gates import resolve_budgets

    if args.perf_seconds is not None and args.perf_seconds <= 0:
        raise UsageError(f"--perf-seconds must be positive (got {args.perf_seconds:g}); e.g. --perf-seconds 1")
    if args.perf_repeats is not None and args.perf_repeats < 1:
        raise UsageError(f"--perf-repeats must be at least 1 (got {args.perf_repeats}); e.g. --perf-repeats 5")
    if "perf" not in checks and not args.perf_budget:
        return {}
    budgets = resolve_budgets(args.perf_budget, Path.cwd())
    if args.baseline and args.lane:
        _check_baseline_name(args.baseline, args.lane)
    return {"perf_budgets": budgets, "perf_baseline": args.baseline, "perf_seconds": args.perf_seconds,
            "perf_repeats": args.perf_repeats}


def _check_baseline_name(baseline: str, lane_specs: Sequence[str]) -> None:
    """--baseline against the names the --lane specs give, when every one is known before lanes are found
    (a path without NAME= is named by its fingerprint; the perf check checks again then)."""
    from ftlab.lanes.interpreters import parse_spec

    specs = [parse_spec(x) for x in lane_specs]
    if any(sp.is_path and not sp.name for sp in specs):
        return
    names = [sp.name or sp.version_text for sp in specs]
    if baseline not in names:
        close = difflib.get_close_matches(baseline, names, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise UsageError(f"--baseline lane '{baseline}' is not a lane of this run{hint} (lanes: {', '.join(names)})")


def run_and_render(request: RunRequest, args: argparse.Namespace, *, findings_exit: int = EXIT_FINDINGS) -> int:
    from ftlab.engine.pipeline import execute
    from ftlab.progress import Reporter
    from ftlab.report import terminal

    outcome = execute(request, Reporter(quiet=False))
    return render_outcome(outcome, args, terminal.print_run, findings_exit=findings_exit)


def add_demo(sub) -> argparse.ArgumentParser:
    sp = sub.add_parser("demo", help="run the bundled fixtures and a few real packages, and write a report")
    sp.add_argument("--store", type=Path, default=None, help=STORE_HELP)
    sp.add_argument("--lane", action="append", default=[], metavar="SPEC", help=LANE_HELP)
    sp.add_argument("--full", action="store_true",
                    help="every import and calibration fixture and two real packages (10-16 min), instead of four subjects (~2 min)")
    sp.add_argument("--json", action="store_true", help="print the run as JSON on stdout")
    return sp


def cmd_demo(args: argparse.Namespace) -> int:
    from ftlab.cli.demo import demo_command

    return demo_command(args, store_path=store_path(args), run_and_render=run_and_render)


COMMANDS = {
    "run": Command(name="run", add=add_run, run=cmd_run, cancel_on_signals=True),
    "demo": Command(name="demo", add=add_demo, run=cmd_demo, cancel_on_signals=True),
}
