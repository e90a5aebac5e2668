"""The JSON report: a documented, versioned document other tools read.

Shape (format "ftlab-report/5")::

    {"format": "ftlab-report/5",
     "run_id": str,
     "decision": "go" | "no-go" | "undecided", "go": bool | null, "triggers": [str],
     "counts": {"subjects": int, "lanes": int,
                "verdicts": {verdict: int},        # every verdict of ftlab.records.VERDICTS, most severe first
                "signals": {kind: int},            # kinds present, most severe first
                "statuses": {status: int},         # result statuses present
                "findings": int,                   # every judged finding
                "new": int, "gating": int, "notes": int, "shared": int, "baseline": int, "info": int,
                                                   # findings per headline group (ftlab.judgement.outcome.headline)
                "reasons": {"new": int, "gating": int, "total": int},   # gating reasons, per package and lane
                "free_threaded_lanes_tested": int,
                "verdicts_by_lane": {lane: {verdict: int}},
                "untested": int},
     "legend": {verdict: str},                   # what each verdict means
     "lanes": [{"name", "path", "version", "implementation", "gil_disabled",
                "kind": "GIL" | "free-threaded" | "unknown", "abiflags", "ext_suffix", "platform_tags",
                "source", "spec", "available", "reason", "sanitizer": "" | "thread"}],
     "subjects": [str],
     "verdicts": [{"subject", "lane", "verdict", "reasons": [str],
                   "checks": [str]}],                # the checks the verdict rests on
     "untested": [{"subject", "lane", "reasons": [str]}],   # every package left untested, and why
     "thin_stress": [{"subject", "lane", "found", "raced"}],  # stress raced under a quarter of the public
                                                 # callables screening found (ftlab.coverage.StressCoverage.thin)
     "findings": [{"subject", "lane", "check", "job_id", "kind", "summary",
                   "severity": verdict | "",         # the verdict it pushes its subject to ("" = not counted)
                   "gating": bool,                   # it makes the run no-go
                   "known": bool,                    # a probe's documented behaviour
                   "baseline": "new" | "same" | "none" | "baseline" | null,   # ftlab.judgement.judge
                   "baseline_lane": str | null, "baseline_note": str | null,
                   "rate": [k, n] | null, "repro": str | null}],   # new on 3.14t first, then by severity
     "results": [{"job_id", "subject", "lane", "check", "status", "reason", "duration_s", "exit_status",
                  "signals": [{"kind", "summary", "evidence"}], "data", "artifacts_dir"}],
     "payoff": {"verdict": "pays off" | "does not pay off" | "inconclusive" | "not measured",
                "lanes": [{"subject", **payoff}]},   # each free-threaded lane's lab/ftlab/judgement/payoff.py document
     "store": str, "artifacts_dir": str,
     "reports": {format: str}}                   # the run's report files (run, survey, merge, check write
                                                 # them; `ftlab report` lists those in the report folder)

Lane-level checks (fingerprint) have subject "(lane)". Evidence and data are check-specific objects.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ftlab import report
from ftlab.judgement.outcome import RunOutcome
from ftlab.judgement.payoff import overall, run_payoff
from ftlab.records import VERDICT_MEANING

#: ftlab-report/1: run_id, decision, go, triggers, lanes, verdicts, results, store, artifacts_dir.
#: ftlab-report/2: adds counts, subjects and findings (a flat, severity-ordered list of signals).
#: ftlab-report/3: findings judged against the baseline lane (baseline, baseline_lane, baseline_note,
#: known; new-on-3.14t first), counts of the headline groups, verdicts' checks, a legend.
#: ftlab-report/4: adds payoff (does free-threading pay off, by the run's SLO).
#: ftlab-report/5: `run --json` prints this document too (it printed an unversioned one); adds the
#: report files (reports), the untested packages with their reasons, and counts that every report
#: shares: gating reasons per package and lane, verdicts per lane, the baseline group (the GIL lane's
#: own findings, no longer counted as shared).
FORMAT = "ftlab-report/5"


def render(outcome: RunOutcome, reports: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The document of a run; ``reports``: the run's report files, format -> path."""
    statuses: dict[str, int] = {}
    for r in outcome.results:
        statuses[r.status] = statuses.get(r.status, 0) + 1
    subjects = report.subjects(outcome)
    return {
        "format": FORMAT,
        "run_id": outcome.run_id,
        "decision": outcome.decision.decision,
        "go": outcome.decision.go,
        "triggers": list(outcome.decision.triggers),
        "counts": {"subjects": len(subjects), "lanes": len(outcome.lanes), "verdicts": report.verdict_counts(outcome),
                   "signals": report.signal_counts(outcome), "statuses": statuses, **outcome.counts()},
        "legend": dict(VERDICT_MEANING),
        "lanes": [lane.to_report_json() for lane in outcome.lanes],
        "subjects": subjects,
        "verdicts": [v.to_json() for v in outcome.verdicts],
        "untested": [{"subject": v.subject, "lane": v.lane, "reasons": list(v.reasons)} for v in outcome.untested],
        "thin_stress": [{"subject": subject, "lane": lane, "found": cov.found, "raced": cov.raced}
                        for subject, lane, cov in report.thin_reach(outcome)],
        "findings": [f.to_json() for f in outcome.findings],
        "payoff": _payoff(outcome),
        "results": [r.to_json() for r in outcome.results],
        "store": str(outcome.store_path),
        "artifacts_dir": str(outcome.artifacts_dir),
        "reports": {k: str(v) for k, v in (reports or {}).items()},
    }


def dumps(outcome: RunOutcome, reports: Mapping[str, Any] | None = None) -> str:
    return json.dumps(render(outcome, reports), indent=1, default=str) + "\n"


def _payoff(outcome: RunOutcome) -> dict[str, Any]:
    docs = run_payoff(outcome.results)
    return {"verdict": overall(docs), "lanes": docs}
