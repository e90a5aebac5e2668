"""Reports: pure renderers (records in, text out) and one function that writes files."""

from __future__ import annotations

import json
import os
from pathlib import Path

DEFAULT_REPORT_DIR = Path("reports")


def report_dir(explicit: Path | None) -> Path:
    return Path(explicit or os.environ.get("FTLAB_REPORT_DIR") or DEFAULT_REPORT_DIR)


def write_reports(outcome, directory: Path | None = None) -> dict[str, Path]:
    """Write every report format for a run; returns format -> path."""
    from lab.report import jsonreport

    out = report_dir(directory)
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    path = out / f"ftlab-{outcome.run_id}.json"
    path.write_text(json.dumps(jsonreport.render(outcome), indent=1, default=str))
    written["json"] = path.resolve()
    return written
