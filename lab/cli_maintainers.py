"""Commands for extension maintainers: check, ci, lock export."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence


def add_arguments(sub, run_parser: argparse.ArgumentParser, *, store_help: str, lane_help: str) -> None:
    """The maintainers' subcommands."""


def run_options(args: argparse.Namespace, checks: Sequence[str]) -> dict:
    """The run's options these arguments set (checked here: bad input is a UsageError)."""
    return {}


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}
