"""Which stress probes exist (``ftlab probes``), read without importing any probe in the host.

``probes/ftlab_probes/catalog.py`` reads the probe modules with ``ast``; the host runs it as a sandboxed child of
its own interpreter (stdlib only, so any Python 3.10+ does) and reads the document it writes.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from ftlab.errors import FtlabError
from ftlab.sandbox import process as sandbox

#: Reading a few dozen small files with ast; past this something is wrong.
CATALOG_TIMEOUT_S = 60.0
CATALOG_FORMAT = "ftlab-probes/1"


def load_catalog(python: str | None = None, workdir: Path | None = None) -> list[dict[str, Any]]:
    """Every probe entry (see probes/ftlab_probes/catalog.py), hand-written ones first, the auto-probe last."""
    with tempfile.TemporaryDirectory(prefix="ftlab-catalog-") as tmp:
        where = workdir or Path(tmp)
        out = where / "catalog.json"
        outcome = sandbox.run_child([python or sys.executable, "-m", "ftlab_probes.catalog", "--out", str(out)],
                                    workdir=where, timeout_s=CATALOG_TIMEOUT_S, result_path=out)
        doc = outcome.result
        if doc is None or doc.get("format") != CATALOG_FORMAT:
            got = "no document" if doc is None else f"format {doc.get('format')!r}"
            raise FtlabError(f"the probe catalog child returned {got}, expected {CATALOG_FORMAT!r} "
                             f"(exit {outcome.returncode}): {outcome.stderr_tail(500).strip()}")
        return list(doc["probes"])


def probes_for(subject: str, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Hand-written probes of a subject (canonical distribution name, or ``stdlib``)."""
    return [e for e in entries if e["kind"] == "hand-written" and e["subject"] == subject]


def render(entries: list[dict[str, Any]]) -> str:
    """The plain-text listing: one line per probe, grouped by subject."""
    lines = []
    width = max((len(e["subject"] or "?") for e in entries), default=8)
    for e in entries:
        note = ""
        if e.get("expected_finding"):
            kind = e["expected_finding"] if isinstance(e["expected_finding"], str) else "finding"
            note = f"  (known {kind}: see probes/FINDINGS.md)"
        ops = ", ".join(e["ops"]) if e["ops"] else "generated per module"
        lines.append(f"{e['subject'] or '?':<{width}}  {e['kind']:<12}  {e['probe']}  [{ops}]{note}")
    return "\n".join(lines)
