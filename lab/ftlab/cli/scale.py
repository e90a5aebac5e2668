"""Surveys that outgrow one machine: the run's executor and shard options, merge and survey."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Sequence
from pathlib import Path

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


def add_arguments(sub, run_parser: argparse.ArgumentParser, *, store_help: str, lane_help: str) -> None:
    """`run --executor/--scheduler/--workers/--shard`, and the merge and survey subcommands."""
    _add_executor_options(run_parser)
    run_parser.add_argument("--shard", default=None, metavar="I/N", help=SHARD_HELP)

    sp = sub.add_parser("merge", help="join the shard runs of one plan (run --shard I/N) into one run in another store")
    sp.add_argument("stores", nargs="+", type=Path, metavar="STORE", help="a shard's store (its latest run is the shard)")
    sp.add_argument("--store", type=Path, required=True, help="the store the merged run goes into")
    sp.add_argument("--report-dir", type=Path, default=None, help="where the HTML report goes (default: reports/)")
    sp.add_argument("--json", action="store_true", help="print the merged run as JSON on stdout")

    from ftlab.engine.survey import TOP_URL_ENV

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
    sp.add_argument("--lane", action="append", default=[], metavar="SPEC", help=lane_help)
    sp.add_argument("--store", type=Path, default=None, help=store_help)
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
        import distributed  # noqa: F401
    except ImportError:
        raise UsageError("--executor dask needs Dask: pip install 'ftlab[dask]'") from None
    if args.scheduler:
        _check_reachable(args.scheduler)
    return {"executor": "dask", "scheduler": args.scheduler, "workers": args.workers}


#: A scheduler that does not accept a connection this fast is not there (checked before a run is recorded).
REACH_TIMEOUT_S = 5.0


def _check_reachable(address: str) -> None:
    import socket

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
    from ftlab.cli.main import render_outcome
    from ftlab.engine.merge import merge
    from ftlab.report import terminal

    return render_outcome(merge(args.stores, args.store), args, terminal.print_run)


def cmd_survey(args: argparse.Namespace) -> int:
    from ftlab.engine.survey import survey_command

    return survey_command(args, executor_options(args))


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {"merge": cmd_merge, "survey": cmd_survey}
