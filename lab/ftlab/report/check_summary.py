"""The terminal summary of ``ftlab check``: what a maintainer reads first, before any table.

Pure: ``render`` takes the checked subject, lanes, verdicts and judged findings and returns text; the
command prints it. Gating findings lead (with the minimal scenario's size, the rate and the repro
script), then information, then where the full reports are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from ftlab.judgement.judge import Finding
from ftlab.records import Lane, Verdict

#: Findings listed by name per lane; the reports have every one.
SHOWN_PER_LANE = 5


def _evidence_lines(f: Finding) -> list[str]:
    ev = f.evidence
    lines = []
    table = ev.get("table_text")
    if table:
        lines += ["      " + ln for ln in str(table).splitlines()]
    if ev.get("repro"):
        lines.append(f"      repro: {ev['repro']}")
    if ev.get("module") and f.check == "import":
        lines.append(f"      module: {ev['module']}")
    return lines


def render(subject: str, where: str, lanes: Sequence[Lane], verdicts: Sequence[Verdict],
           found: Sequence[Finding], reports: Mapping[str, Path] | None = None) -> str:
    width = max((len(lane.name) for lane in lanes), default=4)
    out = [f"ftlab check {subject}" + (f" ({where})" if where else "")]
    by_lane = {v.lane: v for v in verdicts if v.subject == subject}
    for lane in lanes:
        v = by_lane.get(lane.name)
        kind = "free-threaded" if lane.gil_disabled else "GIL"
        out.append(f"  {lane.name:<{width}}  {v.label if v else 'untested'}  [{kind}, {lane.version or '?'}]")
        mine = [f for f in found if f.lane == lane.name and f.subject == subject]
        gating = [f for f in mine if f.gating]
        for f in gating[:SHOWN_PER_LANE]:
            relation = f" [{f.baseline_note}]" if f.baseline_note else ""
            out.append(f"    - {f.check}: {f.kind}: {f.summary}{relation}")
            out += _evidence_lines(f)
        if len(gating) > SHOWN_PER_LANE:
            out.append(f"    ... and {len(gating) - SHOWN_PER_LANE} more gating finding(s) (see the report)")
        info = len(mine) - len(gating)
        if info:
            out.append(f"    ({info} more finding(s) that do not gate: information, known or shared with the GIL lane)")
        if v and v.verdict == "untested":
            out += [f"    {r}" for r in v.reasons[:3]]
    for kind, path in (reports or {}).items():
        out.append(f"{kind} report: {path}")
    return "\n".join(out) + "\n"
