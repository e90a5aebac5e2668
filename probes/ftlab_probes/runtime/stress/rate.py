"""How often a scenario fails: k failures of a kind in n invocations, never a single yes/no.

``in_workers`` is what the coordinator uses (a crash or a hang ends a worker: it is counted and a
new worker carries on with the remaining invocations); ``in_process`` is what a repro script uses
for in-process kinds (corruption, unexpected exception, broken invariant).
"""

import random
import time
from dataclasses import dataclass

from ftlab_probes.runtime.stress import launch
from ftlab_probes.runtime.stress.execute import Invoker, set_switch_interval
from ftlab_probes.runtime.stress.oracle import NONDETERMINISTIC, Judge
from ftlab_probes.runtime.stress.scenario import table

DEATHS = (launch.CRASH, launch.HANG)


@dataclass(frozen=True)
class Rate:
    failures: int
    runs: int
    first: object  # the first failure's {"kind", "summary", "table", ...} (in-process kinds), else None
    trace: str  # faulthandler's text of the first crash or hang, else ""
    #: Failures the oracle traced to a replay differing from itself (clock, randomness, environment).
    nondeterministic: int = 0


def in_workers(batch_settings, scenario, kind, runs, time_s, workdir, first_only=False):
    """Run ``scenario`` ``runs`` times (or for ``time_s``) in workers; failures of ``kind`` only
    (a kind, or a tuple of kinds counted together). ``first_only`` stops at the first failure.

    ``batch_settings`` is a launch.Batch whose scenario list, caps and watch are replaced here.
    """
    kinds = (kind,) if isinstance(kind, str) else tuple(kind)
    deadline = time.monotonic() + time_s
    failures = done = nondeterministic = 0
    first, trace = None, ""
    seed = batch_settings.seed
    while done < runs:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        batch = _with(batch_settings, scenario, runs - done, left, kinds, seed, first_only)
        seed += 1
        result = launch.run_batch(batch, workdir)
        if result.status == launch.DONE:
            summary = result.summaries[0]
            done += summary["runs"]
            failures += sum(summary["counts"].get(k, 0) for k in kinds)
            nondeterministic += summary["counts"].get(NONDETERMINISTIC, 0)
            first = first or summary["first"]
            break
        done += result.runs_in_flight + 1
        if result.status in kinds:
            failures += 1
            trace = trace or result.trace
            if first_only:
                break
    return Rate(failures, done, first, trace, nondeterministic)


def _with(settings, scenario, runs, time_s, kinds, seed, stop=False):
    return launch.Batch(
        probe=settings.probe,
        scenarios=(scenario,),
        invocations=runs,
        scenario_s=time_s,
        batch_s=time_s,
        watch=kinds,
        stop_at_failure=stop,
        hang_s=settings.hang_s,
        seed=seed,
        check_budget=settings.check_budget,
        schedules=settings.schedules,
        clock_step_s=settings.clock_step_s,
    )


def in_process(target, scenario, kind, runs, check_budget, seed=0, schedule="random", first_only=False):
    """Run ``scenario`` ``runs`` times in this process under ``schedule``; failures of ``kind`` (an
    in-process kind). ``first_only`` stops at the first failure."""
    set_switch_interval()
    rng = random.Random(seed)
    judge = Judge(target, scenario, check_budget)
    invoker = Invoker(target, scenario)
    failures, nondeterministic, first, done = 0, 0, None, 0
    try:
        while done < runs and not (first_only and failures):
            done += 1
            invocation = invoker.invoke(rng, schedule)
            judgement = judge.judge(invocation)
            if judgement is not None and judgement.kind == kind:
                failures += 1
                nondeterministic += judgement.nondeterministic
                if first is None:
                    first = {
                        "kind": kind,
                        "summary": judgement.summary,
                        "table": table(scenario, invocation.outcomes, judgement.failing),
                    }
    finally:
        invoker.close()
    return Rate(failures, done, first, "", nondeterministic)
