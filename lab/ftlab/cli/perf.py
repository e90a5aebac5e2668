"""Does free-threading pay off: the run's payoff SLO, the user's own workloads and the perf measuring time."""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from pathlib import Path

from ftlab.errors import UsageError

PAYOFF_HELP = ("perf: the SLO the free-threaded lane is judged by against the GIL lane of its version: "
               "payoff (FT throughput / GIL throughput at N threads, at least), p95 (FT p95 / GIL p95 at N, "
               "at most), threads (N; default the cores), shapes (independent and/or shared); default "
               "payoff=1.3,p95=1.1,shapes=independent, or payoff* keys of [tool.ftlab.perf] in ./pyproject.toml")
WORKLOAD_HELP = ("perf: time a callable of your code too, MODULE:FUNCTION (repeatable), one object per thread and "
                 "one shared: a function returning a callable makes one operation per call of it; any other "
                 "function is the operation itself. Imported from the lanes' environments, then from here")
MICRO_HELP = ("perf: the interpreter micro-lane too: pyperformance's richards, regex_v8 and json_dumps as workloads "
              "on every lane (needs pyperformance as a subject), to tell interpreter regressions from package ones")
#: The micro-lane's workloads (probes/ftlab_probes/runtime/perf_micro.py).
MICRO_WORKLOADS = tuple(f"ftlab_probes.runtime.perf_micro:{name}" for name in ("richards", "regex_v8", "json_dumps"))
PERF_TIME_HELP = ("perf: measuring seconds for every workload of a subject on a lane (default: 90); windows and "
                  "repeats not set shrink to fit, then workloads are left out and the report names them")

_CALLABLE = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*:[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$")


def add_run_arguments(run_parser: argparse.ArgumentParser) -> None:
    """`run --payoff/--workload/--perf-time`."""
    run_parser.add_argument("--payoff", default=None, metavar="SLO", help=PAYOFF_HELP)
    run_parser.add_argument("--workload", action="append", default=[], metavar="MODULE:FUNCTION", help=WORKLOAD_HELP)
    run_parser.add_argument("--perf-time", type=float, default=None, metavar="SECONDS", help=PERF_TIME_HELP)
    run_parser.add_argument("--micro", action="store_true", help=MICRO_HELP)


def run_options(args: argparse.Namespace, checks: Sequence[str]) -> dict:
    """The run's options these arguments set (checked here: bad input is a UsageError)."""
    from ftlab.judgement.payoff import resolve_slo

    payoff = getattr(args, "payoff", None)
    workloads = list(getattr(args, "workload", None) or [])
    perf_time = getattr(args, "perf_time", None)
    for w in workloads:
        if not _CALLABLE.match(w):
            raise UsageError(f"--workload '{w}' is not MODULE:FUNCTION; e.g. --workload myapp.hot:encode_batch")
    if perf_time is not None and perf_time <= 0:
        raise UsageError(f"--perf-time must be positive (got {perf_time:g}); e.g. --perf-time 120")
    micro = bool(getattr(args, "micro", False))
    if micro and not any(_name(s) == "pyperformance" for s in getattr(args, "subjects", None) or []):
        raise UsageError("--micro times pyperformance's benchmarks: add it as a subject, e.g. "
                         "'ftlab run pyperformance stdlib --checks install,perf --micro'")
    if "perf" not in checks:
        given = [flag for flag, value in (("--payoff", payoff), ("--workload", workloads), ("--perf-time", perf_time),
                                          ("--micro", micro)) if value]
        if given:
            raise UsageError(f"{given[0]} sets the perf check, which this run does not do; add it: --checks ...,perf")
        return {}
    slo = resolve_slo(payoff, Path.cwd())
    path = str(Path.cwd()) if workloads else None
    if micro:
        workloads = [*MICRO_WORKLOADS, *workloads]
    # The user's modules are found where ftlab runs, after the lanes' own installs.
    return {"payoff_slo": slo.to_json(), "perf_workloads": workloads, "perf_time": perf_time,
            "perf_workload_path": path}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; @]", requirement.strip(), maxsplit=1)[0].lower()

