"""Reports: pure renderers (records in, text out) and one function that writes files.

Every renderer takes the run as `RunOutcome` (ftlab.engine.pipeline); `outcome_for_report` turns a stored run
into one. The few views every format shares (findings most severe first, subject order, per-cell
results) live here so the HTML, Markdown, JSON and JUnit reports cannot disagree about them.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from ftlab.coverage import covered
from ftlab.judgement.judge import SIGNAL_VERDICT, Finding, judge, ordered, severity_rank
from ftlab.records import LANE_SUBJECT, VERDICTS, Result, Verdict

DEFAULT_REPORT_DIR = Path("reports")

#: The formats `write_reports` writes, in the order people want them listed (HTML first), and the
#: file suffix of each.
FORMATS = {"html": ".html", "md": ".md", "json": ".json", "junit": ".junit.xml"}


def report_dir(explicit: Path | None) -> Path:
    return Path(explicit or os.environ.get("FTLAB_REPORT_DIR") or DEFAULT_REPORT_DIR)


def report_path(outcome, directory: Path | None, fmt: str) -> Path:
    return report_dir(directory) / f"ftlab-{outcome.run_id}{FORMATS[fmt]}"


def render(outcome, fmt: str, *, path: Path | None = None) -> str:
    """The text of one report format. `path` is where the file will live (HTML links are relative to it)."""
    if fmt == "html":
        from ftlab.report import html

        return html.render(outcome, report_path=path)
    if fmt == "md":
        from ftlab.report import markdown

        return markdown.render(outcome, report_path=path)
    if fmt == "json":
        from ftlab.report import jsonreport

        return jsonreport.dumps(outcome)
    if fmt == "junit":
        from ftlab.report import junit

        return junit.render(outcome)
    raise ValueError(f"unknown report format {fmt!r}; known: {', '.join(FORMATS)}")


def write_reports(outcome, directory: Path | None = None) -> dict[str, Path]:
    """Write every report format for a run; returns format -> absolute path (html, md, json, junit)."""
    out = report_dir(directory)
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    for fmt in FORMATS:
        path = report_path(outcome, directory, fmt).resolve()
        _write_atomic(path, render(outcome, fmt, path=path))
        written[fmt] = path
    return written


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def outcome_for_report(record, store_path: Path | None = None):
    """A stored run as a RunOutcome. A run that did not finish has no stored verdicts: its partial
    verdicts are computed by ftlab.judgement.verdict (the same function a finished run used), and it stays undecided."""
    from ftlab.engine.pipeline import outcome_from_record
    from ftlab.judgement.verdict import verdicts

    outcome = outcome_from_record(record)
    if store_path is not None:
        outcome = replace(outcome, store_path=Path(store_path))
    if not outcome.verdicts and record.subjects:
        outcome = replace(outcome, verdicts=tuple(verdicts(record.subjects, record.lanes, record.results)))
    return outcome


# -- shared views ----------------------------------------------------------------------------------


def findings(outcome) -> list[Finding]:
    """Every signal of the run, judged against the baseline lane (ftlab.judgement.judge): what is new on 3.14t
    first, then other gating findings, by severity; then shared, informational and known ones."""
    return ordered(judge(outcome.lanes, outcome.results), outcome.lanes)


def headline(found: list[Finding]) -> dict[str, list[Finding]]:
    """The groups every report leads with: `new` (gating, not shown by the baseline: what adopting 3.14t
    changes), `gating` (the rest of the gate: crashes and corruption the baseline shares too), `notes`
    (new on the free-threaded lane and worth knowing, not gating: a pure-Python wheel where the
    baseline has a compiled one), `shared` (listed, not gating: the application already lives with
    them), `info` (optional dependencies, known findings, other information)."""
    groups: dict[str, list[Finding]] = {"new": [], "gating": [], "notes": [], "shared": [], "info": []}
    for f in found:
        if f.new_on_free_threaded:
            groups["new"].append(f)
        elif f.gating:
            groups["gating"].append(f)
        elif f.note_on_free_threaded:
            groups["notes"].append(f)
        else:
            groups["shared" if f.weight == "shared" else "info"].append(f)
    return groups


def not_stress_tested(outcome) -> list[str]:
    """Subjects whose stress check ran but tested nothing on any lane: no hand-written probe, and the
    auto-probe found nothing in the public API it could call safely from threads. Their verdicts rest
    on install and import only; every report names them, so a "ready" is not read as "thread-safe"."""
    tested: dict[str, bool] = {}
    for r in outcome.results:
        if r.check == "stress" and r.status in ("ok", "findings"):
            tested[r.subject] = tested.get(r.subject, False) or covered(r.check, r.status, r.data)
    return [s for s, t in tested.items() if not t]


def subjects(outcome) -> list[str]:
    """Package subjects in a stable order: as verdicts list them, then any that only have results."""
    names = dict.fromkeys(v.subject for v in outcome.verdicts)
    for r in outcome.results:
        if r.subject != LANE_SUBJECT.name:
            names.setdefault(r.subject)
    return list(names)


def verdict_cells(outcome) -> dict[tuple[str, str], Verdict]:
    return {(v.subject, v.lane): v for v in outcome.verdicts}


def cell_results(outcome) -> dict[tuple[str, str], list[Result]]:
    """(subject, lane) -> its results in check order."""
    from ftlab.engine.checks import CHECKS

    order = {name: i for i, name in enumerate(CHECKS)}
    cells: dict[tuple[str, str], list[Result]] = {}
    for r in outcome.results:
        cells.setdefault((r.subject, r.lane), []).append(r)
    for rs in cells.values():
        rs.sort(key=lambda r: (order.get(r.check, len(order)), r.check))
    return cells


def verdict_counts(outcome) -> dict[str, int]:
    counts = dict.fromkeys(VERDICTS, 0)
    for v in outcome.verdicts:
        counts[v.verdict] = counts.get(v.verdict, 0) + 1
    return counts


def signal_counts(outcome) -> dict[str, int]:
    """Findings per kind, most severe first (what ftlab.judgement.judge derives across lanes included)."""
    counts: dict[str, int] = {}
    for f in findings(outcome):
        counts[f.kind] = counts.get(f.kind, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (severity_rank(SIGNAL_VERDICT.get(kv[0], "")), kv[0])))


def lane_kind(lane) -> str:
    """GIL / free-threaded / unknown; never calls a GIL build free-threaded (ftlab.report.terminal's rule)."""
    from ftlab.report.terminal import lane_kind as kind

    return kind(lane)


def fix_command(reason: str) -> str:
    """The command a lane's unavailability reason suggests ("install it with 'uv python install 3.14t'")."""
    import re

    m = re.search(r"(?:install it with|run|use) '([^']+)'", reason)
    return m.group(1) if m else ""


def perf_gates(outcome) -> list[dict[str, Any]]:
    """Every perf gate the run applied ({"subject", "lane", **gate}), regressions first, then inconclusive
    ones, then passes; each gate as ftlab.judgement.gates.Gate.to_json wrote it."""
    order = {"regression": 0, "inconclusive": 1, "pass": 2}
    out = [{"subject": r.subject, "lane": r.lane, **g} for r in outcome.results if r.check == "perf"
           for g in r.data.get("gates") or [] if isinstance(g, dict)]
    return sorted(out, key=lambda g: order.get(g.get("outcome"), 3))
