"""Commands for extension maintainers: check, ci, lock export; and readiness, rendered here from what
``ftlab.deps.readiness`` computes (the library never prints)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from ftlab.cli.common import INDEX_HELP, LANE_HELP, STORE_HELP, Command, Parser, render_outcome, store_path
from ftlab.errors import UsageError


def add_check(sub) -> argparse.ArgumentParser:
    sp = sub.add_parser("check", help="check a local project (build, install, import, stress on 3.14 and 3.14t), "
                                      "or with --installed a distribution installed here")
    sp.add_argument("path", nargs="?", default=".", metavar="PATH", help="the project directory (default: .)")
    sp.add_argument("--installed", default=None, metavar="NAME",
                    help="check distribution NAME as installed in this interpreter's environment (cibuildwheel's "
                         "test step); nothing is built or installed")
    sp.add_argument("--project", type=Path, default=None, metavar="DIR",
                    help="with --installed: the source tree whose [tool.ftlab] probes to stress")
    sp.add_argument("--lane", action="append", default=[], metavar="SPEC", help=LANE_HELP)
    sp.add_argument("--budget", type=float, default=None, metavar="SECONDS", help="stress budget per lane")
    sp.add_argument("--store", type=Path, default=None, help=STORE_HELP)
    sp.add_argument("--no-provision", action="store_true", help="do not ask uv to install missing lanes")
    sp.add_argument("--wheels-only", action="store_true", help="dependencies from wheels only (the project is built)")
    sp.add_argument("--index-url", default=None, metavar="URL", help="the package index (default: uv's or pip's)")
    sp.add_argument("--report-dir", type=Path, default=None, help="where the reports go (default: reports/; with --installed only when given)")
    sp.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    return sp


def add_ci(sub) -> argparse.ArgumentParser:
    ci = sub.add_parser("ci", help="CI for a project: a GitHub Actions workflow, or cibuildwheel's section")
    ci_sub = ci.add_subparsers(dest="ci_command", metavar="KIND", parser_class=Parser, required=True)
    sp = ci_sub.add_parser("github", help="write the playbook's GitHub Actions workflow and toolchain constraints")
    sp.add_argument("path", nargs="?", default=".", metavar="PATH", help="the project directory (default: .)")
    sp.add_argument("--python", default=None, metavar="LIST",
                    help="python versions (default: the production version, 3.13, 3.14, 3.14t)")
    sp.add_argument("--production", default=None, metavar="VERSION",
                    help="the production python the list starts with (default: 3.12)")
    sp.add_argument("--arch", default=None, metavar="LIST", help="x64, arm64 or both (default: both)")
    sp.add_argument("--pin", action="append", default=[], metavar="NAME==VERSION",
                    help="pin a toolchain package (pip, setuptools, wheel, build, packaging); the rest are "
                         "resolved with uv from the configured index")
    sp.add_argument("--index-url", default=None, metavar="URL", help="the index to resolve the toolchain from")
    sp.add_argument("--budget", type=float, default=None, metavar="SECONDS", help="stress budget per job")
    sp.add_argument("-o", "--output", type=Path, default=None, metavar="FILE",
                    help="the workflow file (default: PATH/.github/workflows/ftlab.yml; the toolchain constraints "
                         "always go to PATH/.github/ftlab-constraints.txt)")
    sp.add_argument("--force", action="store_true", help="overwrite existing files")
    sp = ci_sub.add_parser("cibuildwheel", help="print the [tool.cibuildwheel] section: cp314 and cp314t, each "
                                                "wheel checked with 'ftlab check --installed'")
    sp.add_argument("path", nargs="?", default=".", metavar="PATH", help="the project directory (default: .)")
    sp.add_argument("--json", action="store_true", help="print the section and the identifiers as JSON")
    return ci


def add_lock(sub) -> argparse.ArgumentParser:
    lock = sp = sub.add_parser("lock", help="the run's lock: export it for CI and image builds")
    lock_sub = sp.add_subparsers(dest="lock_command", metavar="ACTION", parser_class=Parser, required=True)
    sp = lock_sub.add_parser("export", help="write a run's universal lock as a requirements file with hashes")
    sp.add_argument("run", nargs="?", default="latest", metavar="RUN", help="a run id, unique prefix or latest")
    sp.add_argument("-o", "--output", type=Path, default=None, metavar="FILE",
                    help="where to write it (default: stdout), e.g. -o requirements.lock")
    sp.add_argument("--store", type=Path, default=None, help=STORE_HELP)
    return lock


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
    wide: bool = False,
    html_path: Path | None = None,
) -> int:
    """``ftlab readiness``: one line per package (``wide``: the matrix; ``as_json``: JSON) on ``out``
    (stdout), or an HTML page written to ``html_path`` (its path on ``out``); progress on stderr.

    0 when every needed package is ready on every target, 1 otherwise (some target must build from an
    sdist or has nothing).
    """
    from ftlab.deps.readiness import readiness_for
    from ftlab.report.readiness_table import print_readiness, print_readiness_lines, readiness_html

    out = out or sys.stdout
    result = readiness_for(subjects, requirement_files, targets=targets, index_url=index_url, quiet=quiet)
    if as_json:
        out.write(json.dumps(result.to_json(), indent=2) + "\n")
    elif html_path is not None:
        try:
            html_path.parent.mkdir(parents=True, exist_ok=True)
            html_path.write_text(readiness_html(result), encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write the page to '{html_path}' ({exc.strerror}); pass -o PATH in a writable "
                             "directory") from None
        out.write(f"{html_path}\n")
    elif wide:
        print_readiness(result, out)
    else:
        print_readiness_lines(result, out)
    return 0 if result.all_ready else 1


def add_readiness(sub) -> argparse.ArgumentParser:
    sp = sub.add_parser("readiness", help="which wheels exist for 3.14 and 3.14t, per platform (no interpreter needed)")
    sp.add_argument("subjects", nargs="*", metavar="SUBJECT", help="a requirement (numpy, pyyaml==6.0.3) or a project directory")
    sp.add_argument("-r", "--requirements", action="append", default=[], metavar="FILE", help="a requirements or lock file")
    sp.add_argument("--targets", default=None, metavar="LIST",
                    help="comma-separated targets like cp314t-manylinux_x86_64 (default: cp314 and cp314t on 5 platforms)")
    sp.add_argument("--index-url", default=None, metavar="URL", help=INDEX_HELP)
    sp.add_argument("--wide", action="store_true", help="the matrix: one column per target (default: one line per package)")
    sp.add_argument("--format", choices=["text", "html"], default="text",
                    help="html: write the page (to -o PATH, default reports/ftlab-readiness.html) and print its path")
    sp.add_argument("-o", "--output", type=Path, default=None, metavar="PATH", help="where --format html writes the page")
    sp.add_argument("--json", action="store_true", help="print JSON on stdout")
    return sp


def cmd_readiness(args: argparse.Namespace) -> int:
    from ftlab.report import report_dir

    if not args.subjects and not args.requirements:
        raise UsageError("name at least one subject or -r FILE, e.g. 'ftlab readiness numpy pyyaml'")
    targets = [t.strip() for t in args.targets.split(",") if t.strip()] if args.targets else None
    html_path = None
    if getattr(args, "format", "text") == "html":
        html_path = (getattr(args, "output", None) or report_dir(None) / "ftlab-readiness.html").resolve()
    return readiness_command(args.subjects, args.requirements, targets=targets, index_url=args.index_url,
                             as_json=args.json, wide=getattr(args, "wide", False), html_path=html_path)


# -- check -----------------------------------------------------------------------------------------


def cmd_check(args: argparse.Namespace) -> int:
    from ftlab.engine.pipeline import execute
    from ftlab.engine.project_check import check_installed, check_request
    from ftlab.engine.session import cancel_on_signals
    from ftlab.progress import Reporter
    from ftlab.report import check_summary, write_reports

    if args.budget is not None and args.budget <= 0:
        raise UsageError(f"--budget must be positive (got {args.budget:g}); e.g. --budget 20")
    if args.installed:
        if args.path != "." or args.lane:
            raise UsageError("--installed checks this interpreter's installed distribution; drop PATH and --lane "
                             "(or drop --installed to build PATH on each lane)")
        checked = check_installed(args.installed, project=args.project, budget_s=args.budget,
                                  progress=Reporter(quiet=False))
        written = {}
        if args.report_dir is not None:
            written = write_reports(checked.outcome(), args.report_dir)
        if args.json:
            sys.stdout.write(json.dumps(checked.to_json(), indent=2, default=str) + "\n")
        else:
            sys.stdout.write(check_summary.render(checked.subject.name, f"{checked.version}, installed",
                                                  (checked.lane,), checked.verdicts, checked.found, written))
            print(f"artifacts: {checked.artifacts_dir}")
            print(f"decision: {checked.decision.decision}")
        return 1 if checked.failed else 0
    if args.project is not None:
        raise UsageError("--project goes with --installed; to check a source tree, pass it as PATH")
    cancel_on_signals()
    options = {"budget_s": args.budget, "wheels_only": args.wheels_only, "index_url": args.index_url}
    request = check_request(args.path, lane_specs=tuple(args.lane), options=options, store_path=store_path(args),
                            argv=tuple(sys.argv), provision=not args.no_provision)
    outcome = execute(request, Reporter(quiet=False))

    def summary(outcome, written) -> None:
        sys.stdout.write(check_summary.render(request.subjects[0].name, args.path, outcome.lanes, outcome.verdicts,
                                              list(outcome.findings), written))
        print(f"decision: {outcome.decision.decision}")

    return render_outcome(outcome, args, summary)


# -- ci --------------------------------------------------------------------------------------------


def cmd_ci(args: argparse.Namespace) -> int:
    from ftlab.deps import ci
    from ftlab.engine.project_check import check_subject

    subject = check_subject(args.path)
    if args.ci_command == "cibuildwheel":
        section = ci.cibuildwheel_section(subject.name)
        identifiers = ci.build_identifiers(Path(subject.path), section)
        if args.json:
            sys.stdout.write(json.dumps({"section": section, "identifiers": identifiers}, indent=2) + "\n")
            return 0
        sys.stdout.write(section)
        print("# cibuildwheel will build (linux, macos, windows; --print-build-identifiers):")
        for i in range(0, len(identifiers), 4):
            print("#   " + " ".join(identifiers[i:i + 4]))
        print("# Their wheels on the index: ftlab readiness " + subject.name + " --targets " + ",".join(identifiers))
        return 0
    pythons = ci.parse_pythons(args.python, args.production or ci.DEFAULT_PRODUCTION)
    if args.python and args.production:
        raise UsageError("--production sets the first version of the default list; with --python, list it there")
    archs = ci.parse_archs(args.arch)
    if args.budget is not None and args.budget <= 0:
        raise UsageError(f"--budget must be positive (got {args.budget:g}); e.g. --budget 30")
    root = Path(subject.path)
    workflow_path = args.output or root / ci.WORKFLOW_PATH
    constraints_path = root / ci.CONSTRAINTS_PATH
    existing = [p for p in (workflow_path, constraints_path) if p.exists()]
    if existing and not args.force:
        raise UsageError(f"'{existing[0]}' exists; pass --force to overwrite it (or -o FILE for another workflow file)")
    oldest = min(pythons, key=lambda v: tuple(int(x) for x in v.rstrip("t").split(".")))
    versions = ci.resolve_toolchain(ci.parse_pins(args.pin), python_version=oldest.rstrip("t"),
                                    index_url=args.index_url)
    workflow = ci.github_workflow(subject.name, pythons=pythons, archs=archs, budget_s=args.budget)
    for path, text in ((constraints_path, ci.constraints_text(versions)), (workflow_path, workflow)):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write '{path}' ({exc.strerror}); pass -o FILE in a writable directory") from None
        print(path)
    return 0


# -- lock export -----------------------------------------------------------------------------------


def cmd_lock(args: argparse.Namespace) -> int:
    from ftlab.deps.index import IndexClient
    from ftlab.deps.lock import Lock, hashed_requirements
    from ftlab.progress import Reporter
    from ftlab.store.db import Store

    with Store(store_path(args), create=False) as store:
        record = store.load_run(args.run)
    if not record.lock:
        raise UsageError(f"run {record.run_id} has no lock (it installed nothing); export the lock of a run that "
                         "installed packages (see 'ftlab runs')")
    lock = Lock.parse(record.lock, source=f"run {record.run_id}'s lock")
    indexed = [p for p in lock.pins if p.version is not None]
    reporter = Reporter(quiet=False)
    with reporter.stage("reading hashes from the index", total=len(indexed)):
        releases = IndexClient(settings=lock.install_settings()).releases(
            [(p.name, p.version) for p in indexed], on_done=lambda rel: reporter.advance(f"{rel.name} {rel.version}"))
    text, unhashed = hashed_requirements(lock, releases, run_id=record.run_id)
    for name in unhashed:
        reporter.note(f"note: {name} is a local project: no hash can pin it, so it is listed as a comment")
    if args.output is None or str(args.output) == "-":
        sys.stdout.write(text)
        return 0
    try:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write '{args.output}' ({exc.strerror}); pass -o FILE in a writable directory") from None
    print(args.output)
    return 0


COMMANDS = {
    # The readiness parser and its handler are both here, where readiness is rendered.
    "readiness": Command(name="readiness", add=add_readiness, run=cmd_readiness),
    "check": Command(name="check", add=add_check, run=cmd_check),
    "ci": Command(name="ci", add=add_ci, run=cmd_ci),
    "lock": Command(name="lock", add=add_lock, run=cmd_lock),
}
