"""The `import` check: every module of the subject's distribution imported in fresh children of the
lane (in batches; a crash, a hang or the GIL turning on ends a batch and is attributed to its
module), recording which extension turns the GIL back on (and through which import), crashes, hangs,
import errors and the optional dependencies a submodule needs. The in-lane half is
probes/ftlab_probes/runtime/imports/."""

from __future__ import annotations

from ftlab.engine.checks.base import Check, RunContext, not_testable, result_from_outcome, run_runtime
from ftlab.records import Job, Result

#: Per module: big C extensions (torch, tensorflow) take tens of seconds to import cold.
MODULE_TIMEOUT_S = 60.0
#: Modules per distribution: all of pandas (339 after exclusions) and sqlalchemy (218), with room;
#: huge packages are cut and the cut is counted in the result's `not_checked`.
MODULE_BUDGET = 2000
#: Per job: batches check pandas in ~10 s a lane; this leaves room for crashes and hangs, each of
#: which costs its module timeout twice (in its batch, then alone).
IMPORT_JOB_TIMEOUT_S = 1800.0


class ImportCheck(Check):
    name = "import"
    description = "import every module in fresh processes; name each extension that turns the GIL back on"
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
