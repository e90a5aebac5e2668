"""Surveys that outgrow one machine: the run's executor and shard options, merge and survey."""

from __future__ import annotations

import argparse
import json
import re
import socket
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ftlab.cli.common import LANE_HELP, STORE_HELP, Command, render_outcome
from ftlab.cli.common import store_path as store
from ftlab.errors import UsageError

EXECUTOR_HELP = "where jobs run: local (threads on this machine, the default) or dask (a Dask cluster)"
SCHEDULER_HELP = "--executor dask: join the cluster of this scheduler, e.g. tcp://10.0.0.5:8786"
WORKERS_HELP = "--executor dask: start a local cluster of N process workers (default: one per core)"
SHARD_HELP = "run only shard I of N of the plan (a stable split by subject), e.g. 2/4; join shards with 'ftlab merge'"

_ADDRESS = re.compile(r"^(tcp|tls)://[^\s/]+:\d+$")


def _add_executor_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--executor", choices=["local", "dask"], default=None, help=EXECUTOR_HELP)
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS", help=SCHEDULER_HELP)
    parser.add_argument("--workers", type=int, default=None, metavar="N", help=WORKERS_HELP)


def add_run_arguments(run_parser: argparse.ArgumentParser) -> None:
    """`run --executor/--scheduler/--workers/--shard`."""
    _add_executor_options(run_parser)
    run_parser.add_argument("--shard", default=None, metavar="I/N", help=SHARD_HELP)


def add_merge(sub) -> argparse.ArgumentParser:
    sp = sub.add_parser("merge", help="join the shard runs of one plan (run --shard I/N) into one run in another store")
    sp.add_argument("stores", nargs="+", type=Path, metavar="STORE", help="a shard's store (its latest run is the shard)")
    sp.add_argument("--store", type=Path, required=True, help="the store the merged run goes into")
    sp.add_argument("--report-dir", type=Path, default=None, help="where the HTML report goes (default: reports/)")
    sp.add_argument("--json", action="store_true", help="print the merged run as JSON on stdout")
    return sp


#: ftlab.engine.survey.TOP_URL_ENV, named here so that building the parser imports no engine.
TOP_URL_ENV = "FTLAB_TOP_PYPI_URL"


def add_survey(sub) -> argparse.ArgumentParser:
    sp = sub.add_parser("survey", help="install, import and stress-test many packages, each on its own lock "
                                       "(a list file, or the most-downloaded on PyPI)")
    sp.add_argument("list_file", nargs="?", type=Path, default=None, metavar="LIST",
                    help="a file of package names, one a line (# comments)")
    sp.add_argument("--top", type=int, default=None, metavar="N",
                    help=f"the N most-downloaded packages on PyPI (the data set at ${TOP_URL_ENV}, or hugovk's)")
    sp.add_argument("--with-extensions", action="store_true",
                    help="keep only distributions whose latest release has compiled wheels")
    sp.add_argument("--checks", default="install,import", metavar="LIST",
                    help="comma-separated checks (default: install,import; add stress for threads)")
    sp.add_argument("--lane", action="append", default=[], metavar="SPEC", help=LANE_HELP)
    sp.add_argument("--store", type=Path, default=None, help=STORE_HELP)
    sp.add_argument("--index-url", default=None, metavar="URL", help="the package index (default: the one uv or pip is configured with)")
    sp.add_argument("--jobs", type=int, default=0, metavar="N", help="local executor: subjects at once (default: one per core)")
    sp.add_argument("--module-timeout", type=float, default=None, metavar="SECONDS",
                    help="import check: a module import running longer is a hang (default: 60)")
    sp.add_argument("--budget", type=float, default=None, metavar="SECONDS", help="stress budget per subject and lane")
    sp.add_argument("--resume", nargs="?", const="latest", default=None, metavar="RUN",
                    help="finish an interrupted survey (default: the latest unfinished one)")
    sp.add_argument("--report-dir", type=Path, default=None, help="where the survey report goes (default: reports/)")
    sp.add_argument("--json", action="store_true", help="print the survey as JSON on stdout")
    _add_executor_options(sp)
    return sp


def executor_options(args: argparse.Namespace) -> dict:
    """--executor/--scheduler/--workers as run options, checked (bad input: a UsageError)."""
    if args.executor != "dask":
        if args.scheduler or args.workers is not None:
            given = "--scheduler" if args.scheduler else "--workers"
            raise UsageError(f"{given} is for the Dask executor; add --executor dask")
        return {}
    if args.scheduler and args.workers is not None:
        raise UsageError("pass --scheduler ADDRESS (an existing cluster) or --workers N (a local one), not both")
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers must be at least 1 (got {args.workers}); e.g. --workers 2")
    if args.scheduler and not _ADDRESS.match(args.scheduler):
        raise UsageError(f"--scheduler takes tcp://HOST:PORT (got '{args.scheduler}'); e.g. --scheduler tcp://127.0.0.1:8786")
    try:
        import distributed  # noqa: F401  (Dask: optional and heavy, so imported only when asked for)
    except ImportError:
        raise UsageError("--executor dask needs Dask: pip install 'ftlab[dask]'") from None
    if args.scheduler:
        _check_reachable(args.scheduler)
    return {"executor": "dask", "scheduler": args.scheduler, "workers": args.workers}


#: A scheduler that does not accept a connection this fast is not there (checked before a run is recorded).
REACH_TIMEOUT_S = 5.0


def _check_reachable(address: str) -> None:
    host, _, port = address.split("://", 1)[1].rpartition(":")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=REACH_TIMEOUT_S).close()
    except OSError as exc:
        raise UsageError(f"cannot reach the Dask scheduler at {address} ({exc.strerror or exc}); start one with "
                         "'dask scheduler' (and workers with 'dask worker ADDRESS'), or use --workers N") from None


def run_options(args: argparse.Namespace, checks: Sequence[str]) -> dict:
    """The run's options these arguments set (checked here: bad input is a UsageError)."""
    from ftlab.engine.plan import parse_shard

    options = executor_options(args)
    if args.shard is not None:
        if args.resume:
            raise UsageError("--resume continues a run with the shard it was planned with; drop --shard")
        parse_shard(args.shard)
        options["shard"] = args.shard.strip()
    return options


def cmd_merge(args: argparse.Namespace) -> int:
    from ftlab.engine.merge import merge
    from ftlab.report import terminal

    return render_outcome(merge(args.stores, args.store), args, terminal.print_run)


def cmd_survey(args: argparse.Namespace) -> int:
    """`ftlab survey`: the engine (ftlab.engine.survey) takes plain arguments and never prints; here the
    arguments are read, the reports written and the survey printed."""
    from ftlab.engine.checks import parse_checks
    from ftlab.engine.survey import (
        SURVEY_CHECKS,
        read_list,
        run_survey,
        survey_history,
        top_packages,
        with_extensions,
    )
    from ftlab.report import write_reports
    from ftlab.report.survey import print_survey, survey_json, write_survey_report

    store_path = store(args)
    from ftlab.progress import Reporter

    reporter = Reporter(quiet=False)
    asked = parse_checks(args.checks)
    checks = [c for c in asked if c in SURVEY_CHECKS]
    if set(asked) - set(checks):
        reporter.note(f"a survey runs per-package checks only; not running: {', '.join(sorted(set(asked) - set(checks)))}")
    if not checks:
        raise UsageError(f"a survey runs per-package checks ({', '.join(SURVEY_CHECKS)}); e.g. --checks install,import")
    options: dict[str, Any] = {"index_url": args.index_url, "module_timeout_s": args.module_timeout,
                               "budget_s": args.budget, **executor_options(args)}
    if args.resume:
        if args.list_file or args.top or args.lane:
            raise UsageError("--resume continues a stored survey as it was planned; drop the list, --top and --lane")
        outcome, source = run_survey(None, lane_specs=(), checks=(), store_path=store_path, options={},
                                     jobs=args.jobs, reporter=reporter, resume=args.resume)
    else:
        if bool(args.list_file) == bool(args.top):
            raise UsageError("name the packages: a list file, or --top N for the most-downloaded on PyPI")
        if args.list_file:
            names = read_list(args.list_file)
            source = {"list": str(args.list_file)}
        else:
            top = top_packages(args.top, cache_dir=Path(store_path).parent / "cache")
            names = list(top.names)
            source = {"top": args.top, "url": top.url, "date": top.date,
                      "read_at": time.strftime("%Y-%m-%d %H:%M", time.gmtime(top.fetched_at))}
            reporter.note(f"top {len(names)} PyPI packages from {top.url}, data set of {top.date}"
                          f"{' (cached)' if top.from_cache else ''}")
        if args.with_extensions:
            names, dropped = with_extensions(names, args.index_url)
            source["with_extensions"] = True
            source["dropped"] = dropped
            reporter.note(f"--with-extensions: {len(names)} with compiled wheels kept, {len(dropped)} left out")
            if not names:
                raise UsageError("no package left after --with-extensions; survey more (--top N) or drop the option")
        options["survey"] = source
        outcome, source = run_survey(names, lane_specs=tuple(args.lane), checks=tuple(checks), store_path=store_path,
                                     options=options, jobs=args.jobs, reporter=reporter, resume=None)
    written = write_reports(outcome, args.report_dir)
    history = survey_history(outcome.store_path)
    written.update(write_survey_report(outcome, source, args.report_dir, history))
    if args.json:
        doc = survey_json(outcome, source, history)
        doc["reports"] = {k: str(v) for k, v in written.items()}
        sys.stdout.write(json.dumps(doc, indent=2, default=str) + "\n")
    else:
        print_survey(outcome, source, written)
    return 0



COMMANDS = {
    "merge": Command(name="merge", add=add_merge, run=cmd_merge),
    # Ctrl-C kills every sandbox and leaves the survey resumable, as for a run.
    "survey": Command(name="survey", add=add_survey, run=cmd_survey, cancel_on_signals=True),
}
