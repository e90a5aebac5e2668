"""`ftlab demo`: the bundled fixtures and a few real packages across the default lanes, ending with a report."""

from __future__ import annotations

from pathlib import Path

from lab.checks import CHECKS
from lab.pipeline import RunRequest

#: Real packages with C extensions that ship free-threaded wheels: the demo shows real install records.
DEMO_PACKAGES = ("pyyaml", "markupsafe")


def demo_request(*, store_path: Path, lane_specs: tuple[str, ...], argv: tuple[str, ...]) -> RunRequest:
    subjects = []
    if "install" in CHECKS:
        from lab.subjects import parse_subjects

        subjects = parse_subjects(list(DEMO_PACKAGES), [])
    return RunRequest(subjects=tuple(subjects), lane_specs=lane_specs, checks=tuple(CHECKS), store_path=store_path,
                      argv=argv, options={"budget_s": 10.0})
