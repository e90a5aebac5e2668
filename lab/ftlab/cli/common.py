"""What every command module shares: the parser class, exit codes, help strings, and the edge where a
finished run is written and printed. Command modules import from here, never from ftlab.cli.app."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ftlab.errors import UsageError

if TYPE_CHECKING:
    from ftlab.judgement.outcome import RunOutcome

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

STORE_HELP = "the SQLite store (default: $FTLAB_STORE or .ftlab/ftlab.sqlite)"
LANE_HELP = "a lane: 3.14, 3.14t, a python path, or NAME=PATH (repeatable; default: 3.14 and 3.14t)"
INDEX_HELP = "the package index (default: the one uv or pip is configured with)"
PERF_BUDGET_HELP = ("perf upgrade gates between lanes of one kind (GIL vs GIL, free-threaded vs free-threaded; runs "
                    "in 'ftlab diff'), candidate/baseline ratios: p95 (latency per call), cpu (per operation), rss, "
                    "startup, import; default p95=1.03,cpu=1.05,rss=1.05,startup=1.10,import=1.10, or "
                    "[tool.ftlab.perf] in ./pyproject.toml")


class Parser(argparse.ArgumentParser):
    """argparse, but usage errors go through the one error family (one line, exit 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message}; see '{self.prog} --help'")


@dataclass(frozen=True, kw_only=True)
class Command:
    """One command of the registry (ftlab.cli.app): its parser and its handler, side by side."""

    name: str
    #: Adds the command's parser to the subparsers; returns it.
    add: Callable[[argparse._SubParsersAction], argparse.ArgumentParser]
    #: Runs the parsed command; returns the exit code (raises FtlabError for bad input).
    run: Callable[[argparse.Namespace], int]
    #: Ctrl-C and SIGTERM kill every sandbox at once and leave the run resumable (ftlab.engine.session).
    cancel_on_signals: bool = False


def store_path(args: argparse.Namespace) -> Path:
    from ftlab.store.db import default_store_path

    return args.store or default_store_path()


def emit_json(doc: object) -> None:
    sys.stdout.write(json.dumps(doc, indent=2, default=str) + "\n")


def render_outcome(outcome: RunOutcome, args: argparse.Namespace, print_text, *, findings_exit: int = EXIT_FINDINGS) -> int:
    """A finished run (executed, checked or merged): its reports written, then on stdout (``--json``) the
    JSON report's document (the one ``ftlab report --format json`` prints) or ``print_text(outcome,
    written)``; the exit code says no-go."""
    from ftlab.report import jsonreport, write_reports

    written = write_reports(outcome, getattr(args, "report_dir", None))
    if args.json:
        sys.stdout.write(jsonreport.dumps(outcome, written))
    else:
        print_text(outcome, written)
    return findings_exit if outcome.decision.decision == "no-go" else EXIT_OK
