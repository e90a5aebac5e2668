"""The JUnit XML report, for CI systems that show test results (GitLab, Jenkins, GitHub test reporters).

One testsuite per lane (`ftlab.<lane>`), one testcase per subject x lane x check: classname
`ftlab.<lane>.<check>`, name the subject (lane-level checks: the lane). A testcase

- fails (`<failure type="KIND">`) on a gating finding (ftlab.judgement.judge: read against the baseline GIL lane;
  what is new on the lane first, then the most severe): its kind is the type, its summary the message,
  and every gating finding's evidence (with its baseline) the text;
- errors (`<error>`) when the check itself could not run (status error, or a crash/timeout without a signal);
- is skipped (`<skipped message=REASON>`) when it did not run (unavailable lane, skipped check);
- passes otherwise. Other findings (shared with the baseline, optional dependencies, built-from-sdist)
  go to `<system-out>` with their baseline.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from ftlab import report
from ftlab.judgement.judge import Finding
from ftlab.records import LANE_SUBJECT, Result

#: Evidence text per failure: CI pages render it inline; the rest is in the HTML report.
EVIDENCE_CHARS = 20_000


def render(outcome) -> str:
    root = build(outcome)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def build(outcome) -> ET.Element:
    lane_order = [lane.name for lane in outcome.lanes]
    by_lane: dict[str, list[Result]] = {name: [] for name in lane_order}
    for r in outcome.results:
        by_lane.setdefault(r.lane, []).append(r)
    cells = report.cell_results(outcome)
    root = ET.Element("testsuites", name=f"ftlab run {outcome.run_id}")
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    total_time = 0.0
    lanes = {lane.name: lane for lane in outcome.lanes}
    by_job: dict[str, list[Finding]] = {}
    for f in report.findings(outcome):
        by_job.setdefault(f.job_id, []).append(f)
    for lane_name, results in by_lane.items():
        suite = ET.SubElement(root, "testsuite", name=f"ftlab.{lane_name}")
        props = ET.SubElement(suite, "properties")
        lane = lanes.get(lane_name)
        for key, value in (("run_id", outcome.run_id), ("decision", outcome.decision.decision),
                           ("lane", lane_name), ("lane_kind", report.lane_kind(lane) if lane else "unknown"),
                           ("lane_path", lane.path if lane else ""), ("lane_version", lane.version if lane else "")):
            ET.SubElement(props, "property", name=key, value=_clean(value))
        counts = dict.fromkeys(totals, 0)
        suite_time = 0.0
        ordered = sorted(results, key=lambda r: (r.subject != LANE_SUBJECT.name, r.subject))
        # Keep each subject's checks in run order (cell_results sorts them).
        ordered = [r for s in dict.fromkeys(r.subject for r in ordered) for r in cells.get((s, lane_name), [])]
        for r in ordered:
            outcome_kind = _testcase(suite, r, by_job.get(r.job_id, []))
            counts["tests"] += 1
            if outcome_kind:
                counts[outcome_kind] += 1
            suite_time += r.duration_s
        suite.set("tests", str(counts["tests"]))
        suite.set("failures", str(counts["failures"]))
        suite.set("errors", str(counts["errors"]))
        suite.set("skipped", str(counts["skipped"]))
        suite.set("time", f"{suite_time:.3f}")
        for k in totals:
            totals[k] += counts[k]
        total_time += suite_time
    for k, v in totals.items():
        root.set(k, str(v))
    root.set("time", f"{total_time:.3f}")
    return root


def _testcase(suite: ET.Element, r: Result, found: list[Finding]) -> str:
    """Append one testcase; returns "failures", "errors", "skipped" or "" (passed)."""
    name = r.lane if r.subject == LANE_SUBJECT.name else r.subject
    case = ET.SubElement(suite, "testcase", classname=f"ftlab.{r.lane}.{r.check}", name=_clean(name),
                         time=f"{r.duration_s:.3f}")
    gating = [f for f in found if f.gating]  # already in report order: new on this lane first
    info = [f for f in found if not f.gating]
    result = ""
    if gating:
        first = gating[0]
        message = first.summary if len(gating) == 1 else f"{first.summary} (and {len(gating) - 1} more)"
        el = ET.SubElement(case, "failure", type=first.kind, message=_clean(message))
        el.text = _clean("\n\n".join(_signal_text(s) for s in gating)[:EVIDENCE_CHARS])
        result = "failures"
    elif r.status == "skipped":
        ET.SubElement(case, "skipped", message=_clean(r.reason or "skipped"))
        result = "skipped"
    elif r.status in ("error", "crash", "timeout"):
        el = ET.SubElement(case, "error", type=r.status, message=_clean(r.reason or r.status))
        tail = r.data.get("stderr_tail") or r.data.get("traceback") or r.data.get("error") or ""
        el.text = _clean(str(tail)[:EVIDENCE_CHARS]) or None
        result = "errors"
    out = [f"status: {r.status}" + (f" ({r.reason})" if r.reason else "")]
    out += [_signal_text(s) for s in info]
    if r.artifacts_dir:
        out.append(f"artifacts: {r.artifacts_dir}")
    ET.SubElement(case, "system-out").text = _clean("\n\n".join(out)[:EVIDENCE_CHARS])
    return result


def _signal_text(f: Finding) -> str:
    lines = [f"[{f.kind}] {f.summary}"]
    if f.baseline_note or f.known:
        lines.append(f"baseline: {f.baseline or '-'}" + (f" ({f.baseline_note})" if f.baseline_note else "")
                     + (" (known, documented behaviour)" if f.known else ""))
    for key, value in f.evidence.items():
        lines.append(f"{key}: {_value_text(value)}")
    return "\n".join(lines)


def _value_text(value: Any) -> str:
    if isinstance(value, str):
        return ("\n" + value) if "\n" in value else value
    if isinstance(value, list) and value and all(isinstance(row, list) for row in value):
        return "\n" + "\n".join(" | ".join(str(c) for c in row) for row in value)
    return json.dumps(value, default=str)


def _clean(text: object) -> str:
    """XML 1.0 cannot carry control characters, lone surrogates or U+FFFE/U+FFFF (tested packages
    print what they like); they are shown as escapes instead."""
    return "".join(c if _xml_char(c) else f"\\x{{{ord(c):x}}}" for c in str(text))


def _xml_char(c: str) -> bool:
    o = ord(c)
    return (o >= 0x20 or c in "\t\n\r") and not 0xD800 <= o <= 0xDFFF and o not in (0xFFFE, 0xFFFF)
