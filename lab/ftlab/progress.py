"""Progress on stderr: a rich bar on a terminal, one plain line per step otherwise (CI logs)."""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


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
        self._started = time.monotonic()
        self._floor = None

    def note(self, message: str) -> None:
        if self.quiet:
            return
        if self._progress is not None:
            self._progress.console.print(message)
        else:
            print(message, file=sys.stderr, flush=True)

    @contextmanager
    def stage(self, label: str, total: int, eta_floor=None):
        """``eta_floor``: a function giving seconds the stage surely still takes (a build from source
        still running, by its estimate), so the plain ETA never says "1 s" while a build holds jobs back."""
        self._done, self._total, self._label = 0, total, label
        self._started = time.monotonic()
        self._floor = eta_floor
        if self.quiet or total == 0:
            yield self
            return
        if not self.tty:
            yield self
            return
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), TextColumn("{task.fields[item]}"),
                      console=console(),
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
            eta = eta_text(time.monotonic() - self._started, self._done, self._total,
                           floor_s=self._floor() if self._floor else 0.0)
            print(f"[{self._done}/{self._total}] {self._label}: {item}" + (f" (ETA {eta})" if eta else ""),
                  file=sys.stderr, flush=True)


def eta_text(elapsed_s: float, done: int, total: int, floor_s: float = 0.0) -> str:
    """The time left at the pace of the jobs done so far, and never less than ``floor_s`` ("" before the
    first job and after the last): "40 s", "3 min", "1 h 5 min". Jobs differ in cost: a pace, not a promise."""
    if done <= 0 or done >= total:
        return ""
    left = max(elapsed_s / done * (total - done), floor_s)
    if left < 90:
        return f"{max(1, round(left))} s"
    minutes = round(left / 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"
