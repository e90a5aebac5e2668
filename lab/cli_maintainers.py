"""Commands for extension maintainers: check, ci, lock export; and readiness, rendered here from what
``ftlab.readiness`` computes (the library never prints)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from ftlab.errors import UsageError


def add_arguments(sub, run_parser: argparse.ArgumentParser, *, store_help: str, lane_help: str) -> None:
    """The maintainers' subcommands."""
    sp = sub.add_parser("check", help="check a local project (build, install, import, stress on 3.14 and 3.14t), "
                                      "or with --installed a distribution installed here")
    sp.add_argument("path", nargs="?", default=".", metavar="PATH", help="the project directory (default: .)")
    sp.add_argument("--installed", default=None, metavar="NAME",
                    help="check distribution NAME as installed in this interpreter's environment (cibuildwheel's "
                         "test step); nothing is built or installed")
    sp.add_argument("--project", type=Path, default=None, metavar="DIR",
                    help="with --installed: the source tree whose [tool.ftlab] probes to stress")
    sp.add_argument("--lane", action="append", default=[], metavar="SPEC", help=lane_help)
    sp.add_argument("--budget", type=float, default=None, metavar="SECONDS", help="stress budget per lane")
    sp.add_argument("--store", type=Path, default=None, help=store_help)
    sp.add_argument("--no-provision", action="store_true", help="do not ask uv to install missing lanes")
    sp.add_argument("--wheels-only", action="store_true", help="dependencies from wheels only (the project is built)")
    sp.add_argument("--index-url", default=None, metavar="URL", help="the package index (default: uv's or pip's)")
    sp.add_argument("--report-dir", type=Path, default=None, help="where the reports go (default: reports/)")
    sp.add_argument("--json", action="store_true", help="print the result as JSON on stdout")


def run_options(args: argparse.Namespace, checks: Sequence[str]) -> dict:
    """The run's options these arguments set (checked here: bad input is a UsageError)."""
    return {}


# -- readiness -------------------------------------------------------------------------------------


def readiness_command(
    subjects: Sequence[str],
    requirement_files: Sequence[str] = (),
    *,
    targets: Sequence[str] | None = None,
    index_url: str | None = None,
    as_json: bool = False,
    quiet: bool = False,
    out: TextIO | None = None,
) -> int:
    """``ftlab readiness``: the matrix (or JSON) on ``out`` (stdout), progress on stderr.

    0 when every needed package is ready on every target, 1 otherwise (some target must build from an
    sdist or has nothing).
    """
    from ftlab.readiness import readiness_for
    from ftlab.report.readiness_table import print_readiness

    out = out or sys.stdout
    result = readiness_for(subjects, requirement_files, targets=targets, index_url=index_url, quiet=quiet)
    if as_json:
        out.write(json.dumps(result.to_json(), indent=2) + "\n")
    else:
        print_readiness(result, out)
    return 0 if result.all_ready else 1


def cmd_readiness(args: argparse.Namespace) -> int:
    if not args.subjects and not args.requirements:
        raise UsageError("name at least one subject or -r FILE, e.g. 'ftlab readiness numpy pyyaml'")
    targets = [t.strip() for t in args.targets.split(",") if t.strip()] if args.targets else None
    return readiness_command(args.subjects, args.requirements, targets=targets, index_url=args.index_url,
                             as_json=args.json)


# -- check -----------------------------------------------------------------------------------------


def cmd_check(args: argparse.Namespace) -> int:
    from ftlab.progress import Reporter
    from ftlab.report import check_summary

    if args.budget is not None and args.budget <= 0:
        raise UsageError(f"--budget must be positive (got {args.budget:g}); e.g. --budget 20")
    if args.installed:
        if args.path != "." or args.lane:
            raise UsageError("--installed checks this interpreter's installed distribution; drop PATH and --lane "
                             "(or drop --installed to build PATH on each lane)")
        from ftlab.project_check import check_installed

        checked = check_installed(args.installed, project=args.project, budget_s=args.budget,
                                  progress=Reporter(quiet=False))
        if args.json:
            sys.stdout.write(json.dumps(checked.to_json(), indent=2, default=str) + "\n")
        else:
            sys.stdout.write(check_summary.render(checked.subject.name, f"{checked.version}, installed",
                                                  (checked.lane,), checked.verdicts, checked.found))
            print(f"artifacts: {checked.artifacts_dir}")
        return 1 if checked.failed else 0
    if args.project is not None:
        raise UsageError("--project goes with --installed; to check a source tree, pass it as PATH")
    from ftlab.cli import _cancel_on_signals, _store_path
    from ftlab.pipeline import execute
    from ftlab.project_check import check_request
    from ftlab.report import findings, write_reports

    _cancel_on_signals()
    options = {"budget_s": args.budget, "wheels_only": args.wheels_only, "index_url": args.index_url}
    request = check_request(args.path, lane_specs=tuple(args.lane), options=options, store_path=_store_path(args),
                            argv=tuple(sys.argv), provision=not args.no_provision)
    outcome = execute(request, Reporter(quiet=False))
    written = write_reports(outcome, args.report_dir)
    if args.json:
        doc = outcome.to_json()
        doc["reports"] = {k: str(v) for k, v in written.items()}
        sys.stdout.write(json.dumps(doc, indent=2, default=str) + "\n")
    else:
        subject = request.subjects[0]
        sys.stdout.write(check_summary.render(subject.name, args.path, outcome.lanes, outcome.verdicts,
                                              findings(outcome), written))
        print(f"decision: {outcome.decision.decision}")
    return 1 if outcome.decision.decision == "no-go" else 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "check": cmd_check,
    # The readiness parser is cli.py's; its command is here, where readiness is rendered.
    "readiness": cmd_readiness,
}
