"""Verdicts per subject and lane, and the go/no-go for a whole run. Pure functions over records, reading
the judged findings of ftlab.judgement.judge (each signal against the baseline GIL lane)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ftlab.coverage import covered
from ftlab.judgement.judge import SAME, Finding, condensed, judge, ordered
from ftlab.records import VERDICTS, Decision, Lane, Result, Subject, Verdict

#: Checks that test a package (as opposed to fingerprinting a lane).
PACKAGE_CHECKS = ("install", "import", "stress", "perf")


def verdicts(subjects: Sequence[Subject], lanes: Sequence[Lane], results: Iterable[Result],
             found: Sequence[Finding] | None = None) -> list[Verdict]:
    """A verdict per subject and lane. `found` is the run's judged findings (ftlab.judgement.judge.judge), when the
    caller has them already."""
    results = list(results)
    found = judge(lanes, results) if found is None else found
    by_cell: dict[tuple[str, str], list[Result]] = {}
    for r in results:
        by_cell.setdefault((r.subject, r.lane), []).append(r)
    findings_by_cell: dict[tuple[str, str], list[Finding]] = {}
    for f in found:
        findings_by_cell.setdefault((f.subject, f.lane), []).append(f)
    return [_verdict(s, lane, by_cell.get((s.name, lane.name), []), findings_by_cell.get((s.name, lane.name), []))
            for s in subjects for lane in lanes]


def _verdict(subject: Subject, lane: Lane, results: list[Result], found: list[Finding]) -> Verdict:
    tested = [r for r in results if r.check in PACKAGE_CHECKS and r.status in ("ok", "findings")]
    # A check that ran but had nothing to test (no API the auto-probe can call, or a stress check
    # whose coverage raced no op) is listed in the reasons, never among the checks the verdict rests on.
    checks = tuple(dict.fromkeys(r.check for r in tested if covered(r.check, r.status, r.data)))

    def make(verdict: str, reasons: list[str]) -> Verdict:
        return Verdict(subject=subject.name, lane=lane.name, verdict=verdict, reasons=tuple(reasons), checks=checks)

    if not lane.available:
        return make("untested", [f"lane unavailable: {lane.reason}"])
    worst = len(VERDICTS) - 1
    reasons: dict[str, list[str]] = {}
    notes = []
    for f in found:
        if f.severity:
            reasons.setdefault(f.severity, []).append(_reason(f))
            worst = min(worst, VERDICTS.index(f.severity))
        else:
            notes.append(_reason(f))
    if VERDICTS[worst] != "untested":
        return make(VERDICTS[worst], reasons[VERDICTS[worst]] + notes)
    problems = [f"{r.check}: {r.status}: {r.reason}" for r in results if r.status in ("error", "skipped")]
    if problems:
        return make("untested", problems)
    if not tested:
        return make("untested", ["no package checks ran (ask for --checks install,import,stress)"])
    return make("ready", [f"{r.check}: ok" + (f" ({r.reason})" if r.reason else "") for r in tested] + notes)


def _reason(f: Finding) -> str:
    label = "known " if f.known else ""
    tail = f" [{f.baseline_note}]" if f.baseline_note else ""
    return f"{f.check}: {label}{f.kind}: {f.summary}{tail}"


def decide(lanes: Sequence[Lane], results: Iterable[Result], verdict_list: Sequence[Verdict],
           found: Sequence[Finding] | None = None) -> Decision:
    """The release gate: no-go on any gating finding, what is new on 3.14t listed first; undecided
    without a tested free-threaded lane."""
    results = list(results)
    found = judge(lanes, results) if found is None else found
    triggers = [f"{f.where}: {f.kind} ({f.check}{', new on this lane' if f.baseline == 'new' else ''}): {summary}"
                for f, summary in condensed(ordered((f for f in found if f.gating), lanes))]
    if triggers:
        return Decision(decision="no-go", triggers=tuple(triggers))
    # Not gating, never hidden: what the baseline shows alike (a package that installs nowhere).
    shared = [f"{f.where}: {f.kind} ({f.check}), shared with {f.baseline_lane}, not gating: {f.summary}"
              for f in ordered(found, lanes) if f.severity and f.baseline == SAME]
    ft = [lane for lane in lanes if lane.gil_disabled]
    pending = []
    if not any(lane.available for lane in ft):
        why = ft[0].reason if ft else "no free-threaded lane was asked for (add --lane 3.14t)"
        pending.append(f"no free-threaded lane: {why}")
    for v in verdict_list:
        if v.verdict == "untested":
            pending.append(f"{v.subject} on {v.lane} untested: {'; '.join(v.reasons)}")
    if not verdict_list:
        pending.append("no subjects were tested")
    if pending:
        return Decision(decision="undecided", triggers=tuple(pending + shared))
    return Decision(decision="go", triggers=tuple(_rests_on(verdict_list) + shared))


#: The checks a go must rest on to speak about threads; a go without them says what it rests on.
ADOPTION_CHECKS = ("install", "import", "stress")


def _rests_on(verdict_list: Sequence[Verdict]) -> list[str]:
    ran = list(dict.fromkeys(c for v in verdict_list for c in v.checks))
    missing = [c for c in ADOPTION_CHECKS if c not in ran]
    if not missing:
        return []
    return [f"go rests on {', '.join(ran) or 'no package check'}; not checked: {', '.join(missing)} "
            f"(add --checks {','.join(ran + missing)})"]
