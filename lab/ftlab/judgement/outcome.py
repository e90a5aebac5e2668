"""A judged run: its results, the findings judged once, the verdicts and the decision.

Every way a run ends (``ftlab run``, ``survey``, ``merge``, ``check --installed``; ftlab.engine.session)
and every stored run read back for a report (``from_record``) becomes a ``RunOutcome`` here, and this is
the one place ``judge`` is called for it. The outcome carries the judged findings (in the reports'
order) and their headline groups, so the terminal summary and every report format (ftlab.report)
only render what was judged, and cannot disagree about it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from ftlab.coverage import StressCoverage
from ftlab.judgement.judge import BASELINE, Finding, condensed, judge, ordered
from ftlab.judgement.verdict import decide, verdicts
from ftlab.records import VERDICTS, Decision, Lane, Result, Subject, Verdict

#: The decision of a run that did not finish (it has no stored verdicts and no go/no-go).
UNFINISHED = Decision(decision="undecided", triggers=("run did not finish",))

#: The headline groups every report leads with, in their order (see ``headline``).
HEADLINE_GROUPS = ("new", "gating", "notes", "shared", "baseline", "info")


@dataclass(frozen=True, kw_only=True)
class RunOutcome:
    """A run as every renderer reads it. ``findings`` are judged once, in the reports' order: what is new
    on 3.14t first, then other gating findings by severity, then shared, information and known ones."""

    run_id: str
    lanes: tuple[Lane, ...]
    results: tuple[Result, ...]
    verdicts: tuple[Verdict, ...]
    decision: Decision
    findings: tuple[Finding, ...] = ()
    subjects: tuple[Subject, ...] = ()
    store_path: Path = field(default_factory=Path)
    artifacts_dir: Path = field(default_factory=Path)

    def with_results(self, results: Sequence[Result]) -> RunOutcome:
        """The same run over other results (a fixture, a patched run): its findings judged again, once;
        its verdicts and decision as they were."""
        return replace(self, results=tuple(results), findings=tuple(ordered(judge(self.lanes, results), self.lanes)))

    @cached_property
    def headline(self) -> dict[str, list[Finding]]:
        """The findings in the groups every report leads with (``headline``)."""
        return headline(self.findings)

    @property
    def gating(self) -> list[Finding]:
        return [f for f in self.findings if f.gating]

    @cached_property
    def reasons(self) -> dict[str, list[tuple[Finding, str]]]:
        """The gating findings as reasons, one line per package and lane for its GIL findings (a package
        with seven extension modules that turn the GIL back on is one reason, as in the decision's
        triggers): ``new`` (new on the free-threaded lane) and ``gating`` (the rest of the gate)."""
        return {"new": condensed(self.headline["new"]), "gating": condensed(self.headline["gating"])}

    @cached_property
    def verdicts_by_lane(self) -> dict[str, dict[str, int]]:
        """{lane: {verdict: packages}}, every verdict of ftlab.records.VERDICTS, lanes in run order."""
        out = {lane.name: dict.fromkeys(VERDICTS, 0) for lane in self.lanes}
        for v in self.verdicts:
            out.setdefault(v.lane, dict.fromkeys(VERDICTS, 0))[v.verdict] += 1
        return out

    @cached_property
    def coverage(self) -> dict[tuple[str, str], StressCoverage]:
        """(subject, lane) -> what its stress check found, screened, dropped and raced (ftlab.coverage), for
        every stress result that recorded it: what the reports show beside the verdict."""
        return {(r.subject, r.lane): StressCoverage.from_json(r.data["coverage"]) for r in self.results
                if r.check == "stress" and isinstance(r.data.get("coverage"), dict)}

    @cached_property
    def untested(self) -> list[Verdict]:
        """Every package left untested on a lane, with its reasons (lane unavailable, install timed out)."""
        return [v for v in self.verdicts if v.verdict == "untested"]

    @property
    def free_threaded_lanes_tested(self) -> int:
        return sum(lane.gil_disabled and lane.available for lane in self.lanes)

    def counts(self) -> dict[str, Any]:
        """The numbers every renderer shows, the same everywhere: findings per headline group, gating
        reasons (per package and lane), packages per verdict on each lane, untested packages."""
        return {"findings": len(self.findings), **{g: len(fs) for g, fs in self.headline.items()},
                "reasons": {"new": len(self.reasons["new"]), "gating": len(self.reasons["gating"]),
                            "total": len(self.reasons["new"]) + len(self.reasons["gating"])},
                "free_threaded_lanes_tested": self.free_threaded_lanes_tested,
                "verdicts_by_lane": self.verdicts_by_lane, "untested": len(self.untested)}


def headline(found: Sequence[Finding]) -> dict[str, list[Finding]]:
    """The groups every report leads with: `new` (gating, not shown by the baseline: what adopting 3.14t
    changes), `gating` (the rest of the gate: crashes and corruption the baseline shares too), `notes`
    (new on the free-threaded lane and worth knowing, not gating: a pure-Python wheel where the
    baseline has a compiled one), `shared` (listed, not gating: a free-threaded finding the baseline
    GIL lane shows too, which the application already lives with), `baseline` (the baseline GIL lane's
    own findings, each counted once: a finding both lanes show is `shared` on the free-threaded one),
    `info` (optional dependencies, known findings, other information)."""
    groups: dict[str, list[Finding]] = {name: [] for name in HEADLINE_GROUPS}
    for f in found:
        if f.new_on_free_threaded:
            groups["new"].append(f)
        elif f.gating:
            groups["gating"].append(f)
        elif f.note_on_free_threaded:
            groups["notes"].append(f)
        elif f.weight == "shared":
            groups["baseline" if f.baseline == BASELINE else "shared"].append(f)
        else:
            groups["info"].append(f)
    return groups


def judged(*, run_id: str, lanes: Sequence[Lane], subjects: Sequence[Subject], results: Sequence[Result],
           store_path: Path = Path(), artifacts_dir: Path = Path()) -> RunOutcome:
    """Judge a run's results once: findings, a verdict per subject and lane, the go/no-go."""
    lanes, results = tuple(lanes), tuple(results)
    found = judge(lanes, results)  # in result order: verdict reasons list a cell's findings as they were found
    verdict_list = verdicts(subjects, lanes, results, found)
    return RunOutcome(run_id=run_id, lanes=lanes, results=results, verdicts=tuple(verdict_list),
                      decision=decide(lanes, results, verdict_list, found), findings=tuple(ordered(found, lanes)),
                      subjects=tuple(subjects), store_path=Path(store_path), artifacts_dir=Path(artifacts_dir))


def from_record(record: Any, store_path: Path | None = None) -> RunOutcome:
    """A stored run (ftlab.store.db.RunRecord) as an outcome: its findings judged once, its stored verdicts
    and decision. A run that did not finish has no stored verdicts: its partial verdicts are computed
    from the same findings, and it stays undecided."""
    lanes, results = tuple(record.lanes), tuple(record.results)
    found = judge(lanes, results)
    stored = tuple(record.verdicts)
    if not stored and record.subjects:
        stored = tuple(verdicts(record.subjects, lanes, results, found))
    return RunOutcome(run_id=record.run_id, lanes=lanes, results=results, verdicts=stored,
                      decision=record.decision or UNFINISHED, findings=tuple(ordered(found, lanes)), subjects=tuple(record.subjects),
                      store_path=Path(store_path) if store_path is not None else Path(),
                      artifacts_dir=Path(record.artifacts_dir))
