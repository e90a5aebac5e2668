"""The JSON report: a documented, versioned document other tools read.

Shape (format "ftlab-report/4")::

    {"format": "ftlab-report/4",
     "run_id": str,
     "decision": "go" | "no-go" | "undecided", "go": bool | null, "triggers": [str],
     "counts": {"subjects": int, "lanes": int,
                "verdicts": {verdict: int},        # every verdict of ftlab.records.VERDICTS, most severe first
                "signals": {kind: int},            # kinds present, most severe first
                "statuses": {status: int},         # result statuses present
                "new": int, "gating": int, "notes": int, "shared": int, "info": int},   # ftlab.report.headline's groups
     "legend": {verdict: str},                   # what each verdict means
     "lanes": [{"name", "path", "version", "implementation", "gil_disabled",
                "kind": "GIL" | "free-threaded" | "unknown", "abiflags", "ext_suffix", "platform_tags",
                "source", "spec", "available", "reason", "sanitizer": "" | "thread"}],
     "subjects": [str],
     "verdicts": [{"subject", "lane", "verdict", "reasons": [str],
                   "checks": [str]}],                # the checks the verdict rests on
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
     "store": str, "artifacts_dir": str}

Lane-level checks (fingerprint) have subject "(lane)". Evidence and data are check-specific objects.
"""

from __future__ import annotations

import json
from typing import Any

from ftlab import report
from ftlab.records import VERDICT_MEANING

#: ftlab-report/1: run_id, decision, go, triggers, lanes, verdicts, results, store, artifacts_dir.
#: ftlab-report/2: adds counts, subjects and findings (a flat, severity-ordered list of signals).
#: ftlab-report/3: findings judged against the baseline lane (baseline, baseline_lane, baseline_note,
#: known; new-on-3.14t first), counts of the headline groups, verdicts' checks, a legend.
#: ftlab-report/4: adds payoff (does free-threading pay off, by the run's SLO).
FORMAT = "ftlab-report/4"


def render(outcome) -> dict[str, Any]:
    doc = outcome.to_json()
    doc.pop("findings")  # the same list, placed with the counts below
    statuses: dict[str, int] = {}
    for r in outcome.results:
        statuses[r.status] = statuses.get(r.status, 0) + 1
    subjects = report.subjects(outcome)
    found = report.findings(outcome)
    groups = {k: len(v) for k, v in report.headline(found).items()}
    return {
        "format": FORMAT,
        "run_id": doc.pop("run_id"),
        "decision": doc.pop("decision"),
        "go": doc.pop("go"),
        "triggers": doc.pop("triggers"),
        "counts": {"subjects": len(subjects), "lanes": len(outcome.lanes), "verdicts": report.verdict_counts(outcome),
                   "signals": report.signal_counts(outcome), "statuses": statuses, **groups},
        "legend": dict(VERDICT_MEANING),
        "lanes": doc.pop("lanes"),
        "subjects": subjects,
        "verdicts": doc.pop("verdicts"),
        "findings": [f.to_json() for f in found],
        "payoff": _payoff(outcome),
        **doc,
    }


def dumps(outcome) -> str:
    return json.dumps(render(outcome), indent=1, default=str) + "\n"


def _payoff(outcome) -> dict[str, Any]:
    from ftlab.judgement.payoff import overall, run_payoff

    docs = run_payoff(outcome.results)
    return {"verdict": overall(docs), "lanes": docs}
