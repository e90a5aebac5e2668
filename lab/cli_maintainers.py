"""Commands for extension maintainers: check, ci, lock export; and readiness, rendered here from what
``ftlab.readiness`` computes (the library never prints)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

from ftlab.errors import UsageError


def add_arguments(sub, run_parser: argparse.ArgumentParser, *, store_help: str, lane_help: str) -> None:
    """The maintainers' subcommands."""


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


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    # The readiness parser is cli.py's; its command is here, where readiness is rendered.
    "readiness": cmd_readiness,
}
