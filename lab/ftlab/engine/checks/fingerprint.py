"""The `fingerprint` check: each lane re-reports itself from inside the sandbox, as jobs will see it."""

from __future__ import annotations

from dataclasses import replace

from ftlab.engine.checks.base import Check, RunContext, result_from_outcome, run_runtime
from ftlab.records import Job, Result


class FingerprintCheck(Check):
    name = "fingerprint"
    per_subject = False
    description = "what each lane interpreter reports about itself (version, GIL, ABI, tags)"

    def timeout_for(self, ctx: RunContext) -> float:
        return 60.0

    def run(self, job: Job, ctx: RunContext) -> Result:
        outcome, workdir = run_runtime(job, ctx, "fingerprint", {})
        result = result_from_outcome(job, outcome, workdir)
        data = {**result.data, "isolation": outcome.isolation}
        if result.status == "ok" and bool(data.get("gil_disabled")) != job.lane.gil_disabled:
            # The lane's venv sits on another base than the lane found: no result from it can be trusted.
            return replace(result, status="error", data=data,
                           reason=f"lane '{job.lane.name}' reports gil_disabled={data.get('gil_disabled')} inside the sandbox")
        return replace(result, data=data)
