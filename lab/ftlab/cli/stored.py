"""Commands over the store: `ftlab runs` (and `runs --check`), `ftlab report`, `ftlab diff` (parsers and
handlers)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from ftlab.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    PERF_BUDGET_HELP,
    STORE_HELP,
    Command,
    emit_json,
    store_path,
)
from ftlab.errors import StoreError, UsageError


def add_runs(sub) -> argparse.ArgumentParser:
    sp = sub.add_parser("runs", help="list the runs in the store")
    sp.add_argument("--store", type=Path, default=None, help=STORE_HELP)
    sp.add_argument("--check", action="store_true",
                    help="check the store's integrity instead (SQLite's and ftlab's own rules); exit 2 when unsound")
    sp.add_argument("--json", action="store_true", help="print JSON on stdout")
    return sp


def cmd_runs(args: argparse.Namespace) -> int:
    from ftlab.report import terminal
    from ftlab.store import runlock
    from ftlab.store.db import Store

    if args.check:
        return _check_store(args)
    with Store(store_path(args), create=False) as store:
        # A run still `running` in the store whose process is gone (killed) shows as interrupted.
        records = [replace(r, status=runlock.effective_status(r.status, r.artifacts_dir))
                   for r in (store.load_run(rid) for rid in store.run_ids())]
    if args.json:
        emit_json({"runs": [{"run_id": r.run_id, "created_at": r.created_at, "status": r.status,
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

    with Store(store_path(args), create=False) as store:
        result = check_store(store)
    if args.json:
        emit_json(result.to_json())
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


def add_report(sub) -> argparse.ArgumentParser:
    sp = sub.add_parser("report", help="render a stored run as HTML, Markdown, JSON or JUnit XML")
    sp.add_argument("run", nargs="?", default="latest", metavar="RUN", help="a run id, unique prefix, latest or latest~N (default: latest)")
    sp.add_argument("--format", choices=["html", "md", "json", "junit"], default="html", help="report format (default: html)")
    sp.add_argument("-o", "--output", type=Path, default=None, metavar="PATH",
                    help="where to write it ('-' for stdout; default: html to the report folder, other formats to stdout)")
    sp.add_argument("--store", type=Path, default=None, help=STORE_HELP)
    return sp


def cmd_report(args: argparse.Namespace) -> int:
    from ftlab.report import existing_reports, outcome_for_report, render, report_path
    from ftlab.store.db import Store

    path_of_store = store_path(args)
    with Store(path_of_store, create=False) as store:
        record = store.load_run(args.run)
    outcome = outcome_for_report(record, store_path=path_of_store)
    to_stdout = str(args.output) == "-" or (args.output is None and args.format != "html")
    path = None if to_stdout else (args.output or report_path(outcome, None, args.format)).resolve()
    # The JSON document lists the run's report files, as `run --json` does: those in the report folder.
    text = render(outcome, args.format, path=path, reports=existing_reports(outcome))
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


def add_diff(sub) -> argparse.ArgumentParser:
    sp = sub.add_parser("diff", help="compare two runs: new and gone signals, verdict changes, metrics (exit 1 on regression)")
    sp.add_argument("before", metavar="RUN_A", help="the older run (id, unique prefix, latest~1, ...)")
    sp.add_argument("after", metavar="RUN_B", help="the newer run")
    sp.add_argument("--store", type=Path, default=None, help=STORE_HELP)
    sp.add_argument("--perf-budget", default=None, metavar="LIST", help=PERF_BUDGET_HELP)
    sp.add_argument("--json", action="store_true", help="print the diff as JSON on stdout")
    return sp


def cmd_diff(args: argparse.Namespace) -> int:
    from ftlab.judgement.diff import diff_runs, dumps, format_text
    from ftlab.judgement.gates import resolve_budgets
    from ftlab.store.db import Store

    with Store(store_path(args), create=False) as store:
        before, after = store.load_run(args.before), store.load_run(args.after)
    if before.run_id == after.run_id:
        raise UsageError(f"'{args.before}' and '{args.after}' are the same run ({before.run_id}); pass two different runs")
    result = diff_runs(before, after, perf_budgets=resolve_budgets(args.perf_budget, Path.cwd()))
    sys.stdout.write(dumps(result) if args.json else format_text(result))
    return EXIT_FINDINGS if result.regressed else EXIT_OK


COMMANDS = {
    "runs": Command(name="runs", add=add_runs, run=cmd_runs),
    "report": Command(name="report", add=add_report, run=cmd_report),
    "diff": Command(name="diff", add=add_diff, run=cmd_diff),
}
