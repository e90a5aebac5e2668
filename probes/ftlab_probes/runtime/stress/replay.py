"""The ``stress-replay`` command: replay one finding's minimal scenario on this lane, and count.

The lab runs it on the baseline GIL lane before it calls a free-threaded lane's race new (issue 22,
item 5): each lane's search has its own budget, so a race both builds have may be hit by one search
only. The replay takes the finding's scenario as the other lane's runtime wrote it
(``Scenario.to_portable``), its probe, kind and schedule, and runs it ``runs`` times within ``time_s``
in workers (a crash or a hang is counted, and a fresh worker carries on), exactly as the finding's
own confirmation did.

Job options::

    probe          "module.path:ClassName", importable on this lane
    scenario       the portable scenario ({"literal": ...} or {"pickle": ...})
    kind           the finding's kind
    runs           replays, at most (1000)
    time_s         seconds, at most (10)
    schedule       the strategy that found it (random)
    hang_s         an invocation stuck this long is a hang (2.0)
    check_budget   model steps for one linearizability check (50000)

The result's data: ``failures`` of ``kind`` in ``runs`` replays, ``nondeterministic`` (those the
oracle traced to a replay differing from itself), ``detail`` (the first failure's summary) and
``elapsed_s``. A failure here is a fact about this lane: ``status`` is ``ok`` either way.
"""

import tempfile
import time

from ftlab_probes.runtime.stress import launch, rate
from ftlab_probes.runtime.stress.scenario import Scenario
from ftlab_probes.runtime.stress.target import load_probe_class

#: Replays unless the job says otherwise: the same order as a finding's own confirmation.
DEFAULT_RUNS = 1000
#: Seconds unless the job says otherwise: crashes and hangs cost a worker start or a hang timeout each.
DEFAULT_TIME_S = 10.0


def run(job):
    options = job.get("options") or {}
    for key in ("probe", "scenario", "kind"):
        if key not in options:
            raise ValueError("the stress-replay job needs options.%s (probe, scenario, kind)" % key)
    started = time.monotonic()
    load_probe_class(options["probe"])  # a probe this lane cannot import fails here, with its reason
    scenario = Scenario.from_portable(options["scenario"])
    kind = options["kind"]
    settings = launch.Batch(
        probe=options["probe"],
        scenarios=(),
        invocations=0,
        scenario_s=0.0,
        batch_s=0.0,
        watch=(kind,),
        stop_at_failure=False,
        hang_s=float(options.get("hang_s") or 2.0),
        seed=int(options.get("seed") or 0),
        check_budget=int(options.get("check_budget") or 50_000),
        schedules=((options.get("schedule") or "random", 1.0),),
    )
    with tempfile.TemporaryDirectory(prefix="ftlab-replay-") as workdir:
        measured = rate.in_workers(settings, scenario, kind, int(options.get("runs") or DEFAULT_RUNS),
                                   float(options.get("time_s") or DEFAULT_TIME_S), workdir)
    data = {
        "kind": kind,
        "failures": measured.failures,
        "runs": measured.runs,
        "nondeterministic": measured.nondeterministic,
        "detail": (measured.first or {}).get("summary") or (measured.trace.splitlines() or [""])[0],
        "scenario_text": scenario.describe(),
        "elapsed_s": time.monotonic() - started,
    }
    return {"status": "ok", "data": data, "signals": []}
