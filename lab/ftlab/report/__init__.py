"""Reports: pure renderers (records in, text out) and one function that writes files.

Every renderer takes the run as a `RunOutcome` (ftlab.judgement.outcome), which carries the findings judged
once and their headline groups: nothing here judges. `outcome_for_report` turns a stored run into one.
The few views every format shares (subject order, per-cell results, the counts) live here so the
terminal summary and the HTML, Markdown, JSON and JUnit reports cannot disagree about them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from ftlab import wording
from ftlab.coverage import StressCoverage, covered
from ftlab.judgement.judge import SIGNAL_VERDICT, Finding, severity_rank
from ftlab.judgement.outcome import RunOutcome, from_record, headline
from ftlab.records import CHECK_ORDER, LANE_SUBJECT, VERDICTS, Lane, Result, Verdict

__all__ = ["FORMATS", "RunOutcome", "findings", "headline", "outcome_for_report", "render", "write_reports"]

DEFAULT_REPORT_DIR = Path("reports")

#: The formats `write_reports` writes, in the order people want them listed (HTML first), and the
#: file suffix of each.
FORMATS = {"html": ".html", "md": ".md", "json": ".json", "junit": ".junit.xml"}


def report_dir(explicit: Path | None) -> Path:
    return Path(explicit or os.environ.get("FTLAB_REPORT_DIR") or DEFAULT_REPORT_DIR)


def report_path(outcome, directory: Path | None, fmt: str) -> Path:
    return report_dir(directory) / f"ftlab-{outcome.run_id}{FORMATS[fmt]}"


def render(outcome: RunOutcome, fmt: str, *, path: Path | None = None, reports: dict[str, Path] | None = None) -> str:
    """The text of one report format. `path` is where the file will live (HTML links are relative to it);
    `reports` are the run's report files, which the JSON document lists."""
    if fmt == "html":
        return html.render(outcome, report_path=path)
    if fmt == "md":
        return markdown.render(outcome, report_path=path)
    if fmt == "json":
        return jsonreport.dumps(outcome, reports)
    if fmt == "junit":
        return junit.render(outcome)
    raise ValueError(f"unknown report format {fmt!r}; known: {', '.join(FORMATS)}")


def write_reports(outcome: RunOutcome, directory: Path | None = None) -> dict[str, Path]:
    """Write every report format for a run; returns format -> absolute path (html, md, json, junit)."""
    out = report_dir(directory)
    out.mkdir(parents=True, exist_ok=True)
    written = {fmt: report_path(outcome, directory, fmt).resolve() for fmt in FORMATS}
    for fmt, path in written.items():
        _write_atomic(path, render(outcome, fmt, path=path, reports=written))
    return written


def existing_reports(outcome: RunOutcome, directory: Path | None = None) -> dict[str, Path]:
    """The run's report files in the report folder, format -> absolute path (what `write_reports` wrote)."""
    paths = {fmt: report_path(outcome, directory, fmt).resolve() for fmt in FORMATS}
    return {fmt: path for fmt, path in paths.items() if path.exists()}


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def outcome_for_report(record, store_path: Path | None = None) -> RunOutcome:
    """A stored run as a RunOutcome, judged once (ftlab.judgement.outcome.from_record). A run that did not
    finish has no stored verdicts: its partial verdicts are computed from the same findings, and it
    stays undecided."""
    return from_record(record, store_path=store_path)


# -- shared views ----------------------------------------------------------------------------------


def findings(outcome: RunOutcome) -> list[Finding]:
    """Every signal of the run as judged once (ftlab.judgement.judge): what is new on 3.14t first, then other
    gating findings, by severity; then shared, informational and known ones."""
    return list(outcome.findings)


def not_stress_tested(outcome) -> list[str]:
    """Subjects whose stress check ran but tested nothing on any lane: no hand-written probe, and the
    auto-probe found nothing in the public API it could call safely from threads. Their verdicts rest
    on install and import only; every report names them, so a "ready" is not read as "thread-safe"."""
    tested: dict[str, bool] = {}
    for r in outcome.results:
        if r.check == "stress" and r.status in ("ok", "findings"):
            tested[r.subject] = tested.get(r.subject, False) or covered(r.check, r.status, r.data)
    return [s for s, t in tested.items() if not t]


def thin_reach(outcome) -> list[tuple[str, str, StressCoverage]]:
    """(subject, lane, coverage) of subjects stress reached only thinly (ftlab.coverage.StressCoverage.thin)
    on the lane that reached most: their "stress" in a verdict means that much. Subjects that raced
    nothing are not_stress_tested's."""
    best: dict[str, tuple[str, StressCoverage]] = {}
    for (subject, lane), cov in outcome.coverage.items():
        if cov.covered and (subject not in best or cov.raced > best[subject][1].raced):
            best[subject] = (lane, cov)
    return [(subject, lane, cov) for subject, (lane, cov) in best.items() if cov.thin]


def thinly_stress_tested(outcome) -> list[str]:
    """thin_reach in words: "simsimd (1 of 33 raced)"."""
    return [f"{subject} ({cov.raced} of {cov.found} raced)"
            for subject, _lane, cov in thin_reach(outcome)]


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
    order = {name: i for i, name in enumerate(CHECK_ORDER)}
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


def lane_kind(lane: Lane) -> str:
    """GIL / free-threaded / unknown, an unavailable lane's marked as asked for (ftlab.records.Lane.kind_label)."""
    return lane.kind_label


# -- the counts every format shows, worded once --------------------------------------------------------


def findings_phrase(outcome: RunOutcome) -> str:
    """Every finding by headline group (ftlab.judgement.outcome.headline), as the terminal summary and the
    Markdown and HTML reports say it; the JSON report has the same numbers under ``counts``."""
    c = outcome.counts()
    return (f"{wording.count(c['findings'], 'finding')}: {c['new']} new on the free-threaded lane, "
            f"{c['gating']} more gating, {c['notes']} worth knowing on the free-threaded lane (not gating), "
            f"{c['shared']} shared with the GIL lane (not gating), {c['baseline']} on the GIL lane itself, "
            f"{c['info']} information")


def reasons_phrase(outcome: RunOutcome) -> str:
    """The gate in reasons, one per package and lane for its GIL findings (as the decision's triggers)."""
    r = outcome.counts()["reasons"]
    return f"{wording.count(r['total'], 'gating reason')}, {r['new']} new on the free-threaded lane"


def verdict_phrases(outcome: RunOutcome) -> list[str]:
    """Packages per verdict on each lane (never both lanes added together)."""
    out = []
    for lane in outcome.lanes:
        counts = outcome.verdicts_by_lane.get(lane.name, {})
        tally = ", ".join(f"{n} {v}" for v, n in counts.items() if n) or "no verdicts"
        out.append(f"{lane.name} ({lane.kind_label}): {tally}")
    return out


def untested_lines(outcome: RunOutcome) -> list[str]:
    """Every package left untested on a lane, with its reason."""
    return [f"{v.subject} on {v.lane}: {'; '.join(v.reasons) or 'no reason recorded'}" for v in outcome.untested]


def fix_command(reason: str) -> str:
    """The command a lane's unavailability reason suggests ("install it with 'uv python install 3.14t'")."""
    m = re.search(r"(?:install it with|run|use) '([^']+)'", reason)
    return m.group(1) if m else ""


def perf_gates(outcome) -> list[dict[str, Any]]:
    """Every perf gate the run applied ({"subject", "lane", **gate}), regressions first, then inconclusive
    ones, then passes; each gate as ftlab.judgement.gates.Gate.to_json wrote it."""
    order = {"regression": 0, "inconclusive": 1, "pass": 2}
    out = [{"subject": r.subject, "lane": r.lane, **g} for r in outcome.results if r.check == "perf"
           for g in r.data.get("gates") or [] if isinstance(g, dict)]
    return sorted(out, key=lambda g: order.get(g.get("outcome"), 3))


# The renderers, imported after the shared views above that they read (from ftlab import report).
from ftlab.report import html, jsonreport, junit, markdown  # noqa: E402
