"""The command line: parse, call the library, render. Everything here is callable from Python too.

Exit codes: 0 go (or nothing found), 1 findings (no-go, or a diff that regressed), 2 bad input or an
unusable environment, 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

import ftlab
from ftlab.errors import NO_SPACE_ERRNOS, FtlabError, StoreError, UsageError

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors go through the one error family (one line, exit 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message}; see '{self.prog} --help'")


PERF_BUDGET_HELP = ("perf upgrade gates between lanes of one kind (GIL vs GIL, free-threaded vs free-threaded; runs "
                    "in 'ftlab diff'), candidate/baseline ratios: p95 (latency per call), cpu (per operation), rss, "
                    "startup, import; default p95=1.03,cpu=1.05,rss=1.05,startup=1.10,import=1.10, or "
                    "[tool.ftlab.perf] in ./pyproject.toml")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="ftlab", description="Free-threaded compatibility lab: does this dependency tree work on CPython 3.14t?")
    p.add_argument("--version", action="version", version=f"ftlab {ftlab.__version__}")
    p.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    store_help = "the SQLite store (default: $FTLAB_STORE or .ftlab/ftlab.sqlite)"
    lane_help = "a lane: 3.14, 3.14t, a python path, or NAME=PATH (repeatable; default: 3.14 and 3.14t)"

    sp = sub.add_parser("lanes", help="list the interpreters ftlab can use as lanes")
    sp.add_argument("--lane", action="append", default=[], metavar="SPEC", help="also fingerprint this interpreter")
    sp.add_argument("--json", action="store_true", help="print JSON on stdout")

    sp = sub.add_parser("run", help="install, import and stress-test subjects on each lane")
    sp.add_argument("subjects", nargs="*", metavar="SUBJECT", help="a requirement (numpy, pyyaml==6.0.3) or a project directory")
    sp.add_argument("-r", "--requirements", action="append", default=[], metavar="FILE", help="a requirements or lock file")
    sp.add_argument("--lane", action="append", default=[], metavar="SPEC", help=lane_help)
    sp.add_argument("--checks", default=None, metavar="LIST", help="comma-separated checks (see 'ftlab checks')")
    sp.add_argument("--store", type=Path, default=None, help=store_help)
    sp.add_argument("--jobs", type=int, default=0, metavar="N", help="jobs at once (default: one per core)")
    sp.add_argument("--no-provision", action="store_true", help="do not ask uv to install missing lanes")
    sp.add_argument("--wheels-only", action="store_true", help="never build from sdists; a missing wheel is a finding")
    sp.add_argument("--install-timeout", type=float, default=None, metavar="SECONDS",
                    help="seconds one distribution's install may take, builds from source included (default: "
                         "1200); a build still running then leaves its package untested, not failed")
    sp.add_argument("--index-url", default=None, metavar="URL", help="the package index (default: the one uv or pip is configured with)")
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
    run_parser = sp

    sp = sub.add_parser("readiness", help="which wheels exist for 3.14 and 3.14t, per platform (no interpreter needed)")
    sp.add_argument("subjects", nargs="*", metavar="SUBJECT", help="a requirement (numpy, pyyaml==6.0.3) or a project directory")
    sp.add_argument("-r", "--requirements", action="append", default=[], metavar="FILE", help="a requirements or lock file")
    sp.add_argument("--targets", default=None, metavar="LIST",
                    help="comma-separated targets like cp314t-manylinux_x86_64 (default: cp314 and cp314t on 5 platforms)")
    sp.add_argument("--index-url", default=None, metavar="URL", help="the package index (default: the one uv or pip is configured with)")
    sp.add_argument("--wide", action="store_true", help="the matrix: one column per target (default: one line per package)")
    sp.add_argument("--format", choices=["text", "html"], default="text",
                    help="html: write the page (to -o PATH, default reports/ftlab-readiness.html) and print its path")
    sp.add_argument("-o", "--output", type=Path, default=None, metavar="PATH", help="where --format html writes the page")
    sp.add_argument("--json", action="store_true", help="print JSON on stdout")

    sp = sub.add_parser("runs", help="list the runs in the store")
    sp.add_argument("--store", type=Path, default=None, help=store_help)
    sp.add_argument("--check", action="store_true",
                    help="check the store's integrity instead (SQLite's and ftlab's own rules); exit 2 when unsound")
    sp.add_argument("--json", action="store_true", help="print JSON on stdout")

    sp = sub.add_parser("checks", help="list the checks a run can do")
    sp.add_argument("--json", action="store_true", help="print JSON on stdout")

    sp = sub.add_parser("probes", help="list the stress probes: subject, probe path, ops, hand-written or auto")
    sp.add_argument("--json", action="store_true", help="print JSON on stdout")

    sp = sub.add_parser("demo", help="run the bundled fixtures and a few real packages, and write a report")
    sp.add_argument("--store", type=Path, default=None, help=store_help)
    sp.add_argument("--lane", action="append", default=[], metavar="SPEC", help=lane_help)
    sp.add_argument("--full", action="store_true",
                    help="every import and calibration fixture and two real packages (10-16 min), instead of four subjects (~2 min)")
    sp.add_argument("--json", action="store_true", help="print the run as JSON on stdout")
    _add_report_and_diff(sub, store_help)
    for feature in _features():
        feature.add_arguments(sub, run_parser, store_help=store_help, lane_help=lane_help)
    return p


#: Commands and `run` options whose code lives in a module of its own. Each module has
#: ``add_arguments(sub, run_parser, *, store_help, lane_help)``, ``run_options(args, checks) -> dict``
#: (merged into the run's options) and ``COMMANDS`` ({name: function(args) -> exit code}).
FEATURE_MODULES = ("ftlab.cli.maintainers", "ftlab.cli.scale", "ftlab.cli.perf")


def _features() -> list:
    import importlib

    return [importlib.import_module(name) for name in FEATURE_MODULES]


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        return main_inner(argv)
    except FtlabError as exc:
        if debug:
            traceback.print_exc()
        print(f"ftlab: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("ftlab: interrupted; results recorded so far are kept (resume with 'ftlab run --resume latest')", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except OSError as exc:
        if exc.errno not in NO_SPACE_ERRNOS:
            raise
        if debug:
            traceback.print_exc()
        where = f" writing '{exc.filename}'" if exc.filename else ""
        print(f"ftlab: error: the disk is full: no space left on the disk{where}; free some space (results recorded so far are "
              "kept; 'ftlab run --resume' finishes an unfinished run)", file=sys.stderr)
        return EXIT_USAGE


def main_inner(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.command is None:
        build_parser().print_help(sys.stderr)
        return EXIT_USAGE
    if args.command in ("run", "demo"):
        _cancel_on_signals()
    commands = dict(COMMANDS)
    for feature in _features():
        commands.update(feature.COMMANDS)
    return commands[args.command](args)


def _cancel_on_signals() -> None:
    """Ctrl-C or SIGTERM cancel a run at once: every sandbox is killed whole before the run unwinds
    (instead of waiting for the jobs running now), then it ends as interrupted, resumable."""
    import signal

    from ftlab.sandbox import process as sandbox

    def cancel(signum: int, _frame: object) -> None:
        sandbox.kill_all()
        raise KeyboardInterrupt

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, cancel)


def _store_path(args: argparse.Namespace) -> Path:
    from ftlab.store.db import default_store_path

    return args.store or default_store_path()


def _emit_json(doc: object) -> None:
    sys.stdout.write(json.dumps(doc, indent=2, default=str) + "\n")


# -- commands --------------------------------------------------------------------------------------


def cmd_lanes(args: argparse.Namespace) -> int:
    from ftlab.engine.pipeline import lane_json
    from ftlab.lanes import interpreters as lanes_mod
    from ftlab.report import terminal

    explicit = [lanes_mod.fingerprint(s.path, source="explicit", name=s.name)
                for s in (lanes_mod.parse_spec(x) for x in args.lane) if s.is_path]
    bad = [x for x in args.lane if not lanes_mod.parse_spec(x).is_path]
    if bad:
        raise UsageError(f"'ftlab lanes --lane' takes interpreter paths; '{bad[0]}' is a version (use it with 'ftlab run --lane')")
    found = lanes_mod.discover()
    known = {os.path.realpath(lane.path) for lane in explicit}
    found = explicit + [lane for lane in found if os.path.realpath(lane.path) not in known]
    if args.json:
        _emit_json({"lanes": [lane_json(lane) for lane in found]})
    else:
        terminal.print_lanes(found)
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from ftlab.engine.checks import parse_checks
    from ftlab.engine.pipeline import RunRequest

    if args.resume and (args.subjects or args.requirements or args.lane):
        raise UsageError("--resume continues a stored run as it was planned; drop the subjects and --lane options")
    checks = parse_checks(args.checks)
    perf = _perf_options(args, checks)
    subject_set = _parse_subjects(args.subjects, args.requirements)
    subjects = subject_set.subjects if subject_set else ()
    index_url = args.index_url or (subject_set.index_url if subject_set else None)
    if args.install_timeout is not None and args.install_timeout <= 0:
        raise UsageError(f"--install-timeout must be a positive number of seconds, not {args.install_timeout:g} (default 1200)")
    options = {"wheels_only": args.wheels_only, "gil": args.gil, "budget_s": args.budget, "index_url": index_url,
               "install_timeout_s": args.install_timeout,
               "module_timeout_s": args.module_timeout, "perf_budget": args.perf_budget, **perf}
    for feature in _features():
        options.update(feature.run_options(args, checks))
    if args.memory_limit is not None:
        if args.memory_limit < 256:
            raise UsageError(f"--memory-limit {args.memory_limit} MB is too small to start Python; e.g. --memory-limit 2048")
        options["memory_mb"] = args.memory_limit
    if args.gil is not None:
        options["gil"] = int(args.gil)
    request = RunRequest(
        subjects=tuple(subjects), lane_specs=tuple(args.lane), checks=tuple(checks), store_path=_store_path(args),
        jobs=args.jobs, provision=not args.no_provision, options=options, argv=tuple(sys.argv), resume=args.resume,
    )
    return _run_and_render(request, args)


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
    import difflib

    from ftlab.lanes.interpreters import parse_spec

    specs = [parse_spec(x) for x in lane_specs]
    if any(sp.is_path and not sp.name for sp in specs):
        return
    names = [sp.name or sp.version_text for sp in specs]
    if baseline not in names:
        close = difflib.get_close_matches(baseline, names, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise UsageError(f"--baseline lane '{baseline}' is not a lane of this run{hint} (lanes: {', '.join(names)})")


def _parse_subjects(names: Sequence[str], files: Sequence[str]):
    if not names and not files:
        return None
    from ftlab.lanes.subjects import read_subjects

    return read_subjects(names, files)


def _run_and_render(request, args: argparse.Namespace, *, findings_exit: int = EXIT_FINDINGS) -> int:
    from ftlab.cli.progress import Reporter
    from ftlab.engine.pipeline import execute
    from ftlab.report import terminal

    outcome = execute(request, Reporter(quiet=False))
    return render_outcome(outcome, args, terminal.print_run, findings_exit=findings_exit)


def render_outcome(outcome, args: argparse.Namespace, print_text, *, findings_exit: int = EXIT_FINDINGS) -> int:
    """A finished run (executed, checked or merged): its reports written, then JSON on stdout (``--json``,
    with the reports' paths) or ``print_text(outcome, written)``; the exit code says no-go."""
    from ftlab.report import write_reports

    written = write_reports(outcome, getattr(args, "report_dir", None))
    if args.json:
        doc = outcome.to_json()
        doc["reports"] = {k: str(v) for k, v in written.items()}
        _emit_json(doc)
    else:
        print_text(outcome, written)
    return findings_exit if outcome.decision.decision == "no-go" else EXIT_OK


def cmd_runs(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from ftlab.engine import runlock
    from ftlab.report import terminal
    from ftlab.store.db import Store

    if args.check:
        return _check_store(args)
    with Store(_store_path(args), create=False) as store:
        # A run still `running` in the store whose process is gone (killed) shows as interrupted.
        records = [replace(r, status=runlock.effective_status(r.status, r.artifacts_dir))
                   for r in (store.load_run(rid) for rid in store.run_ids())]
    if args.json:
        _emit_json({"runs": [{"run_id": r.run_id, "created_at": r.created_at, "status": r.status,
                              "decision": r.decision.decision if r.decision else None,
                              "subjects": [s.name for s in r.subjects], "lanes": [ln.name for ln in r.lanes]}
                             for r in records]})
    else:
        terminal.print_runs(records)
        if any(r.status == "interrupted" for r in records):
            print("runs marked interrupted did not finish; 'ftlab run --resume [RUN]' finishes one (the latest "
                  "by default), keeping the jobs it recorded", file=sys.stderr)
    return EXIT_OK


def _check_store(args: argparse.Namespace) -> int:
    from ftlab.store.check import check_store
    from ftlab.store.db import Store

    with Store(_store_path(args), create=False) as store:
        result = check_store(store)
    if args.json:
        _emit_json(result.to_json())
    else:
        counts = ", ".join(f"{n} {table}" for table, n in result.counts.items())
        print(f"store {result.store}: {'sound' if result.sound else 'UNSOUND'}" + (f" ({counts})" if counts else ""))
        for line in (*([] if not result.damaged else result.integrity), *result.problems):
            print(f"  problem: {line}")
        for run in result.unfinished:
            print(f"  unfinished: {run}; finish it with 'ftlab run --resume {run.split()[0]}'")
    if result.sound:
        return EXIT_OK
    first = result.integrity[0] if result.damaged else result.problems[0]
    n = len(result.problems) + (len(result.integrity) if result.damaged else 0)
    raise StoreError(f"the store at '{result.store}' failed its check ({n} problem(s); first: {first}); {result.fix()}")


def cmd_checks(args: argparse.Namespace) -> int:
    from ftlab.engine.checks import CHECKS

    if args.json:
        _emit_json({"checks": [{"name": c.name, "per_subject": c.per_subject, "description": c.description}
                               for c in CHECKS.values()]})
    else:
        for c in CHECKS.values():
            print(f"{c.name:<12} {c.description}")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from ftlab.cli.demo import demo_command

    return demo_command(args, store_path=_store_path(args), run_and_render=_run_and_render)


# -- report and diff (issue 7) ---------------------------------------------------------------------


def _add_report_and_diff(sub, store_help: str) -> None:
    sp = sub.add_parser("report", help="render a stored run as HTML, Markdown, JSON or JUnit XML")
    sp.add_argument("run", nargs="?", default="latest", metavar="RUN", help="a run id, unique prefix, latest or latest~N (default: latest)")
    sp.add_argument("--format", choices=["html", "md", "json", "junit"], default="html", help="report format (default: html)")
    sp.add_argument("-o", "--output", type=Path, default=None, metavar="PATH",
                    help="where to write it ('-' for stdout; default: html to the report folder, other formats to stdout)")
    sp.add_argument("--store", type=Path, default=None, help=store_help)

    sp = sub.add_parser("diff", help="compare two runs: new and gone signals, verdict changes, metrics (exit 1 on regression)")
    sp.add_argument("before", metavar="RUN_A", help="the older run (id, unique prefix, latest~1, ...)")
    sp.add_argument("after", metavar="RUN_B", help="the newer run")
    sp.add_argument("--store", type=Path, default=None, help=store_help)
    sp.add_argument("--perf-budget", default=None, metavar="LIST", help=PERF_BUDGET_HELP)
    sp.add_argument("--json", action="store_true", help="print the diff as JSON on stdout")


def cmd_report(args: argparse.Namespace) -> int:
    from ftlab.report import outcome_for_report, render, report_path
    from ftlab.store.db import Store

    store_path = _store_path(args)
    with Store(store_path, create=False) as store:
        record = store.load_run(args.run)
    outcome = outcome_for_report(record, store_path=store_path)
    to_stdout = str(args.output) == "-" or (args.output is None and args.format != "html")
    path = None if to_stdout else (args.output or report_path(outcome, None, args.format)).resolve()
    text = render(outcome, args.format, path=path)
    if path is None:
        sys.stdout.write(text)
        return EXIT_OK
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write the report to '{path}' ({exc.strerror}); pass -o PATH in a writable directory") from None
    print(path)
    return EXIT_OK


def cmd_diff(args: argparse.Namespace) -> int:
    from ftlab.judgement.diff import diff_runs, dumps, format_text
    from ftlab.store.db import Store

    with Store(_store_path(args), create=False) as store:
        before, after = store.load_run(args.before), store.load_run(args.after)
    if before.run_id == after.run_id:
        raise UsageError(f"'{args.before}' and '{args.after}' are the same run ({before.run_id}); pass two different runs")
    from ftlab.judgement.gates import resolve_budgets

    result = diff_runs(before, after, perf_budgets=resolve_budgets(args.perf_budget, Path.cwd()))
    sys.stdout.write(dumps(result) if args.json else format_text(result))
    return EXIT_FINDINGS if result.regressed else EXIT_OK


# -- end of report and diff ------------------------------------------------------------------------


def cmd_probes(args: argparse.Namespace) -> int:
    from ftlab.engine.checks.probes_list import load_catalog, render

    entries = load_catalog()
    if args.json:
        _emit_json({"probes": entries})
    else:
        print(render(entries))
    return EXIT_OK


COMMANDS = {
    "lanes": cmd_lanes,
    "run": cmd_run,
    "runs": cmd_runs,
    "checks": cmd_checks,
    "demo": cmd_demo,
    "report": cmd_report,
    "diff": cmd_diff,
    "probes": cmd_probes,
}
