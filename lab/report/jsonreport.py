"""The JSON report: a documented, versioned document other tools read.

Shape (format "ftlab-report/2")::

    {"format": "ftlab-report/2",
     "run_id": str,
     "decision": "go" | "no-go" | "undecided", "go": bool | null, "triggers": [str],
     "counts": {"subjects": int, "lanes": int,
                "verdicts": {verdict: int},        # every verdict of lab.records.VERDICTS, most severe first
                "signals": {kind: int},            # kinds present, most severe first
                "statuses": {status: int}},        # result statuses present
     "lanes": [{"name", "path", "version", "implementation", "gil_disabled",
                "kind": "GIL" | "free-threaded" | "unknown", "abiflags", "ext_suffix", "platform_tags",
                "source", "spec", "available", "reason"}],
     "subjects": [str],
     "verdicts": [{"subject", "lane", "verdict", "reasons": [str]}],
     "findings": [{"subject", "lane", "check", "job_id", "kind", "summary",
                   "severity": verdict | "",         # the verdict the kind pushes to ("" = informational)
                   "gating": bool,                   # the kind makes a run no-go
                   "rate": [k, n] | null, "repro": str | null}],   # most severe first
     "results": [{"job_id", "subject", "lane", "check", "status", "reason", "duration_s", "exit_status",
                  "signals": [{"kind", "summary", "evidence"}], "data", "artifacts_dir"}],
     "store": str, "artifacts_dir": str}

Lane-level checks (fingerprint) have subject "(lane)". Evidence and data are check-specific objects.
"""

from __future__ import annotations

import json
from typing import Any

from lab import report

#: ftlab-report/1: run_id, decision, go, triggers, lanes, verdicts, results, store, artifacts_dir.
#: ftlab-report/2: adds counts, subjects and findings (a flat, severity-ordered list of signals).
FORMAT = "ftlab-report/2"


def render(outcome) -> dict[str, Any]:
    doc = outcome.to_json()
    statuses: dict[str, int] = {}
    for r in outcome.results:
        statuses[r.status] = statuses.get(r.status, 0) + 1
    subjects = report.subjects(outcome)
    return {
        "format": FORMAT,
        "run_id": doc.pop("run_id"),
        "decision": doc.pop("decision"),
        "go": doc.pop("go"),
        "triggers": doc.pop("triggers"),
        "counts": {"subjects": len(subjects), "lanes": len(outcome.lanes), "verdicts": report.verdict_counts(outcome),
                   "signals": report.signal_counts(outcome), "statuses": statuses},
        "lanes": doc.pop("lanes"),
        "subjects": subjects,
        "verdicts": doc.pop("verdicts"),
        "findings": [
            {"subject": f.subject, "lane": f.lane, "check": f.check, "job_id": f.job_id, "kind": f.kind,
             "summary": f.summary, "severity": f.severity, "gating": f.gating,
             "rate": list(f.rate) if f.rate else None, "repro": f.repro or None}
            for f in report.findings(outcome)
        ],
        **doc,
    }


def dumps(outcome) -> str:
    return json.dumps(render(outcome), indent=1, default=str) + "\n"
