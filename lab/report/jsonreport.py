"""The JSON report: a documented, versioned document other tools read.

Shape (format "ftlab-report/1")::

    {"format": "ftlab-report/1", "run_id": str, "decision": "go"|"no-go"|"undecided", "go": bool|null,
     "triggers": [str], "lanes": [lane], "verdicts": [{"subject","lane","verdict","reasons"}],
     "results": [{"job_id","subject","lane","check","status","reason","duration_s","exit_status",
                  "signals": [{"kind","summary","evidence"}], "data", "artifacts_dir"}]}
"""

from __future__ import annotations

#: ftlab-report/1: first version.
FORMAT = "ftlab-report/1"


def render(outcome) -> dict:
    doc = outcome.to_json()
    return {"format": FORMAT, **doc}
