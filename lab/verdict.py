"""Verdicts per subject and lane, and the go/no-go for a whole run. Pure functions over records."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from lab.records import LANE_SUBJECT, VERDICTS, Decision, Lane, Result, Subject, Verdict

#: Which verdict each signal kind pushes a subject to. Kinds not listed do not change the verdict.
SIGNAL_VERDICT = {
    "crash": "crashes",
    "hang": "crashes",
    "corruption": "unsafe",
    "unexpected-exception": "unsafe",
    "invariant-broken": "unsafe",
    "gil-reenabled": "gil-fallback",
    "install-failed": "not-installable",
    "no-wheel": "not-installable",
    "import-error": "not-installable",
}

#: Signal kinds that make a run no-go (the release gate). built-from-sdist only gates wheels-only runs,
#: where it cannot occur (a missing wheel is `no-wheel` there).
GATING_KINDS = frozenset(SIGNAL_VERDICT) | {"perf-regression"}

def is_known(signal) -> bool:
    """A finding a probe declares as documented behaviour (e.g. numpy: in-place writes to a shared
    array race, as its thread-safety page says). Reports show it; it does not decide anything, since
    adopting 3.14t does not change it: it is the documented contract on every build."""
    return bool(signal.evidence.get("expected_finding"))


def is_gating(signal) -> bool:
    """Whether a signal makes a run no-go."""
    return signal.kind in GATING_KINDS and not is_known(signal)


#: Checks that test a package (as opposed to fingerprinting a lane).
PACKAGE_CHECKS = ("install", "import", "stress", "perf")


def verdicts(subjects: Sequence[Subject], lanes: Sequence[Lane], results: Iterable[Result]) -> list[Verdict]:
    by_cell: dict[tuple[str, str], list[Result]] = {}
    for r in results:
        by_cell.setdefault((r.subject, r.lane), []).append(r)
    out = []
    for s in subjects:
        for lane in lanes:
            out.append(_verdict(s, lane, by_cell.get((s.name, lane.name), [])))
    return out


def _verdict(subject: Subject, lane: Lane, results: list[Result]) -> Verdict:
    def make(verdict: str, reasons: list[str]) -> Verdict:
        return Verdict(subject=subject.name, lane=lane.name, verdict=verdict, reasons=tuple(reasons))

    if not lane.available:
        return make("untested", [f"lane unavailable: {lane.reason}"])
    worst = len(VERDICTS) - 1
    reasons: dict[str, list[str]] = {}
    known = []
    for r in results:
        for sig in r.signals:
            v = SIGNAL_VERDICT.get(sig.kind)
            if is_known(sig):
                known.append(f"{r.check}: known {sig.kind}: {sig.summary}")
                continue
            if v is None:
                continue
            reasons.setdefault(v, []).append(f"{r.check}: {sig.kind}: {sig.summary}")
            worst = min(worst, VERDICTS.index(v))
    if VERDICTS[worst] != "untested":
        return make(VERDICTS[worst], reasons[VERDICTS[worst]])
    tested = [r for r in results if r.check in PACKAGE_CHECKS and r.status in ("ok", "findings")]
    problems = [f"{r.check}: {r.status}: {r.reason}" for r in results if r.status in ("error", "skipped")]
    if problems:
        return make("untested", problems)
    if not tested:
        return make("untested", ["no package checks ran (ask for --checks install,import,stress)"])
    return make("ready", [f"{r.check}: ok" + (f" ({r.reason})" if r.reason else "") for r in tested] + known)


def decide(lanes: Sequence[Lane], results: Iterable[Result], verdict_list: Sequence[Verdict]) -> Decision:
    """The release gate: no-go on any gating signal; undecided without a tested free-threaded lane."""
    results = list(results)
    triggers = []
    for r in results:
        for sig in r.signals:
            if is_gating(sig):
                where = r.lane if r.subject == LANE_SUBJECT.name else f"{r.subject} on {r.lane}"
                triggers.append(f"{where}: {sig.kind} ({r.check}): {sig.summary}")
    if triggers:
        return Decision(decision="no-go", triggers=tuple(triggers))
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
        return Decision(decision="undecided", triggers=tuple(pending))
    return Decision(decision="go")
