"""ftlab: a free-threaded compatibility lab for Python (host side).

The public API is these few names; everything under the subpackages is internal (as pytest's
``pytest`` over ``_pytest``)::

    import ftlab

    outcome = ftlab.run(ftlab.RunRequest(subjects=ftlab.subjects(["pyyaml"]), lane_specs=("3.14", "3.14t"),
                                         checks=("install", "import", "stress")))
    outcome.decision.decision        # "go" | "no-go" | "undecided"
    outcome.findings                 # judged once, what is new on 3.14t first
    print(ftlab.render(outcome, "md"))
    stored = ftlab.load_run(".ftlab/ftlab.sqlite", "latest")   # a stored run, as the same RunOutcome

The submodules are imported on first use of these names, so ``import ftlab`` (the pytest plugin,
``ftlab --version``) stays cheap.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ftlab.version import __version__

__all__ = ["RunOutcome", "RunRequest", "__version__", "load_run", "render", "run", "subjects"]

if TYPE_CHECKING:
    from ftlab.engine.pipeline import RunRequest
    from ftlab.judgement.outcome import RunOutcome
    from ftlab.records import Subject


def run(request: RunRequest, *, progress: bool = False) -> RunOutcome:
    """Run a request end to end (lanes resolved, one lock, every check, judged once, stored); progress on
    stderr when ``progress``."""
    from ftlab.engine.pipeline import execute
    from ftlab.progress import Reporter

    return execute(request, Reporter(quiet=not progress))


def load_run(store: str | Path, ref: str = "latest") -> RunOutcome:
    """A stored run (an id, a unique prefix, ``latest`` or ``latest~N``), judged once."""
    from ftlab.judgement.outcome import from_record
    from ftlab.store.db import Store

    with Store(store, create=False) as db:
        return from_record(db.load_run(ref), store_path=Path(store))


def render(outcome: RunOutcome, fmt: str = "md", **kwargs: Any) -> str:
    """One report's text: ``html``, ``md``, ``json`` (the ftlab-report document) or ``junit``."""
    from ftlab.report import render as render_report

    return render_report(outcome, fmt, **kwargs)


def subjects(names: list[str], requirement_files: list[str] | tuple[str, ...] = ()) -> tuple[Subject, ...]:
    """Subjects from requirement strings, project directories and requirement files, as ``ftlab run``
    reads them."""
    from ftlab.lanes.subjects import read_subjects

    return tuple(read_subjects(names, list(requirement_files)).subjects)


def __getattr__(name: str) -> Any:
    if name == "RunRequest":
        from ftlab.engine.pipeline import RunRequest

        return RunRequest
    if name == "RunOutcome":
        from ftlab.judgement.outcome import RunOutcome

        return RunOutcome
    raise AttributeError(f"module 'ftlab' has no attribute {name!r}")
