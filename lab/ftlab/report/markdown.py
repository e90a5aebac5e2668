"""The Markdown report: GitHub-flavoured, for a PR comment or a CI job summary.

The decision line first, then lanes, the verdict matrix (text labels, no emoji), what each stress check
covered beside its verdict, the top findings with their observed rate and repro path, long traces folded
into <details>. Capped below GitHub's comment limit; what does not fit is counted and left to the HTML
report.
"""

from __future__ import annotations

import re
from html import escape
from pathlib import Path

from ftlab import report, wording
from ftlab.records import LANE_SUBJECT, VERDICT_MEANING

#: GitHub refuses comments over 65,536 characters; stay well below with room for a CI wrapper.
MAX_CHARS = 60_000
#: Findings listed in full; the rest are counted (the HTML report has every one).
TOP_FINDINGS = 15
#: Triggers listed under the decision line.
TOP_TRIGGERS = 10
#: Characters of one trace in a <details> block.
TRACE_CHARS = 3_000
#: Stress coverage rows (package and lane) listed, those that raced nothing first; the HTML report has every one.
TOP_COVERAGE = 30
#: Op names shown per package and lane (protocol ops first); the rest are counted.
TOP_OPS = 6
#: Screening's drop reasons shown per package and lane; the rest are counted.
TOP_DROPPED = 3

TRACE_KEYS = ("faulthandler", "stacks", "trace", "traceback", "log_tail")


def text(value: object) -> str:
    """Inline text that cannot break a table or inject markup: HTML-escaped, pipes and newlines flattened."""
    s = re.sub(r"([\\`*_\[\]|])", r"\\\1", str(value))
    return re.sub(r"\s*\n\s*", " ", escape(s, quote=False))


def code(value: object) -> str:
    """An inline code span that survives backticks in the value."""
    s = str(value).replace("\n", " ").replace("|", "\\|")
    fence = "`" * (max((len(m) for m in re.findall(r"`+", s)), default=0) + 1)
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def block(value: str) -> str:
    """A fenced code block longer than any backtick run inside it; control characters shown as escapes."""
    value = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", lambda m: f"\\x{{{ord(m.group()):x}}}", value)
    fence = "`" * max(3, max((len(m) for m in re.findall(r"`+", value)), default=0) + 1)
    return f"{fence}\n{value.rstrip()}\n{fence}"


def render(outcome, *, report_path: Path | None = None) -> str:
    """The Markdown report: the decision and the counts, lanes, the verdict matrix, stress coverage, payoff
    and perf gates, then as many findings as fit under MAX_CHARS."""
    out = "\n".join(_head(outcome, report_path) + _lanes(outcome) + _matrix(outcome) + _coverage(outcome)
                     + _payoff(outcome) + _perf_gates(report.perf_gates(outcome)))
    return out + "\n" + "\n".join(_top_findings(list(outcome.findings), MAX_CHARS - len(out) - 400)) + "\n"


def _head(outcome, report_path: Path | None) -> list[str]:
    """The decision, the counts every format shares, the triggers, and what was not (stress-)tested."""
    d = outcome.decision
    subjects = report.subjects(outcome)
    head = [f"## ftlab: **{d.decision.upper()}** (run {code(outcome.run_id)})", ""]
    head.append(f"{wording.count(len(subjects), 'subject')} x {wording.count(len(outcome.lanes), 'lane')}, "
                f"{text(report.findings_phrase(outcome))}.")
    head.append(f"Gate: {text(report.reasons_phrase(outcome))}.")
    if outcome.verdicts:
        head.append("Verdicts: " + "; ".join(text(p) for p in report.verdict_phrases(outcome)) + ".")
    if d.triggers:
        head += ["", "Why (what is new on the free-threaded lane first):" if d.decision == "no-go" else "Notes:"]
        head += [f"- {text(t)}" for t in d.triggers[:TOP_TRIGGERS]]
        if len(d.triggers) > TOP_TRIGGERS:
            head.append(f"- ... and {len(d.triggers) - TOP_TRIGGERS} more")
    untested = report.untested_lines(outcome)
    if untested:
        head += ["", f"Untested ({len(untested)}):"]
        head += [f"- {text(line)}" for line in untested[:TOP_TRIGGERS]]
        if len(untested) > TOP_TRIGGERS:
            head.append(f"- ... and {len(untested) - TOP_TRIGGERS} more (the JSON report lists every one)")
    not_stressed = report.not_stress_tested(outcome)
    if not_stressed:
        head += ["", f"Not stress-tested (no hand-written probe; the auto-probe found nothing it could call): "
                     f"{text(', '.join(not_stressed))}. Their verdicts rest on install and import."]
    thin = report.thinly_stress_tested(outcome)
    if thin:
        head += ["", f"Stress reached under a quarter of the public API: {text(', '.join(thin))}. Their \"stress\" "
                     "covers that much; the coverage beside each verdict says what was dropped and why."]
    notes = outcome.headline["notes"]
    if notes:
        head += ["", "Worth knowing on the free-threaded lane (not gating):"]
        head += [f"- {text(f.where)}: {text(f.summary)}" for f in notes[:TOP_TRIGGERS]]
        if len(notes) > TOP_TRIGGERS:
            head.append(f"- ... and {len(notes) - TOP_TRIGGERS} more")
    if report_path is not None:
        html_name = Path(report_path).name.rsplit(".", 1)[0] + ".html"
        head += ["", f"Full report with evidence: {code(html_name)} (next to this file)."]
    return head


def _lanes(outcome) -> list[str]:
    lanes = ["", "### Lanes", "", "| lane | build | version | status |", "|---|---|---|---|"]
    for lane in outcome.lanes:
        status = "available" if lane.available else f"unavailable: {text(lane.reason)}"
        if lane.available and lane.reason:
            status += f" ({text(lane.reason)})"
        lanes.append(f"| {text(lane.name)} | {text(report.lane_kind(lane))} | {text(lane.version or '-')} | {status} |")
    return lanes


def _matrix(outcome) -> list[str]:
    subjects = report.subjects(outcome)
    if not subjects:
        return []
    cells = report.verdict_cells(outcome)
    coverage = outcome.coverage
    matrix = ["", "### Verdicts", "",
              "| subject | " + " | ".join(f"{text(lane.name)}<br>{text(report.lane_kind(lane))}" for lane in outcome.lanes) + " |",
              "|---" * (len(outcome.lanes) + 1) + "|"]
    for s in subjects:
        row = []
        for lane in outcome.lanes:
            v = cells.get((s, lane.name))
            label = v.verdict if v else "untested"
            cell = f"**{label.upper()}**" if label not in ("ready", "untested") else label
            notes = [", ".join(v.checks)] if v and v.checks and label != "untested" else []
            cov = coverage.get((s, lane.name))
            if cov is not None and not cov.covered:
                notes.append("stress raced nothing")
            row.append(cell + (f"<br><sub>{text(' · '.join(notes))}</sub>" if notes else ""))
        matrix.append(f"| {text(s)} | " + " | ".join(row) + " |")
    return [*matrix, "", "Legend: " + "; ".join(f"**{v}**: {text(m)}" for v, m in VERDICT_MEANING.items()) + "."]


def _coverage(outcome) -> list[str]:
    """What each stress check covered, per package and lane, beside its verdict (ftlab.coverage): found,
    screened, kept and raced, what screening dropped, the ops raced (protocol ops first). Those that
    raced nothing come first and say why."""
    cells = report.verdict_cells(outcome)
    rows = [(s, lane, cov) for s in report.subjects(outcome) for lane in outcome.lanes
            for cov in [outcome.coverage.get((s, lane.name))] if cov is not None]
    if not rows:
        return []
    rows.sort(key=lambda row: row[2].covered)
    out = ["", "### Stress coverage", "", "| subject | lane | verdict | stress | ops raced |", "|---|---|---|---|---|"]
    for s, lane, cov in rows[:TOP_COVERAGE]:
        v = cells.get((s, lane.name))
        stress = text(cov.summary(TOP_DROPPED))
        if not cov.covered:
            stress = f"**stress raced nothing**: {text(cov.unraced)}<br><sub>{stress}</sub>"
        names = cov.op_names()
        ops = ", ".join(code(n) for n in names[:TOP_OPS]) + (f", +{len(names) - TOP_OPS} more" if len(names) > TOP_OPS else "")
        if names and len(cov.probes) > 1:
            ops += f" ({wording.count(len(cov.probes), 'probe')})"
        out.append(f"| {text(s)} | {text(lane.name)} | {text(v.label if v else 'untested')} | {stress} | {ops or '-'} |")
    if len(rows) > TOP_COVERAGE:
        out.append(f"\n... and {len(rows) - TOP_COVERAGE} more; see the HTML report.")
    return out


def _top_findings(found: list, budget: int) -> list[str]:
    """The first TOP_FINDINGS findings that fit in ``budget`` characters, and how many more there are."""
    if not found:
        return ["", "No signals: nothing crashed, hung, corrupted data or re-enabled the GIL in what was tested."]
    parts = []
    for f in found[:TOP_FINDINGS]:
        entry = _finding(f, len(parts) + 1)
        if len(entry) > budget:
            break
        parts.append(entry)
        budget -= len(entry)
    tail = ["", "### Top findings", "", *parts]
    if len(parts) < len(found):
        tail += ["", f"... and {len(found) - len(parts)} more findings; see the HTML report."]
    return tail


#: Perf gate rows shown in a PR comment (regressions first); the rest are in the HTML and JSON reports.
TOP_GATES = 12


#: Payoff rows in a PR comment (misses first); the HTML and JSON reports have every one.
TOP_PAYOFF = 12


def _payoff(outcome) -> list[str]:
    """Does free-threading pay off: the verdict, each lane's summary and build caveat, then judged workloads
    (misses first) with their payoff at each thread count."""
    from ftlab.judgement.payoff import overall, run_payoff

    docs = run_payoff(outcome.results)
    left = [f"- not timed on {text(r.lane)} ({text(r.subject)}, --perf-time): {text(', '.join(plan['left_out']))}"
            for r in outcome.results if r.check == "perf"
            for plan in [r.data.get("workload_plan")] if isinstance(plan, dict) and plan.get("left_out")]
    if not docs:
        return ["", *left] if left else []
    out = ["", "### Does free-threading pay off?", "", f"**{overall(docs).upper()}**", "", *left]
    out += [f"- {text(d['subject'])}: {text(d.get('summary', ''))}" for d in docs]
    out += [f"- build caveat: {text(c)}" for c in dict.fromkeys(d["caveat"] for d in docs if d.get("caveat"))]
    order = {"misses": 0, "inconclusive": 1, "meets": 2}
    rows = sorted(((d, r) for d in docs for r in d.get("workloads") or [] if r.get("judged")),
                  key=lambda dr: order.get(dr[1].get("outcome"), 3))
    if rows:
        out += ["", "| subject | lane | workload | shape | payoff by threads | outcome |", "|---|---|---|---|---|---|"]
        for d, r in rows[:TOP_PAYOFF]:
            by = ", ".join(f"{p['threads']}: {p['payoff']:.2f}x" for p in r.get("points") or [] if p.get("payoff") is not None)
            mark = f"**{r['outcome'].upper()}**" if r.get("outcome") == "misses" else text(r.get("outcome", ""))
            out.append(f"| {text(d['subject'])} | {text(d['lane'])} vs {text(d['against'])} | {text(r['probe'])} | "
                       f"{text(r['shape'])} | {by} | {mark} |")
        if len(rows) > TOP_PAYOFF:
            out.append(f"\n... and {len(rows) - TOP_PAYOFF} more; see the HTML report.")
    return out


def _perf_gates(gates: list[dict]) -> list[str]:
    """Perf gates (the upgrade question, lanes of one kind) that did not pass (regressions, then
    inconclusive ones), and how many passed."""
    failing = [g for g in gates if g.get("outcome") != "pass"]
    if not gates:
        return []
    out = ["", "### Perf gates (upgrade regression, builds of one kind)", ""]
    if failing:
        out += ["| subject | lane | metric | outcome |", "|---|---|---|---|"]
        for g in failing[:TOP_GATES]:
            out.append(f"| {text(g['subject'])} | {text(g['lane'])} | {text(g.get('summary', g.get('metric')))} | "
                       f"{'**REGRESSION**' if g['outcome'] == 'regression' else text(g['outcome'])} |")
        if len(failing) > TOP_GATES:
            out.append(f"\n... and {len(failing) - TOP_GATES} more; see the HTML report.")
    passed = len(gates) - len(failing)
    out.append(f"{'' if not failing else chr(10)}{wording.count(passed, 'gate')} within budget.")
    return out


def _finding(f: report.Finding, n: int) -> str:
    where = f.lane if f.subject == LANE_SUBJECT.name else f"{f.subject} on {f.lane}"
    label = f.severity or f.weight
    base = f", {f.baseline_note}" if f.baseline_note else ""
    line = f"{n}. **{text(f.kind)}** ({label}{text(base)}) {text(where)}, {text(f.check)}: {text(f.summary)}"
    extra = []
    if f.rate:
        extra.append(f"observed in {wording.rate(*f.rate)}")
    if f.repro:
        extra.append(f"repro: {code(f.repro)}")
    chain = f.evidence.get("chain")
    if isinstance(chain, list) and len(chain) > 1:
        extra.append("import chain: " + code(" -> ".join(map(str, chain))))
    if extra:
        line += "  \n   " + "; ".join(extra)
    table = f.evidence.get("table_text") or f.evidence.get("table")
    blocks = []
    if table:
        if isinstance(table, list):
            table = "\n".join(" | ".join(str(c) for c in row) for row in table if isinstance(row, list | tuple))
        blocks.append(("minimal scenario", str(table)))
    for key in TRACE_KEYS:
        value = f.evidence.get(key)
        if isinstance(value, str) and value.strip():
            blocks.append((key, value[-TRACE_CHARS:]))
    for title, body in blocks:
        line += (f"\n\n   <details><summary>{escape(title)}</summary>\n\n"
                 + "\n".join("   " + ln if ln else "" for ln in block(body).splitlines())
                 + "\n\n   </details>")
    return line + "\n"
