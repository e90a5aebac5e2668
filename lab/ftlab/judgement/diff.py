"""What changed between two runs: new and gone signals, verdict changes, metric deltas, the decision.

`diff_runs(before, after)` is a pure function over two stored runs (ftlab.store.db.RunRecord). The newer
run *regressed* when a verdict got worse, a gating signal appeared, or the decision became no-go;
`ftlab diff` exits 1 then, so CI can gate on it.

Lanes are matched by name; a lane whose name exists in only one run is matched with the unmatched lane
of the same kind (GIL / free-threaded) at the same position among that kind, so "3.14t" and
"/opt/py/bin/python3.14t" compare. Signals are matched by subject, lane, check, kind and summary with
numbers blanked out ("7 of 50 runs" and "9 of 50 runs" are the same finding, measured again).

Perf results of a lane are gated between the two runs as the perf check gates lanes of one kind within
a run (lab/ftlab/judgement/gates.py, the upgrade question: a patch release against the last one), never a GIL
build against a free-threaded one: a breach outside the measured spread is a regression; one within it
is listed as inconclusive and does not fail the diff.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from ftlab import wording
from ftlab.judgement.gates import Gate, default_budgets, gate_pair
from ftlab.judgement.judge import judge
from ftlab.records import LANE_SUBJECT, VERDICTS, Lane
from ftlab.store.db import RunRecord

#: diff documents: ftlab-diff/1: first version.
#: ftlab-diff/2: adds perf_gates (each perf result gated against the same lane of the older run).
FORMAT = "ftlab-diff/2"

#: Numeric `data` fields compared between runs, wherever they sit in a result's data (one level of
#: nesting is searched). Others are check internals (seeds, counts of scenarios), not measurements.
METRICS = ("ops_per_s", "rss_mb", "peak_rss_mb", "startup_ms", "import_ms", "import_s", "speedup")

#: Decision order for "better"/"worse" wording: go is best.
DECISION_ORDER = ("go", "undecided", "no-go")

#: Durations of whole checks vary more than single measurements (process start, disk cache, the
#: index for installs); below this relative change a duration reads "within noise".
DURATION_NOISE = 0.25

_NUMBER = re.compile(r"0x[0-9a-fA-F]+|\d+(\.\d+)?")


@dataclass(frozen=True, kw_only=True)
class SignalKey:
    subject: str
    lane: str
    check: str
    kind: str
    summary: str


@dataclass(frozen=True, kw_only=True)
class SignalChange:
    subject: str
    lane: str
    check: str
    kind: str
    summary: str
    gating: bool

    def to_json(self) -> dict[str, Any]:
        return {"subject": self.subject, "lane": self.lane, "check": self.check, "kind": self.kind,
                "summary": self.summary, "gating": self.gating}


@dataclass(frozen=True, kw_only=True)
class VerdictChange:
    subject: str
    lane: str
    before: str
    after: str
    change: str  # better | worse | coverage (to or from untested)
    reasons: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"subject": self.subject, "lane": self.lane, "before": self.before, "after": self.after,
                "change": self.change, "reasons": list(self.reasons)}


@dataclass(frozen=True, kw_only=True)
class MetricDelta:
    subject: str
    lane: str
    check: str
    metric: str
    before: float
    after: float
    change: str  # same | better | worse
    wording: str

    def to_json(self) -> dict[str, Any]:
        return {"subject": self.subject, "lane": self.lane, "check": self.check, "metric": self.metric,
                "before": self.before, "after": self.after, "change": self.change, "wording": self.wording}


@dataclass(frozen=True, kw_only=True)
class RunDiff:
    before: str
    after: str
    decision_before: str
    decision_after: str
    lanes: tuple[tuple[str, str], ...] = ()  # (lane in before, lane in after), matched
    only_before: tuple[str, ...] = ()  # lanes
    only_after: tuple[str, ...] = ()
    new_signals: tuple[SignalChange, ...] = ()
    gone_signals: tuple[SignalChange, ...] = ()
    verdicts: tuple[VerdictChange, ...] = ()
    metrics: tuple[MetricDelta, ...] = ()
    #: (subject, lane label, gate): perf gates of the newer run's lane against the older run's.
    perf_gates: tuple[tuple[str, str, Gate], ...] = ()
    regressions: tuple[str, ...] = field(default=())

    @property
    def regressed(self) -> bool:
        return bool(self.regressions)

    @property
    def decision_change(self) -> str:
        if self.decision_before == self.decision_after:
            return "same"
        rank = {d: i for i, d in enumerate(DECISION_ORDER)}
        return "better" if rank.get(self.decision_after, 1) < rank.get(self.decision_before, 1) else "worse"

    @property
    def improvements(self) -> list[str]:
        out = [f"{v.subject} on {v.lane}: {v.before} -> {v.after}" for v in self.verdicts if v.change == "better"]
        out += [f"gone: {_where(s)}: {s.kind} ({s.check}): {s.summary}" for s in self.gone_signals if s.gating]
        if self.decision_change == "better":
            out.append(f"decision {self.decision_before} -> {self.decision_after}")
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT, "before": self.before, "after": self.after, "regressed": self.regressed,
            "regressions": list(self.regressions), "improvements": self.improvements,
            "decision": {"before": self.decision_before, "after": self.decision_after, "change": self.decision_change},
            "lanes": {"matched": [list(p) for p in self.lanes], "only_before": list(self.only_before),
                      "only_after": list(self.only_after)},
            "signals": {"new": [s.to_json() for s in self.new_signals], "gone": [s.to_json() for s in self.gone_signals]},
            "verdicts": [v.to_json() for v in self.verdicts],
            "metrics": [m.to_json() for m in self.metrics],
            "perf_gates": [{"subject": subject, "lane": lane, **g.to_json()} for subject, lane, g in self.perf_gates],
        }


def diff_runs(before: RunRecord, after: RunRecord, *, perf_budgets: dict[str, float] | None = None) -> RunDiff:
    lane_map = match_lanes(before.lanes, after.lanes)  # after name -> before name
    to_before = {a: b for a, b in lane_map.items()}

    def lane_key(name: str) -> str:
        return to_before.get(name, name)

    def label(before_name: str) -> str:
        after_name = next((a for a, b in lane_map.items() if b == before_name), before_name)
        return before_name if after_name == before_name else f"{before_name} -> {after_name}"

    old_sigs = _signals(before, lambda n: n)
    new_sigs = _signals(after, lane_key)
    new = tuple(_change(new_sigs[k], label(k.lane)) for k in new_sigs if k not in old_sigs)
    gone = tuple(_change(old_sigs[k], label(k.lane)) for k in old_sigs if k not in new_sigs)

    old_v = {(v.subject, v.lane): v for v in before.verdicts}
    verdict_changes = []
    for v in after.verdicts:
        prev = old_v.get((v.subject, lane_key(v.lane)))
        if prev is None or prev.verdict == v.verdict:
            continue
        verdict_changes.append(VerdictChange(subject=v.subject, lane=label(lane_key(v.lane)), before=prev.verdict,
                                             after=v.verdict, change=_verdict_change(prev.verdict, v.verdict),
                                             reasons=v.reasons))

    metrics = _metric_deltas(before, after, lane_key, label)
    gates = _perf_gates(before, after, lane_key, label, perf_budgets or default_budgets())
    d_before = before.decision.decision if before.decision else "undecided"
    d_after = after.decision.decision if after.decision else "undecided"
    regressions = [f"{v.subject} on {v.lane}: verdict {v.before} -> {v.after}" for v in verdict_changes
                   if v.change == "worse"]
    regressions += [f"new {s.kind} ({s.check}) on {_where(s)}: {s.summary}" for s in new if s.gating]
    regressions += [f"perf on {_where_gate(subject, lane)}: {g.summary()}" for subject, lane, g in gates
                    if g.outcome == "regression"]
    if d_after == "no-go" and d_before != "no-go":
        regressions.append(f"decision {d_before} -> no-go")
    matched = tuple((b, a) for a, b in lane_map.items())
    return RunDiff(
        before=before.run_id, after=after.run_id, decision_before=d_before, decision_after=d_after,
        lanes=matched, only_before=tuple(ln.name for ln in before.lanes if ln.name not in lane_map.values()),
        only_after=tuple(ln.name for ln in after.lanes if ln.name not in lane_map),
        new_signals=new, gone_signals=gone, verdicts=tuple(verdict_changes), metrics=tuple(metrics),
        perf_gates=tuple(gates), regressions=tuple(regressions),
    )


def match_lanes(before: tuple[Lane, ...], after: tuple[Lane, ...]) -> dict[str, str]:
    """after lane name -> before lane name: same name first, then same kind at the same rank of that kind."""
    names = {ln.name for ln in before}
    out = {ln.name: ln.name for ln in after if ln.name in names}
    for ft in (False, True):
        left = [ln.name for ln in before if ln.gil_disabled == ft and ln.name not in out.values()]
        right = [ln.name for ln in after if ln.gil_disabled == ft and ln.name not in out]
        for a, b in zip(right, left, strict=False):
            out[a] = b
    return out


def normalise(summary: str) -> str:
    """A summary with numbers and addresses blanked, so a re-measured finding matches itself."""
    return _NUMBER.sub("#", summary).strip()


def _signals(run: RunRecord, lane_key) -> dict[SignalKey, Any]:
    """The run's judged findings (ftlab.judgement.judge: a finding the baseline lane shares does not gate) by key."""
    out = {}
    for f in judge(run.lanes, run.results):
        key = SignalKey(subject=f.subject, lane=lane_key(f.lane), check=f.check, kind=f.kind,
                        summary=normalise(f.summary))
        out.setdefault(key, f)
    return out


def _change(f, lane_label: str) -> SignalChange:
    return SignalChange(subject=f.subject, lane=lane_label, check=f.check, kind=f.kind, summary=f.summary,
                        gating=f.gating)


def _verdict_change(before: str, after: str) -> str:
    """Severity order for tested verdicts; to or from `untested` is a coverage change, neither way."""
    if "untested" in (before, after):
        return "coverage"
    return "worse" if VERDICTS.index(after) < VERDICTS.index(before) else "better"


def _metric_deltas(before: RunRecord, after: RunRecord, lane_key, label) -> list[MetricDelta]:
    old = {(r.subject, r.lane, r.check): r for r in before.results}
    out = []
    for r in after.results:
        prev = old.get((r.subject, lane_key(r.lane), r.check))
        if prev is None or "skipped" in (r.status, prev.status):
            continue
        lane = label(lane_key(r.lane))
        if prev.duration_s > 0 and r.duration_s > 0:
            change, phrase = wording.compare(prev.duration_s, r.duration_s, noise=DURATION_NOISE)
            out.append(MetricDelta(subject=r.subject, lane=lane, check=r.check, metric="duration_s",
                                   before=round(prev.duration_s, 4), after=round(r.duration_s, 4), change=change,
                                   wording=phrase))
        old_m, new_m = _numbers(prev.data), _numbers(r.data)
        for metric in sorted(set(old_m) & set(new_m)):
            change, phrase = wording.compare_metric(metric, old_m[metric], new_m[metric])
            out.append(MetricDelta(subject=r.subject, lane=lane, check=r.check, metric=metric,
                                   before=old_m[metric], after=new_m[metric], change=change, wording=phrase))
    return out


def _perf_gates(before: RunRecord, after: RunRecord, lane_key, label,
                budgets: dict[str, float]) -> list[tuple[str, str, Gate]]:
    """Each perf result of the newer run gated against the same subject and lane in the older run."""
    old = {(r.subject, r.lane): r for r in before.results if r.check == "perf" and r.status in ("ok", "findings")}
    # Upgrade budgets compare builds of one kind: a lane whose name now means the other kind is not gated.
    ft_before = {ln.name: ln.gil_disabled for ln in before.lanes}
    ft_after = {ln.name: ln.gil_disabled for ln in after.lanes}
    out = []
    for r in after.results:
        prev = old.get((r.subject, lane_key(r.lane)))
        if r.check != "perf" or prev is None or r.status not in ("ok", "findings"):
            continue
        if ft_before.get(prev.lane) != ft_after.get(r.lane):
            continue
        lane = label(lane_key(r.lane))
        for g in gate_pair(prev, r, budgets, f"{prev.lane} in run {before.run_id}"):
            out.append((r.subject, lane, g))
    return out


def _where_gate(subject: str, lane: str) -> str:
    return f"{subject} on {lane}"


def _numbers(data: dict[str, Any]) -> dict[str, float]:
    out = {}
    for key, value in data.items():
        if key in METRICS and _is_num(value):
            out[key] = float(value)
        elif isinstance(value, dict):
            for sub, v in value.items():
                if sub in METRICS and _is_num(v):
                    out[f"{key}.{sub}"] = float(v)
    return out


def _is_num(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _where(s: SignalChange) -> str:
    return s.lane if s.subject == LANE_SUBJECT.name else f"{s.subject} on {s.lane}"


def format_text(d: RunDiff) -> str:
    """The diff for people: regressions first, then improvements, signals, verdicts and metrics."""
    lines = [f"ftlab diff {d.before} -> {d.after}"]
    decision = f"decision: {d.decision_before} -> {d.decision_after}" if d.decision_change != "same" \
        else f"decision: {d.decision_after} (unchanged)"
    lines.append(decision)
    renamed = [f"{b} -> {a}" for b, a in d.lanes if a != b]
    if renamed:
        lines.append("lanes matched by kind: " + ", ".join(renamed))
    if d.only_before or d.only_after:
        lines.append("lanes not compared: " + ", ".join([f"{n} (only before)" for n in d.only_before]
                                                         + [f"{n} (only after)" for n in d.only_after]))
    lines.append("")
    if d.regressions:
        lines.append(f"REGRESSED ({len(d.regressions)}):")
        lines += [f"  - {x}" for x in d.regressions]
    else:
        lines.append("no regressions")
    if d.improvements:
        lines.append(f"improved ({len(d.improvements)}):")
        lines += [f"  + {x}" for x in d.improvements]
    if d.verdicts:
        lines += ["", "verdict changes:"]
        lines += [f"  {v.subject} on {v.lane}: {v.before} -> {v.after} ({v.change})" for v in d.verdicts]
    if d.new_signals or d.gone_signals:
        lines += ["", "signals:"]
        lines += [f"  new  {s.kind} ({s.check}) {_where(s)}: {s.summary}" for s in d.new_signals]
        lines += [f"  gone {s.kind} ({s.check}) {_where(s)}: {s.summary}" for s in d.gone_signals]
    if d.perf_gates:
        lines += ["", "perf gates (newer against older):"]
        for subject, lane, g in d.perf_gates:
            mark = {"regression": "!", "inconclusive": "?"}.get(g.outcome, " ")
            lines.append(f"  {mark} {subject} on {lane}: {g.summary()}")
    changed = [m for m in d.metrics if m.change != "same"]
    if changed:
        lines += ["", "metrics (outside noise):"]
        for m in changed:
            where = m.lane if m.subject == LANE_SUBJECT.name else f"{m.subject} on {m.lane}"
            lines.append(f"  {where}, {m.check} {m.metric}: {_fmt(m.metric, m.before)} -> {_fmt(m.metric, m.after)}"
                         f" ({m.wording})")
    same = len(d.metrics) - len(changed)
    if same:
        lines.append(f"  {wording.count(same, 'metric')} within noise")
    return "\n".join(lines) + "\n"


def _fmt(metric: str, value: float) -> str:
    if metric == "duration_s":
        return wording.seconds(value)
    return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"


def dumps(d: RunDiff) -> str:
    return json.dumps(d.to_json(), indent=2) + "\n"
