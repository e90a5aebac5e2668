"""The HTML report: one self-contained file (inline CSS, JS and SVG) that works offline from disk.

Read top to bottom it answers, in order: go or no-go and why; which lanes (GIL or free-threaded) were
tested; the subjects x lanes verdict matrix; every finding; then per subject and lane what stress
covered beside the verdict (found, screened, dropped, the ops raced) and the evidence (install
record, per-module import table, stress findings with their minimal scenario, rate and repro, crash
traces). Everything a tested package could have printed is escaped, and a Content-Security-Policy
allows only the report's own script (by hash), so nothing in the evidence can run.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ftlab import report, wording
from ftlab.judgement.gates import gate_outcome
from ftlab.records import LANE_SUBJECT, VERDICT_MEANING, VERDICTS, Lane, Result, Signal
from ftlab.report import charts

ASSETS = Path(__file__).parent / "assets"

#: What each verdict means, for the legend (short; the reasons say the rest).

#: Colour per signal kind (CSS expressions; the stylesheet defines the variables per colour scheme).
KIND_COLOUR = {
    "crash": "var(--k-crash)", "hang": "var(--k-hang)", "corruption": "var(--k-corruption)",
    "unexpected-exception": "var(--k-exception)", "invariant-broken": "var(--k-invariant)",
    "gil-reenabled": "var(--k-gil)", "install-failed": "var(--k-install)", "no-wheel": "var(--k-nowheel)",
    "import-error": "var(--k-import)", "built-from-sdist": "var(--k-info)", "perf-regression": "var(--k-perf)",
    "pure-python-wheel": "var(--k-info)", "not-instrumented": "var(--k-info)", "data-race": "var(--k-corruption)",
}
#: Series colours for lanes in charts, in lane order.
LANE_COLOURS = ("var(--l0)", "var(--l1)", "var(--l2)", "var(--l3)", "var(--l4)", "var(--l5)")

#: Longest text shown in one <pre> (a trace, a log tail); the artifacts keep the whole thing.
PRE_CHARS = 12_000
#: Most rows of one per-module import table; the JSON report keeps every row.
MODULE_ROWS = 400
#: Scaling plots shown open per subject (one per workload); the rest fold into a <details>.
PLOTS_OPEN = 4
#: Triggers listed in the banner before the rest fold into a <details>.
BANNER_TRIGGERS = 8
#: Op names in the summary line of a cell's stress coverage (protocol ops first); its <details> lists every probe's.
SUMMARY_OPS = 8

#: Evidence keys shown as preformatted traces, with their label.
TRACE_KEYS = {
    "faulthandler": "faulthandler output", "stacks": "thread stacks", "trace": "trace",
    "traceback": "traceback", "output_tail": "output (tail)", "log_tail": "log (tail)", "stderr_tail": "stderr (tail)",
}
#: Evidence keys rendered elsewhere in a finding (or redundant with what is).
SHOWN_KEYS = {"table", "table_text", "rate", "repro", "chain", "scenario", "detail", "summary"}


def e(text: object) -> str:
    return escape(str(text), quote=True)


def anchor(*parts: str) -> str:
    """A stable, safe element id for any subject/lane/check names."""
    return "x" + hashlib.sha1("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:12]


def render(outcome, *, report_path: Path | None = None, generated_at: float | None = None) -> str:
    r = _Renderer(outcome, report_path)
    generated = time.strftime("%Y-%m-%d %H:%M", time.localtime(generated_at or time.time()))
    css = (ASSETS / "report.css").read_text(encoding="utf-8")
    js = (ASSETS / "report.js").read_text(encoding="utf-8")
    script_hash = base64.b64encode(hashlib.sha256(js.encode("utf-8")).digest()).decode()
    csp = (f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-{script_hash}'; "
           "base-uri 'none'; form-action 'none'")
    body = "".join([
        r.header(generated), r.banner(), r.new_on_free_threaded(), r.lanes(), r.matrix(), r.charts(), r.findings_table(),
        r.subjects(), r.lane_checks(), r.footer(),
    ])
    return (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{e(csp)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="color-scheme" content="light dark">'
        f"<title>ftlab {e(outcome.decision.decision.upper())}: run {e(outcome.run_id)}</title>"
        f"<style>{css}</style></head>\n<body>{body}<script>{js}</script></body></html>\n"
    )


class _Renderer:
    """Holds what every section needs (indexes over the run); each method returns one section."""

    def __init__(self, outcome, report_path: Path | None):
        self.o = outcome
        self.report_path = report_path
        self.lanes_by_name = {lane.name: lane for lane in outcome.lanes}
        self.subject_names = report.subjects(outcome)
        self.cells = report.verdict_cells(outcome)
        self.results = report.cell_results(outcome)
        self.coverage = outcome.coverage
        self.findings = list(outcome.findings)
        self.groups = outcome.headline
        self.finding_ids = {id(f.signal): f"f{i + 1}" for i, f in enumerate(self.findings)}
        self.lane_colour = {lane.name: LANE_COLOURS[i % len(LANE_COLOURS)] for i, lane in enumerate(outcome.lanes)}

    # -- top --------------------------------------------------------------------------------------

    def header(self, generated: str) -> str:
        nav = "".join(f'<a href="#{a}">{t}</a>' for a, t in (
            ("lanes", "Lanes"), ("matrix", "Matrix"), ("charts", "Charts"), ("findings", "Findings"),
            ("subjects", "Subjects")))
        return (f'<header class="top"><div class="brand">ftlab <span>free-threading report</span></div>'
                f'<nav>{nav}</nav><div class="meta">run <code>{e(self.o.run_id)}</code> · {e(generated)}</div></header>'
                '<main>')

    def banner(self) -> str:
        """The decision, with the counts every format shows (ftlab.report's phrases) and chips per lane."""
        d = self.o.decision
        c = self.o.counts()
        new, gating = c["reasons"]["new"], c["reasons"]["total"]
        n_subjects, n_lanes = len(self.subject_names), len(self.o.lanes)
        headline = {
            "go": "Go: nothing found that blocks free-threaded adoption",
            "no-go": (f"No-go: {wording.count(new, 'gating reason')} new on the free-threaded lane"
                      + (f", {gating - new} more gating" if gating > new else "")) if new
            else f"No-go: {wording.count(gating, 'gating reason')}",
            "undecided": "Undecided: not enough was tested to say go",
        }.get(d.decision, d.decision)
        sub = (f"{wording.count(n_subjects, 'subject')} × {wording.count(n_lanes, 'lane')} · "
               f"{wording.count(c['free_threaded_lanes_tested'], 'free-threaded lane')} tested · "
               f"{report.findings_phrase(self.o)} · gate: {report.reasons_phrase(self.o)}")
        chips = "".join(self._lane_chips(lane) for lane in self.o.lanes) if self.o.verdicts else ""
        untested = report.untested_lines(self.o)
        untested_html = ""
        if untested:
            items = "".join(f"<li>{e(line)}</li>" for line in untested)
            untested_html = (f'<details class="more untested"><summary>Untested ({len(untested)})</summary>'
                             f'<ul class="triggers">{items}</ul></details>')
        thin = report.thinly_stress_tested(self.o)
        if thin:
            items = "".join(f"<li>{e(line)}</li>" for line in thin)
            untested_html += (f'<details class="more untested"><summary>Stress reached under a quarter of the '
                              f'public API ({len(thin)})</summary><ul class="triggers">{items}</ul></details>')
        triggers = ""
        # The section below lists every trigger when all of them are new on 3.14t: no need to say it twice.
        if d.triggers and not (d.decision == "no-go" and new == gating):
            items = [f"<li>{e(t)}</li>" for t in d.triggers]
            triggers = f'<ul class="triggers">{"".join(items[:BANNER_TRIGGERS])}</ul>'
            if len(items) > BANNER_TRIGGERS:
                triggers += (f'<details class="more"><summary>{len(items) - BANNER_TRIGGERS} more</summary>'
                             f'<ul class="triggers">{"".join(items[BANNER_TRIGGERS:])}</ul></details>')
        return (f'<section class="banner d-{e(d.decision)}" id="decision">'
                f'<div class="verdict-word">{e(d.decision.upper())}</div>'
                f'<div class="banner-body"><h1>{e(headline)}</h1><p class="sub">{e(sub)}</p>'
                f'<div class="chips">{chips}</div>{triggers}{untested_html}</div></section>')

    def _lane_chips(self, lane) -> str:
        """One lane's verdict chips (packages per verdict on that lane), titled with the lane's phrase."""
        counts = self.o.verdicts_by_lane.get(lane.name, {})
        chips = "".join(
            f'<a class="chip v-{v}" href="#matrix" data-set-filter="matrix:verdict:{v}">'
            f'<b>{n}</b><span>{e(v)}</span></a>'
            for v, n in counts.items() if n or v in ("ready", "crashes", "unsafe"))
        phrase = next(p for p in report.verdict_phrases(self.o) if p.startswith(f"{lane.name} ("))
        return (f'<div class="lane-chips" title="{e(phrase)}"><span class="chip-lane">{e(lane.name)} '
                f'<small>{e(lane.kind_label)}</small></span>{chips}</div>')

    def new_on_free_threaded(self) -> str:
        """What adopting 3.14t changes, before anything else: the gating findings its baseline lacks."""
        new, notes = self.groups["new"], self.groups["notes"]

        def items(found):
            return "".join(
                f'<li><span class="kind-tag" style="--kc:{KIND_COLOUR.get(f.kind, "var(--k-other)")}">{e(f.kind)}</span> '
                f'<b>{e(f.subject)}</b> on {e(f.lane)}: <a href="#{self.finding_ids[id(f.signal)]}">{e(f.summary)}</a>'
                + (f' <small class="muted">({e(f.baseline_note)})</small>' if f.baseline_note else "") + "</li>"
                for f in found)

        worth = (f'<h3>Worth knowing, not gating <small>{len(notes)}</small></h3>'
                 f'<ul class="new-findings notes">{items(notes)}</ul>') if notes else ""
        if not new:
            if not any(lane.gil_disabled and lane.available for lane in self.o.lanes):
                return ""
            return ('<section id="new"><h2>New on the free-threaded lane</h2><p class="empty">Nothing that gates: '
                    'every gating finding on the free-threaded lane is shared with its GIL baseline.</p>'
                    f'{worth}</section>')
        return (f'<section id="new"><h2>New on the free-threaded lane <small>{len(new)}</small></h2>'
                f'<ul class="new-findings">{items(new)}</ul>{worth}</section>')

    def lanes(self) -> str:
        cards = []
        for lane in self.o.lanes:
            kind = report.lane_kind(lane)
            kclass = "ft" if lane.gil_disabled else "gil"
            if not lane.available and not lane.version:
                kclass = "unknown"
            rows = [("version", lane.version or "-"), ("implementation", lane.implementation or "-"),
                    ("source", lane.source or "-"), ("asked for", lane.spec or "-")]
            if lane.abiflags:
                rows.append(("abiflags", lane.abiflags))
            if lane.sanitizer:
                rows.append(("sanitizer", f"{lane.sanitizer} (data races are reported as signals)"))
            if lane.platform_tags:
                rows.append(("first wheel tag", lane.platform_tags[0]))
            status = '<span class="badge ok">available</span>' if lane.available else \
                '<span class="badge bad">unavailable</span>'
            note = ""
            if not lane.available:
                fix = report.fix_command(lane.reason)
                note = f'<p class="lane-reason">{e(lane.reason)}</p>'
                if fix:
                    note += f'<p class="fix">fix: <code>{e(fix)}</code></p>'
            elif lane.reason:
                note = f'<p class="lane-note">{e(lane.reason)}</p>'
            path = f'<div class="path"><code>{e(lane.path)}</code></div>' if lane.path else ""
            cards.append(
                f'<div class="lane-card{"" if lane.available else " unavailable"}" id="{anchor("lane", lane.name)}">'
                f'<div class="lane-head"><span class="lane-name">{e(lane.name)}</span>'
                f'<span class="kind k-{kclass}">{e(kind)}</span>{status}</div>{path}'
                f'<dl>{"".join(f"<dt>{e(k)}</dt><dd{_dd_class(k)}>{e(v)}</dd>" for k, v in rows)}</dl>{note}</div>')
        return f'<section id="lanes"><h2>Lanes</h2><div class="lane-grid">{"".join(cards)}</div></section>'

    # -- matrix -----------------------------------------------------------------------------------

    def matrix(self) -> str:
        legend = "".join(f'<span class="legend-item"><span class="v v-{v}">{e(v)}</span> {e(VERDICT_MEANING[v])}</span>'
                         for v in VERDICTS)
        if not self.subject_names:
            return ('<section id="matrix"><h2>Verdicts</h2><p class="empty">No package subjects in this run '
                    '(only lane checks). Test packages with <code>ftlab run PACKAGE</code>.</p></section>')
        head = '<th scope="col">subject</th>' + "".join(
            f'<th scope="col" data-col-lane="{e(lane.name)}">{e(lane.name)}<small>{e(report.lane_kind(lane))}</small></th>'
            for lane in self.o.lanes)
        rows = []
        for s in self.subject_names:
            cells, verdicts = [], []
            for lane in self.o.lanes:
                v = self.cells.get((s, lane.name))
                verdict = v.verdict if v else "untested"
                verdicts.append(verdict)
                n = sum(len(r.signals) for r in self.results.get((s, lane.name), []))
                reasons = "; ".join(v.reasons) if v else "no verdict recorded"
                count = f'<small>{wording.count(n, "signal")}</small>' if n else ""
                cov = self.coverage.get((s, lane.name))
                unraced = ""
                if cov is not None and not cov.covered:
                    unraced = f'<small class="unraced" title="{e(cov.unraced)}">stress raced nothing</small>'
                cells.append(
                    f'<td class="cell v-{verdict}" data-col-lane="{e(lane.name)}" data-verdict="{verdict}" '
                    f'data-sort="{VERDICTS.index(verdict)}" title="{e(reasons)}">'
                    f'<a href="#{anchor(s, lane.name)}">{e(verdict)}{count}</a>{_rests_on(v)}{unraced}</td>')
            rows.append(f'<tr data-verdict="{" ".join(dict.fromkeys(verdicts))}" data-search="{e(s.lower())}">'
                        f'<th scope="row" data-sort="{e(s.lower())}"><a href="#{anchor("subject", s)}">{e(s)}</a>'
                        f'</th>{"".join(cells)}</tr>')
        return (f'<section id="matrix"><h2>Verdicts</h2><div class="legend">{legend}</div>'
                f'<div class="filters" data-for="matrix-table" data-facets="verdict:verdict lane:lane" '
                f'data-lanes="{e(" ".join(lane.name for lane in self.o.lanes))}"></div>'
                f'<div class="table-wrap"><table class="matrix sortable" id="matrix-table"><thead><tr>{head}</tr></thead>'
                f'<tbody>{"".join(rows)}</tbody></table></div></section>')

    # -- charts -----------------------------------------------------------------------------------

    def charts(self) -> str:
        cards = []
        lane_names = [lane.name for lane in self.o.lanes]
        kinds = list(report.signal_counts(self.o))
        if kinds:
            per = {k: [0] * len(lane_names) for k in kinds}
            for f in self.findings:
                if f.lane in lane_names:
                    per[f.kind][lane_names.index(f.lane)] += 1
            svg = charts.stacked_columns("Signals per lane", lane_names,
                                         [(k, KIND_COLOUR.get(k, "var(--k-other)"), per[k]) for k in kinds])
            cards.append(("Signals per lane", svg))
        totals: dict[tuple[str, str], float] = {}
        for r in self.o.results:
            if r.status != "skipped":
                totals[(r.check, r.lane)] = totals.get((r.check, r.lane), 0.0) + r.duration_s
        if totals:
            rows = [(f"{check} · {lane}", t, self.lane_colour.get(lane, "var(--l0)"), wording.seconds(t))
                    for (check, lane), t in sorted(totals.items(), key=lambda kv: (kv[0][0], lane_names.index(kv[0][1])
                                                                                    if kv[0][1] in lane_names else 99))]
            cards.append(("Time per check and lane", charts.horizontal_bars("Time per check and lane", rows)))
        series = self._scaling_series()
        if series:
            cards.append(("Thread scaling", charts.lines("Thread scaling", series, x_label="threads",
                                                         y_label="operations / s")))
        if not cards:
            return ""
        body = "".join(f'<figure class="card chart-card"><figcaption>{e(t)}</figcaption>{svg}</figure>' for t, svg in cards)
        return f'<section id="charts"><h2>Charts</h2><div class="chart-grid">{body}</div></section>'

    def _scaling_series(self) -> list[tuple[str, str, list[tuple[float, float]]]]:
        out = []
        for i, r in enumerate(x for x in self.o.results if _scaling_points(x.data)):
            label = r.lane if r.subject == LANE_SUBJECT.name else f"{r.subject} · {r.lane}"
            out.append((f"{label} ({r.check})", LANE_COLOURS[i % len(LANE_COLOURS)], _scaling_points(r.data)))
        return out

    # -- findings ---------------------------------------------------------------------------------

    def findings_table(self) -> str:
        if not self.findings:
            return ('<section id="findings"><h2>Findings</h2><p class="empty">No signals: nothing crashed, hung, '
                    'corrupted data or re-enabled the GIL in what was tested.</p></section>')
        rows = []
        for f in self.findings:
            sev = f.severity or f.weight
            rate = ""
            if f.rate:
                k, n = f.rate
                rate = f'<td data-sort="{k / n if n else 0:.6f}">{e(wording.rate(k, n))}</td>'
            else:
                rate = '<td data-sort="-1" class="muted">-</td>'
            repro = f'<a href="{e(self.href(f.repro))}">{e(Path(f.repro).name)}</a>' if f.repro else '<span class="muted">-</span>'
            rows.append(
                f'<tr data-verdict="{e(sev)}" data-lane="{e(f.lane)}" data-kind="{e(f.kind)}" '
                f'data-search="{e((f.subject + " " + f.summary).lower())}">'
                f'<td data-sort="{report.severity_rank(f.severity)}"><span class="v v-{e(sev)}">{e(sev)}</span></td>'
                f'<td><span class="kind-tag" style="--kc:{KIND_COLOUR.get(f.kind, "var(--k-other)")}">{e(f.kind)}</span>'
                f'{"" if f.gating else f" <small class=muted>({f.weight})</small>"}</td>'
                f'<td>{e(f.subject)}</td><td>{e(f.lane)}</td><td>{e(f.check)}</td>'
                f'<td title="{e(f.baseline_note)}">{e(_baseline_label(f))}</td>'
                f'<td class="summary"><a href="#{self.finding_ids[id(f.signal)]}">{e(f.summary)}</a></td>'
                f'{rate}<td>{repro}</td></tr>')
        head = "".join(f'<th scope="col">{h}</th>' for h in
                       ("severity", "signal", "subject", "lane", "check", "baseline", "summary", "observed rate", "repro"))
        return (f'<section id="findings"><h2>Findings <small>{len(self.findings)}</small></h2>'
                f'<div class="filters" data-for="findings-table" data-facets="verdict:severity lane:lane kind:signal">'
                f'</div><div class="table-wrap"><table class="findings sortable" id="findings-table"><thead><tr>{head}'
                f'</tr></thead><tbody>{"".join(rows)}</tbody></table></div></section>')

    # -- per subject ------------------------------------------------------------------------------

    def subjects(self) -> str:
        if not self.subject_names:
            return ""
        many = len(self.subject_names) > 20
        parts = []
        for s in self.subject_names:
            verdicts = [self.cells.get((s, lane.name)) for lane in self.o.lanes]
            pills = "".join(f'<a class="v v-{v.verdict if v else "untested"}" href="#{anchor(s, lane.name)}">'
                            f'{e(lane.name)}: {e(v.verdict if v else "untested")}</a>'
                            for lane, v in zip(self.o.lanes, verdicts, strict=True))
            interesting = any(v and v.verdict not in ("ready", "untested") for v in verdicts)
            cells = self.perf_summary(s) + "".join(self.cell(s, lane) for lane in self.o.lanes)
            parts.append(f'<details class="subject" id="{anchor("subject", s)}"{" open" if interesting or not many else ""}>'
                         f'<summary><h3>{e(s)}</h3><span class="pills">{pills}</span></summary>{cells}</details>')
        return f'<section id="subjects"><h2>Subjects</h2>{"".join(parts)}</section>'

    def cell(self, subject: str, lane: Lane) -> str:
        v = self.cells.get((subject, lane.name))
        verdict = v.verdict if v else "untested"
        reasons = "".join(f"<li>{e(x)}</li>" for x in (v.reasons if v else ("no verdict recorded",)))
        results = self.results.get((subject, lane.name), [])
        skipped: dict[str, list[str]] = {}
        for r in results:
            if r.status == "skipped" and not r.signals:
                skipped.setdefault(r.reason, []).append(r.check)
        shown = "".join(self.result(r) for r in results if r.status != "skipped" or r.signals)
        shown += "".join(
            f'<div class="check skipped"><div class="check-head"><span class="check-name">{e(", ".join(checks))}</span>'
            f'<span class="status s-skipped">skipped</span></div>'
            + (f'<p class="reason">{e(reason)}</p>' if reason and not (v and reason in v.reasons[0:1]) else "")
            + "</div>"
            for reason, checks in skipped.items())
        return (f'<div class="cell-detail v-{verdict}" id="{anchor(subject, lane.name)}">'
                f'<div class="cell-head"><span class="v v-{verdict}">{e(verdict)}</span> '
                f'<b>{e(subject)}</b> on <b>{e(lane.name)}</b> <span class="kind-inline">{e(report.lane_kind(lane))}</span></div>'
                f'{self.stress_coverage(subject, lane)}<ul class="reasons">{reasons}</ul>{shown}</div>')

    def stress_coverage(self, subject: str, lane: Lane) -> str:
        """Beside a cell's verdict, what its stress check covered (ftlab.coverage): the counts and what
        screening dropped, then the ops raced (protocol ops first), every probe's in a <details>; or,
        plainly, that it raced nothing and why."""
        cov = self.coverage.get((subject, lane.name))
        if cov is None:
            return ""
        if not cov.covered:
            return (f'<div class="coverage raced-nothing"><b>stress raced nothing</b>: {e(cov.unraced)}'
                    f'<span class="muted"> · {e(cov.summary())}</span></div>')
        names = cov.op_names()
        shown = ", ".join(f"<code>{e(n)}</code>" for n in names[:SUMMARY_OPS])
        more = f", +{len(names) - SUMMARY_OPS} more" if len(names) > SUMMARY_OPS else ""
        probes = "".join(
            f'<li><code>{e(p.probe)}</code> <span class="muted">{e(p.kind or "probe")}'
            f'{" · " + e(wording.count(p.invocations, "invocation")) if p.invocations else ""}</span>: '
            + (", ".join(f"<code>{e(op)}</code>" for op in p.ops) or '<span class="muted">raced nothing</span>')
            + "</li>" for p in cov.probes)
        return (f'<div class="coverage"><span class="label">stress</span> {e(cov.summary())}'
                f'<details class="ops"><summary>{e(wording.count(cov.raced, "op"))} raced'
                f'{" by " + e(wording.count(len(cov.probes), "probe")) if len(cov.probes) > 1 else ""}: '
                f'{shown}{more}</summary><ul>{probes}</ul></details></div>')

    def result(self, r: Result) -> str:
        head = (f'<div class="check-head"><span class="check-name">{e(r.check)}</span>'
                f'<span class="status s-{e(r.status)}">{e(r.status)}</span>'
                + (f'<span class="muted">{e(wording.seconds(r.duration_s))}</span>' if r.status != "skipped" else "")
                + (f'<span class="muted">exit {e(r.exit_status)}</span>' if r.exit_status not in (None, 0) else "")
                + (f'<a class="muted" href="{e(self.href(r.artifacts_dir))}">artifacts</a>' if r.artifacts_dir else "")
                + "</div>")
        reason = f'<p class="reason">{e(r.reason)}</p>' if r.reason else ""
        body = ""
        if r.check == "install" and isinstance(r.data.get("dists"), list):
            body = self.install_record(r.data)
        elif r.check == "perf":
            body = self.perf_record(r.data)
        elif isinstance(r.data.get("modules"), list):
            body = self.import_record(r.data)
        else:
            body = self.data_facts(r)
        signals = "".join(self.signal(s, r) for s in r.signals)
        return f'<div class="check" id="{anchor(r.job_id)}">{head}{reason}{body}{self.sandbox_note(r)}{signals}</div>'

    def sandbox_note(self, r: Result) -> str:
        """Processes the tested code left running, which the sandbox killed when the check ended."""
        box = r.data.get("sandbox")
        orphans = box.get("orphans") if isinstance(box, dict) else None
        if not orphans:
            return ""
        items = "".join(f"<li><code>{e(o.get('cmdline', '?'))}</code></li>" for o in orphans if isinstance(o, dict))
        return (f'<div class="sandbox-note"><b>{e(wording.count(len(orphans), "process", "processes"))} left running</b> when '
                f'the check ended, killed by the sandbox:<ul>{items}</ul></div>')

    def install_record(self, data: Mapping[str, Any]) -> str:
        rows = []
        for d in data["dists"]:
            if not isinstance(d, dict):
                rows.append(f'<tr><td colspan="6">{e(d)}</td></tr>')
                continue
            outcome = str(d.get("outcome", "?"))
            what = d.get("wheel_tag") or d.get("filename") or ""
            failure = ""
            if d.get("failure") or d.get("key_line"):
                failure = f'<b>{e(d.get("failure", ""))}</b> {e(d.get("key_line", ""))}'
            if d.get("log_tail"):
                failure += self.pre_details("install log (tail)", d["log_tail"])
            if d.get("left_running"):
                failure += (f'<div class="sandbox-note">the build left {e(wording.count(len(d["left_running"]), "process", "processes"))} '
                            'running, killed by the sandbox: '
                            + ", ".join(f"<code>{e(c)}</code>" for c in d["left_running"]) + "</div>")
            rows.append(f'<tr><td><b>{e(d.get("name", "?"))}</b></td><td>{e(d.get("version") or "-")}</td>'
                        f'<td><span class="io io-{e(outcome)}">{e(outcome)}</span></td><td>{f"<code>{e(what)}</code>" if what else ""}</td>'
                        f'<td data-sort="{_num(d.get("seconds"))}">{e(wording.seconds(d.get("seconds")))}</td>'
                        f'<td>{failure}</td></tr>')
        mode = " (wheels only)" if data.get("wheels_only") else ""
        return (f'<h4>Install record{e(mode)}</h4><div class="table-wrap"><table class="sortable compact">'
                '<thead><tr><th>distribution</th><th>version</th><th>outcome</th><th>wheel tag / file</th>'
                f'<th>time</th><th>failure</th></tr></thead><tbody>{"".join(rows)}</tbody></table></div>')

    def import_record(self, data: Mapping[str, Any]) -> str:
        modules = data["modules"]
        summary = data.get("summary")
        pills = ""
        if isinstance(summary, dict):
            pills = "".join(f'<span class="io io-{e(k)}">{e(k)} {e(n)}</span> ' for k, n in summary.items() if n)
        rows = []
        for m in modules[:MODULE_ROWS]:
            if not isinstance(m, dict):
                rows.append(f'<tr><td colspan="6"><code>{e(m)}</code></td></tr>')
                continue
            outcome = str(m.get("outcome", "?"))
            offenders = m.get("offenders") or []
            chains = m.get("chains") if isinstance(m.get("chains"), dict) else {}
            gil = ""
            if offenders or m.get("gil_reenabled"):
                items = []
                for off in offenders or ["(unknown module)"]:
                    chain = chains.get(off)
                    via = f' <span class="chain">via {e(" → ".join(map(str, chain)))}</span>' if chain and len(chain) > 1 else ""
                    items.append(f"<code>{e(off)}</code>{via}")
                gil = "<br>".join(items)
            err = m.get("error")
            if isinstance(err, dict):
                err = f'{err.get("type", "")}: {err.get("message", "")}'
            problem = e(err) if err else (e(m.get("signal")) if m.get("signal") else "")
            rows.append(f'<tr data-outcome="{e(outcome)}"><td><code>{e(m.get("module", "?"))}</code></td>'
                        f'<td>{e(m.get("kind", ""))}</td><td><span class="io io-{e(outcome)}">{e(outcome)}</span></td>'
                        f'<td data-sort="{_num(m.get("seconds"))}">{e(wording.seconds(m.get("seconds")))}</td>'
                        f'<td>{gil}</td><td class="problem">{problem}</td></tr>')
        cut = (f'<p class="muted">{len(modules) - MODULE_ROWS} more modules in the JSON report.</p>'
               if len(modules) > MODULE_ROWS else "")
        skipped = data.get("skipped") or []
        skipped_note = (f'<p class="muted">{wording.count(len(skipped), "module")} not imported: '
                        f'{e(", ".join(str(s.get("module", s)) if isinstance(s, dict) else str(s) for s in skipped[:10]))}'
                        f'{" …" if len(skipped) > 10 else ""}</p>') if skipped else ""
        error = f'<p class="reason">{e(data["error"])}</p>' if data.get("error") else ""
        return (f'<h4>Import record <span class="pills">{pills}</span></h4>{error}'
                '<div class="table-wrap"><table class="sortable compact imports"><thead><tr><th>module</th><th>kind</th>'
                '<th>outcome</th><th>time</th><th>GIL re-enabled by</th><th>error</th></tr></thead>'
                f'<tbody>{"".join(rows)}</tbody></table></div>{cut}{skipped_note}')

    def perf_summary(self, subject: str) -> str:
        """A subject's perf across lanes: the payoff of each free-threaded lane first, then a scaling plot per
        workload (every lane, both shapes), then the upgrade gates (lanes of one kind)."""
        perf = [r for lane in self.o.lanes for r in self.results.get((subject, lane.name), []) if r.check == "perf"]
        gates = [(r.lane, g) for r in perf for g in r.data.get("gates") or [] if isinstance(g, dict)]
        plots = self.perf_plots(subject, perf)
        payoffs = [r.data["payoff"] for r in perf if isinstance(r.data.get("payoff"), dict)]
        if not plots and not gates and not payoffs:
            return ""
        out = '<div class="check perf-summary"><div class="check-head"><span class="check-name">perf across lanes</span></div>'
        out += "".join(self.payoff_table(doc) for doc in payoffs)
        out += plots
        if gates:
            rows = "".join(
                f'<tr data-outcome="{e(g.get("outcome"))}"><td>{e(lane)}</td><td>{e(g.get("baseline"))}</td>'
                f'<td>{e(g.get("label", g.get("metric")))}{" · <code>" + e(g["probe"]) + "</code>" if g.get("probe") else ""}</td>'
                f'<td>{e(_gate_value(g, "value", "range"))}</td><td>{e(_gate_value(g, "baseline_value", "baseline_range"))}</td>'
                f'<td>{e(_ratio(g.get("ratio")))}</td><td>{e(_ratio(g.get("budget")))}</td>'
                f'<td><span class="gate gate-{e(g.get("outcome"))}">{e(gate_outcome(str(g.get("outcome"))))}</span></td></tr>'
                for lane, g in gates)
            out += ('<h4>Perf gates <span class="muted">did an upgrade regress? (builds of one kind)</span></h4>'
                    '<div class="table-wrap"><table class="sortable compact gates"><thead><tr>'
                    '<th>lane</th><th>against</th><th>metric</th><th>median (range)</th><th>baseline (range)</th>'
                    f'<th>ratio</th><th>budget</th><th>outcome</th></tr></thead><tbody>{rows}</tbody></table></div>')
        return out + "</div>"

    def payoff_table(self, doc: Mapping[str, Any]) -> str:
        """Does free-threading pay off: the verdict against the SLO, the build caveat, then per workload and
        shape the payoff at each thread count, the single-thread cost and p95 at N on both lanes."""
        rows_in = [r for r in doc.get("workloads") or [] if isinstance(r, dict)]
        counts = sorted({p.get("threads") for r in rows_in for p in r.get("points") or [] if _is_num(p.get("threads"))})
        n = doc.get("threads")
        outcome_class = {"meets": "gate-pass", "misses": "gate-regression", "inconclusive": "gate-inconclusive"}
        rows = []
        for r in rows_in:
            by_n = {p.get("threads"): p for p in r.get("points") or []}
            at = by_n.get(n) or {}
            cells = "".join(f'<td data-sort="{_num(by_n.get(c, {}).get("payoff"))}">{e(_ratio(by_n.get(c, {}).get("payoff")))}'
                            f'{_range_text(by_n.get(c, {}).get("range"))}</td>' for c in counts)
            p95 = (f'{_num_text(at.get("ft_p95"))} / {_num_text(at.get("gil_p95"))} µs ({_ratio(at.get("p95_ratio"))})'
                   if at.get("ft_p95") is not None else "-")
            shape = e(r.get("shape")) + (' <span class="muted">(stateless)</span>' if r.get("stateless") else "")
            rows.append(f'<tr data-outcome="{e(r.get("outcome"))}"><td><code>{e(r.get("probe"))}</code></td><td>{shape}</td>'
                        f'{cells}<td>{e(_ratio(r.get("single_thread")))}</td><td>{p95}</td>'
                        f'<td><span class="gate {outcome_class.get(str(r.get("outcome")), "")}">{e(r.get("outcome"))}</span>'
                        f' <span class="muted">{e(r.get("why", ""))}</span></td></tr>')
        verdict = str(doc.get("verdict"))
        css = {"pays off": "gate-pass", "does not pay off": "gate-regression", "inconclusive": "gate-inconclusive"}
        caveat = f'<p class="reason">build caveat: {e(doc["caveat"])}</p>' if doc.get("caveat") else ""
        builds = doc.get("builds") if isinstance(doc.get("builds"), dict) else {}
        build_rows = "".join(
            f'<tr><td>{e(lane)}</td><td>{"PGO" if b.get("pgo") else "no PGO"}, {"LTO" if b.get("lto") else "no LTO"}'
            f'</td><td>{e(b.get("cc", ""))}</td><td><code>{e(b.get("config_args") or "-")}</code></td></tr>'
            for lane, b in ((doc.get("against"), builds.get("gil")), (doc.get("lane"), builds.get("ft"))) if isinstance(b, dict))
        heads = "".join(f"<th>payoff at {e(c)}</th>" for c in counts)
        slo = doc.get("slo") or {}
        return (f'<h4>Does free-threading pay off? <span class="gate {css.get(verdict, "")}">{e(verdict)}</span> '
                f'<span class="muted">{e(doc.get("lane"))} against {e(doc.get("against"))}; SLO: payoff &ge; '
                f'{e(slo.get("payoff"))}x and p95 &le; GIL p95 &times; {e(slo.get("p95"))} at {e(n)} threads, judged on '
                f'{e(" and ".join(slo.get("shapes") or []))}</span></h4>{caveat}'
                '<div class="table-wrap"><table class="sortable compact payoff"><thead><tr><th>workload</th><th>shape</th>'
                f'{heads}<th>single-thread cost</th><th>p95 at {e(n)} (FT / GIL)</th><th>outcome</th></tr></thead>'
                f'<tbody>{"".join(rows)}</tbody></table></div>'
                + (f'<details><summary>how each lane was built</summary><table class="compact"><thead><tr><th>lane</th>'
                   f'<th>optimisation</th><th>compiler</th><th>CONFIG_ARGS</th></tr></thead><tbody>{build_rows}</tbody>'
                   '</table></details>' if build_rows else ""))

    def perf_plots(self, subject: str, perf: list[Result]) -> str:
        """A scaling plot per workload: every lane in its colour, the independent shape solid, the shared dashed."""
        from ftlab.judgement.payoff import shape_points

        names: list[str] = []
        for r in perf:
            names += [w.get("probe") for w in r.data.get("workloads") or []
                      if isinstance(w, dict) and w.get("probe") not in names and (w.get("points") or w.get("independent_points"))]
        plots = []
        for name in names:
            series, dashed = [], []
            for r in perf:
                w = next((w for w in r.data.get("workloads") or [] if isinstance(w, dict) and w.get("probe") == name), None)
                for shape in ("independent", "shared"):
                    pts = sorted((float(p["threads"]), float(p["ops_per_s"]["median"])) for p in shape_points(w or {}, shape)
                                 if _is_num(p.get("threads")) and isinstance(p.get("ops_per_s"), dict)
                                 and _is_num(p["ops_per_s"].get("median")))
                    if pts:
                        label = f"{r.lane} {shape}"
                        series.append((label, self.lane_colour.get(r.lane, "var(--l0)"), pts))
                        if shape == "shared":
                            dashed.append(label)
            if series:
                plots.append(f'<div class="scaling"><h4>Thread scaling of <code>{e(name)}</code></h4>'
                             f'{charts.lines(f"Thread scaling: {subject}: {name}", series, x_label="threads", y_label="operations / s", dashed=dashed)}</div>')
        if not plots:
            return ""
        shown, rest = plots[:PLOTS_OPEN], plots[PLOTS_OPEN:]
        more = (f'<details><summary>{e(wording.count(len(rest), "more workload"))}</summary>{"".join(rest)}</details>'
                if rest else "")
        return "".join(shown) + more

    def perf_record(self, data: Mapping[str, Any]) -> str:
        """One lane's perf figures: cold startup and import, then each workload per thread count."""
        cold = []
        for key, label in (("bare_startup_ms", "interpreter startup"), ("import_ms", "import of the subject"),
                           ("startup_ms", "startup with the import"), ("rss_mb", "peak RSS after import"),
                           ("cpu_ms", "CPU of a cold import")):
            st = data.get(key)
            if isinstance(st, dict) and _is_num(st.get("p50")):
                unit = "MB" if key.endswith("_mb") else "ms"
                cold.append(f'<tr><td>{e(label)}</td><td>{st["p50"]:,.3g} {unit}</td><td>{_num_text(st.get("p95"))} {unit}</td>'
                            f'<td>{_num_text(st.get("min"))}–{_num_text(st.get("max"))} {unit}</td><td>{e(st.get("n", ""))}</td></tr>')
        out = ""
        if cold:
            out += ('<h4>Cold process</h4><table class="compact"><thead><tr><th></th><th>median</th><th>p95</th><th>range</th>'
                    f'<th>samples</th></tr></thead><tbody>{"".join(cold)}</tbody></table>')
        for w in data.get("workloads") or []:
            if not isinstance(w, dict):
                continue
            rows = []
            for shape, key in (("independent", "independent_points"), ("shared", "points")):
                for p in w.get(key) or []:
                    lat = p.get("latency_us") or {}
                    rows.append(f'<tr><td>{e(shape)}</td><td>{e(p.get("threads"))}</td><td>{e(_spread_text(p.get("ops_per_s"), 0))}</td>'
                                f'<td>{e(_ratio(p.get("speedup")))}</td>'
                                + "".join(f'<td>{e(_spread_text(lat.get(q), 1))}</td>' for q in ("p50", "p95", "p99"))
                                + f'<td>{e(_spread_text(p.get("cpu_us_per_op"), 1))}</td></tr>')
            error = f'<p class="reason">{e(w["error"])}</p>' if w.get("error") else ""
            rss = f' · peak RSS {e(_spread_text(w.get("rss_mb"), 1))} MB' if w.get("rss_mb") else ""
            kind = " (your callable)" if w.get("kind") == "callable" else ""
            out += (f'<h4>Workload <code>{e(w.get("probe"))}</code>{e(kind)} <span class="muted">{e(w.get("repeats"))} repeats × '
                    f'{e(w.get("seconds"))} s per thread count and shape{rss}</span></h4>{error}'
                    '<div class="table-wrap"><table class="compact"><thead><tr><th>shape</th><th>threads</th><th>ops/s median (range)</th>'
                    '<th>speed-up</th><th>p50 µs</th><th>p95 µs</th><th>p99 µs</th><th>CPU µs/op</th></tr></thead>'
                    f'<tbody>{"".join(rows)}</tbody></table></div>')
        for key in ("workload_note", "gates_note", "error"):
            if data.get(key):
                out += f'<p class="muted">{e(data[key])}</p>'
        return out

    def data_facts(self, r: Result) -> str:
        """Any other check's data: scalar facts as a compact table, scaling as a chart, the rest as JSON."""
        scalars = {k: v for k, v in r.data.items() if isinstance(v, str | int | float | bool) or v is None}
        rest = {k: v for k, v in r.data.items() if k not in scalars and k != "scaling"}
        out = ""
        points = _scaling_points(r.data)
        if points:
            base = points[0][1] if points[0][0] == 1 else None
            rows = "".join(
                f'<tr><td>{t:g}</td><td>{y:,.0f}</td><td>{e(wording.speedup(base, y, int(t)) if base else "-")}</td></tr>'
                for t, y in points)
            out += (f'<h4>Thread scaling</h4><div class="scaling">'
                    f'{charts.lines("Thread scaling", [(r.lane, self.lane_colour.get(r.lane, "var(--l0)"), points)], x_label="threads", y_label="operations / s")}'
                    f'<table class="compact"><thead><tr><th>threads</th><th>ops/s</th><th>speed-up</th></tr></thead>'
                    f'<tbody>{rows}</tbody></table></div>')
        if scalars:
            out += self.kv(scalars, cls="facts")
        if rest:
            out += self.pre_details("data (JSON)", json.dumps(rest, indent=1, default=str))
        return out

    def signal(self, s: Signal, r: Result) -> str:
        fid = self.finding_ids.get(id(s), "")
        ev = s.evidence
        colour = KIND_COLOUR.get(s.kind, "var(--k-other)")
        parts = [f'<div class="finding" id="{fid}" style="--kc:{colour}">'
                 f'<div class="finding-head"><span class="kind-tag">{e(s.kind)}</span> {e(s.summary)}</div>']
        facts = []
        rate = ev.get("rate")
        if isinstance(rate, list | tuple) and len(rate) == 2 and all(isinstance(x, int) for x in rate):
            facts.append(f'<span class="fact"><span class="label">observed</span> {charts.rate_bar(rate[0], rate[1], colour)} '
                         f'{e(wording.rate(rate[0], rate[1]))}</span>')
        if isinstance(ev.get("repro"), str) and ev["repro"]:
            facts.append(f'<span class="fact"><span class="label">repro</span> <a href="{e(self.href(ev["repro"]))}">'
                         f'<code>{e(ev["repro"])}</code></a></span>')
        chain = ev.get("chain")
        if isinstance(chain, list) and chain:
            facts.append(f'<span class="fact"><span class="label">import chain</span> '
                         f'<code>{e(" → ".join(map(str, chain)))}</code></span>')
        if facts:
            parts.append(f'<div class="facts-line">{"".join(facts)}</div>')
        if ev.get("detail") and ev.get("detail") != s.summary:
            parts.append(f'<p class="detail">{e(ev["detail"])}</p>')
        table = ev.get("table")
        if table:
            parts.append('<div class="scenario"><div class="label">minimal scenario</div>' + self.scenario(table) + "</div>")
        elif isinstance(ev.get("table_text"), str):
            parts.append(f'<div class="scenario"><div class="label">minimal scenario</div><pre>{e(ev["table_text"])}</pre></div>')
        for key, label in TRACE_KEYS.items():
            text = ev.get(key)
            if isinstance(text, str) and text.strip():
                parts.append(self.pre_details(label, text, open_=s.kind in ("crash", "hang") and key != "output_tail",
                                              cls="trace"))
        other = {k: v for k, v in ev.items() if k not in SHOWN_KEYS and k not in TRACE_KEYS}
        if other:
            parts.append(self.kv(other, cls="evidence"))
        if "scenario" in ev and not isinstance(ev["scenario"], str):
            parts.append(self.pre_details("scenario (data)", json.dumps(ev["scenario"], default=str)))
        parts.append("</div>")
        return "".join(parts)

    def scenario(self, table: Any) -> str:
        """A Lincheck-style table: rows of [part, thread 0 cell, thread 1 cell, ...], or preformatted text."""
        if isinstance(table, str):
            return f"<pre>{e(table)}</pre>"
        if not (isinstance(table, list) and all(isinstance(row, list | tuple) for row in table)):
            return f"<pre>{e(json.dumps(table, indent=1, default=str))}</pre>"
        width = max((len(row) for row in table), default=1)
        head = "<th>part</th>" + "".join(f"<th>thread {i}</th>" for i in range(width - 1))
        body = []
        for row in table:
            cells = list(row) + [""] * (width - len(row))
            part = str(cells[0])
            body.append(f'<tr class="part-{e(part.split()[0] if part.split() else "")}"><th>{e(part)}</th>'
                        + "".join(f'<td class="{"hit" if "<-" in str(c) else ""}"><code>{e(c)}</code></td>' for c in cells[1:])
                        + "</tr>")
        return f'<table class="scenario-table"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'

    # -- lane checks and footer -------------------------------------------------------------------

    def lane_checks(self) -> str:
        rows = [r for r in self.o.results if r.subject == LANE_SUBJECT.name]
        if not rows:
            return ""
        parts = []
        for r in rows:
            lane = self.lanes_by_name.get(r.lane)
            kind = report.lane_kind(lane) if lane else "unknown"
            facts = self.pre_details("fingerprint data", json.dumps(r.data, indent=1, default=str)) if r.data else ""
            signals = "".join(self.signal(s, r) for s in r.signals)
            parts.append(f'<div class="check" id="{anchor(r.job_id)}"><div class="check-head">'
                         f'<span class="check-name">{e(r.check)} · {e(r.lane)}</span><span class="kind-inline">{e(kind)}</span>'
                         f'<span class="status s-{e(r.status)}">{e(r.status)}</span>'
                         f'<span class="muted">{e(wording.seconds(r.duration_s))}</span></div>'
                         f'{f"<p class=reason>{e(r.reason)}</p>" if r.reason else ""}{facts}{signals}</div>')
        return f'<section id="lane-checks"><h2>Lane checks</h2>{"".join(parts)}</section>'

    def footer(self) -> str:
        store = f' · store <code>{e(self.o.store_path)}</code>' if str(self.o.store_path) not in ("", ".") else ""
        return (f'</main><footer>ftlab · run <code>{e(self.o.run_id)}</code>{store} · '
                f'artifacts <code>{e(self.o.artifacts_dir)}</code><br>'
                f'Compare runs with <code>ftlab diff latest~1 latest</code>; re-render with '
                f'<code>ftlab report {e(self.o.run_id)} --format md</code>.</footer>')

    # -- small pieces -----------------------------------------------------------------------------

    def pre_details(self, label: str, text: str, *, open_: bool = False, cls: str = "") -> str:
        text = str(text)
        cut = ""
        if len(text) > PRE_CHARS:
            cut = f"[… {len(text) - PRE_CHARS} characters cut; the artifacts keep the whole text]\n"
            text = text[-PRE_CHARS:]
        return (f'<details class="pre {cls}"{" open" if open_ else ""}><summary>{e(label)}</summary>'
                f"<pre>{e(cut + text)}</pre></details>")

    def kv(self, items: Mapping[str, Any], *, cls: str) -> str:
        rows = []
        for k, v in items.items():
            if isinstance(v, float) and v.is_integer() and abs(v) >= 1e4:
                shown = f"<code>{v:,.0f}</code>"
            elif isinstance(v, float):
                shown = f"<code>{v:,.6g}</code>"
            elif isinstance(v, str | int | bool) or v is None:
                shown = f"<code>{e(v)}</code>" if not isinstance(v, str) or len(v) < 200 else self.pre_details(f"{len(v)} characters", v)
            elif isinstance(v, list) and all(isinstance(x, str | int | float) for x in v) and len(str(v)) < 300:
                shown = ", ".join(f"<code>{e(x)}</code>" for x in v) or '<span class="muted">(none)</span>'
            else:
                text = json.dumps(v, indent=1, default=str)
                shown = f"<pre>{e(text)}</pre>" if len(text) < 400 else self.pre_details("JSON", text)
            rows.append(f"<tr><th>{e(k)}</th><td>{shown}</td></tr>")
        return f'<table class="kv {cls}"><tbody>{"".join(rows)}</tbody></table>'

    def href(self, path: str) -> str:
        """A link to a local file: relative to the report when they share a tree, else a file:// URL."""
        p = Path(path)
        if not p.is_absolute():
            p = Path(os.path.abspath(p))
        if self.report_path is not None:
            base = Path(os.path.abspath(self.report_path)).parent
            try:
                common = os.path.commonpath([p, base])
            except ValueError:
                common = ""
            if common and common != p.anchor:
                return quote(os.path.relpath(p, base).replace(os.sep, "/"))
        return p.as_uri()


def _rests_on(v) -> str:
    """Under a verdict, the checks it rests on: `ready` after install and import says nothing about threads."""
    if v is None or not v.checks or v.verdict == "untested":
        return ""
    return f'<small class="rests-on">{e(", ".join(v.checks))}</small>'


def _baseline_label(f) -> str:
    return {"new": "new", "same": "same", "none": "no baseline", "baseline": "(baseline)"}.get(f.baseline, "-")


def _dd_class(key: str) -> str:
    return ' class="tag"' if key == "first wheel tag" else ""


def _scaling_points(data: Mapping[str, Any]) -> list[tuple[float, float]]:
    raw = data.get("scaling")
    if not isinstance(raw, list):
        return []
    pts = []
    for item in raw:
        if isinstance(item, dict) and _is_num(item.get("threads")) and _is_num(item.get("ops_per_s")):
            pts.append((float(item["threads"]), float(item["ops_per_s"])))
    return sorted(pts)


def _range_text(rng: object) -> str:
    if isinstance(rng, list | tuple) and len(rng) == 2 and all(_is_num(x) for x in rng):
        return f' <span class="muted">({rng[0]:.2f}–{rng[1]:.2f})</span>'
    return ""


def _num_text(x: object) -> str:
    return f"{x:,.3g}" if _is_num(x) else "-"


def _ratio(x: object) -> str:
    return f"{x:.2f}x" if _is_num(x) else "-"


def _spread_text(spread: object, digits: int) -> str:
    """``{"median", "min", "max"}`` as "1,234 (1,200–1,250)"."""
    if not isinstance(spread, dict) or not _is_num(spread.get("median")):
        return "-"
    fmt = f"{{:,.{digits}f}}"
    return f"{fmt.format(spread['median'])} ({fmt.format(spread['min'])}–{fmt.format(spread['max'])})"


def _gate_value(gate: Mapping[str, Any], key: str, range_key: str) -> str:
    value, rng, unit = gate.get(key), gate.get(range_key), gate.get("unit", "")
    if not _is_num(value):
        return "-"
    text = f"{value:,.4g} {unit}"
    if isinstance(rng, list) and len(rng) == 2 and all(_is_num(x) for x in rng):
        text += f" ({rng[0]:,.4g}–{rng[1]:,.4g})"
    return text


def _is_num(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _num(x: object) -> str:
    return f"{x:.6f}" if _is_num(x) else "-1"
