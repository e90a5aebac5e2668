"""The `import` check: every module of the subject's distribution imported in a fresh child of the
lane, recording which extension turns the GIL back on (and through which import), crashes, hangs and
import errors. The in-lane half is probes/runtime/imports.py."""

from __future__ import annotations

from lab.checks.base import Check, RunContext, not_testable, result_from_outcome, run_runtime
from lab.records import Job, Result

#: Per module: big C extensions (torch, tensorflow) take tens of seconds to import cold.
MODULE_TIMEOUT_S = 60.0
#: Modules per distribution; huge packages are cut and the cut is recorded.
MODULE_BUDGET = 200
#: Per job: enough for a full budget of typical modules (well under a second each).
IMPORT_JOB_TIMEOUT_S = 1800.0


class ImportCheck(Check):
    name = "import"
    description = "import every module in its own process; name each extension that turns the GIL back on"
    needs_env = True

    def timeout_for(self, ctx: RunContext) -> float:
        return float(ctx.options.get("import_timeout_s") or IMPORT_JOB_TIMEOUT_S)

    def run(self, job: Job, ctx: RunContext) -> Result:
        untestable = not_testable(job, ctx)
        if untestable is not None:
            return untestable
        options = {
            "distributions": [job.subject.name],
            "module_timeout_s": float(ctx.options.get("module_timeout_s") or MODULE_TIMEOUT_S),
            "module_budget": int(ctx.options.get("module_budget") or MODULE_BUDGET),
            "gil": None if ctx.options.get("gil") is None else str(ctx.options["gil"]),
        }
        outcome, workdir = run_runtime(job, ctx, "imports", options)
        return result_from_outcome(job, outcome, workdir)
