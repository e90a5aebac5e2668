"""Progress on stderr: a rich bar on a terminal, one plain line per step otherwise (CI logs)."""

from __future__ import annotations

import sys
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


def console() -> Console:
    return Console(stderr=True, highlight=False)


class Reporter:
    """A small interface the pipeline talks to; `quiet` prints nothing (tests, --json --quiet)."""

    def __init__(self, *, quiet: bool = False):
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self._progress: Progress | None = None
        self._task = None
        self._done = 0
        self._total = 0
        self._label = ""

    def note(self, message: str) -> None:
        if self.quiet:
            return
        if self._progress is not None:
            self._progress.console.print(message)
        else:
            print(message, file=sys.stderr, flush=True)

    @contextmanager
    def stage(self, label: str, total: int):
        self._done, self._total, self._label = 0, total, label
        if self.quiet or total == 0:
            yield self
            return
        if not self.tty:
            yield self
            return
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), TextColumn("{task.fields[item]}"), console=console(),
                      transient=False) as progress:
            self._progress = progress
            self._task = progress.add_task(label, total=total, item="")
            try:
                yield self
            finally:
                self._progress = None

    def advance(self, item: str) -> None:
        self._done += 1
        if self.quiet:
            return
        if self._progress is not None:
            self._progress.update(self._task, advance=1, item=item)
        else:
            print(f"[{self._done}/{self._total}] {self._label}: {item}", file=sys.stderr, flush=True)
