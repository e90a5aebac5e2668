"""The `perf` check: what a subject costs per lane, cold and under load, and the two perf questions.

Per subject and lane, one child (probes/ftlab_probes/runtime/perf.py) measures cold imports and bare interpreter
startups (peak RSS and CPU with them), then times every workload: the subject's probes' operations and
the user's own callables (``--workload module:function``), 1, 2, 4... threads for a fixed time after a
warm-up, on one object per thread (independent) and on one shared object, in a few fresh processes so
the spread is known (throughput, ftscalingbench's speed-up, p50/p95/p99 latency per call, CPU per
operation, peak RSS), within a measuring budget per job (``--perf-time``) that shrinks windows and
repeats before it leaves workloads out (the result names them). The probes are the stress check's:
declared in the project's pyproject.toml, else hand-written (probes/), else the installed
distribution's ``ftlab.probes`` entry points.

`finalize` answers the two questions, never mixed:

- did an upgrade regress? Each lane is gated against the first lane of its own kind (GIL against GIL,
  free-threaded against free-threaded; ``--baseline`` picks another of the kind): p95 latency +3%, CPU
  per operation +5%, RSS +5%, startup +10% (import time +10%), configurable in ``[tool.ftlab.perf]``
  and with ``--perf-budget``. A breach outside the measured spread is a `perf-regression` finding; one
  within it is recorded as inconclusive (lab/ftlab/judgement/gates.py). ``ftlab diff`` gates a lane between runs.
- does free-threading pay off? Each free-threaded lane against the GIL lane of its minor version,
  judged by the SLO (``--payoff``, ``[tool.ftlab.perf]``): ``data["payoff"]`` (lab/ftlab/judgement/payoff.py).
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from ftlab.engine.checks.base import Check, RunContext, not_testable, result_from_outcome, run_runtime
from ftlab.judgement import payoff
from ftlab.judgement.gates import baseline_lane, budgets_from_options, gate_baselines, gate_pair, kind_word
from ftlab.lanes.subjects import declared_probes
from ftlab.records import Job, Result

#: Cold-process samples per measurement: a median with an interval that excludes the extremes.
SAMPLES = 15
#: Seconds per thread count, shape and repeat of a workload (--perf-seconds), and the repeats
#: (--perf-repeats). 0.2 s x 5 repeats at 1 and 2 threads, two shapes: about 10 s of measurement per
#: workload and lane on 2 cores; five repeats a side keep chance separations (and so flagged unchanged
#: builds) rare (probes/ftlab_probes/runtime/perf.py). Unless set, both shrink to fit PERF_TIME_S.
SECONDS = 0.2
REPEATS = 5
#: Warm-up before each window (not counted): caches, specialisation, lazy imports.
WARMUP_S = 0.1
#: Measuring time for every workload of a subject on a lane (--perf-time): the standard library's 19
#: probes fit at 3 repeats of 0.05 s windows, a package's one or two at the full settings.
PERF_TIME_S = 90.0
#: Both shapes by default: the payoff question needs the independent one, the worst case is the shared one.
SHAPES = ("shared", "independent")
#: Cold part: SAMPLES imports plus as many bare startups, each bounded by the runtime's child timeout.
COLD_TIMEOUT_S = 600.0
#: A workload process's fixed costs (interpreter and hypothesis start) beyond its windows.
WORKLOAD_OVERHEAD_S = 30.0


def _settings(ctx: RunContext) -> dict[str, Any]:
    o = ctx.options
    return {"seconds": float(o.get("perf_seconds") or SECONDS), "repeats": int(o.get("perf_repeats") or REPEATS),
            "warmup_s": WARMUP_S, "budget_s": float(o.get("perf_time") or PERF_TIME_S), "shapes": list(SHAPES),
            "fixed": [k for k in ("seconds", "repeats") if o.get(f"perf_{k}")],
            "callables": [],
            "paths": [o["perf_workload_path"]] if o.get("perf_workload_path") else []}


def measure_lock(ctx: RunContext) -> Path:
    return ctx.artifacts_dir / "perf" / "measure.lock"


class PerfCheck(Check):
    name = "perf"
    description = ("throughput and thread scaling of every probe and --workload (one object per thread, one shared), "
                   "latency p50/p95/p99, CPU per operation, RSS, startup and import time: the payoff of 3.14t "
                   "against 3.14 by an SLO, and upgrade gates between lanes of one kind")
    needs_env = True
    #: Timings next to a compiler running would measure the compiler.
    exclusive_of_builds = True
    subject_kinds = frozenset({"requirement", "project", "fixture", "stdlib"})

    def timeout_for(self, ctx: RunContext) -> float:
        # The budget is an estimate (process starts vary with load): twice it, plus the cold part and
        # one stuck repeat's allowance.
        s = _settings(ctx)
        return COLD_TIMEOUT_S + 2 * s["budget_s"] + WORKLOAD_OVERHEAD_S

    def prepare(self, ctx: RunContext, progress: Any = None) -> None:
        # A wrong --baseline is bad input: say so before measuring anything.
        baseline_lane(ctx.lanes, ctx.options.get("perf_baseline"))
        # Jobs run side by side but measure in turns on this file (probes/ftlab_probes/runtime/perf.py: exclusive):
        # two measurements at once would slow each other, and turns spread load drift over every lane.
        lock = measure_lock(ctx)
        lock.parent.mkdir(parents=True, exist_ok=True)
        lock.touch()
        # As many jobs at once as there are lanes: jobs are planned subject by subject, so a subject's
        # lanes measure in turns with each other, and no job waits for a whole queue of others (its
        # timeout runs while it waits).
        lanes = sum(1 for lane in ctx.lanes if lane.available)
        ctx.prepared["perf_slots"] = threading.BoundedSemaphore(max(1, lanes))
        if "probe_catalog" not in ctx.prepared:
            from ftlab.engine.checks.probes_list import load_catalog

            where = ctx.artifacts_dir / "perf" / "catalog"
            where.mkdir(parents=True, exist_ok=True)
            ctx.prepared["probe_catalog"] = load_catalog(workdir=where)

    def workload_probes(self, job: Job, ctx: RunContext) -> list[str]:
        """The stress check's choice of probes: declared, else hand-written; empty lets the lane look for
        the distribution's ``ftlab.probes`` entry points."""
        from ftlab.engine.checks.probes_list import probes_for

        declared = declared_probes(job.subject)
        if declared:
            return declared
        return [e["probe"] for e in probes_for(job.subject.name, ctx.prepared.get("probe_catalog") or [])]

    def run(self, job: Job, ctx: RunContext) -> Result:
        untestable = not_testable(job, ctx)
        if untestable is not None:
            return untestable
        env = ctx.prepared["envs"][job.lane.name]
        options: dict[str, Any] = {"samples": int(ctx.options.get("perf_samples") or SAMPLES), **_settings(ctx),
                                   "probes": self.workload_probes(job, ctx), "measure_lock": str(measure_lock(ctx))}
        if ctx.subjects and job.subject.name == ctx.subjects[0].name:
            # The user's callables run in the lane's one environment whatever the subject: timed once
            # a lane, with the run's first subject.
            options["callables"] = list(ctx.options.get("perf_workloads") or [])
        if not env.runtime_ok:
            # Workloads draw their calls with hypothesis; without it only the cold part runs.
            options["max_workloads"] = 0
        with ctx.prepared.get("perf_slots") or contextlib.nullcontext():
            outcome, workdir = run_runtime(job, ctx, "perf", options)
        result = result_from_outcome(job, outcome, workdir)
        if not env.runtime_ok and result.status == "ok":
            note = f"no workload measured: {env.runtime_reason or 'hypothesis missing in the lane'}"
            result = replace(result, data={**result.data, "workload_note": note})
        return result

    def finalize(self, ctx: RunContext, results: list[Result]) -> list[Result]:
        """Subject by subject: upgrade gates between lanes of one kind, payoff of each free-threaded lane."""
        budgets = budgets_from_options(ctx.options)
        baselines = gate_baselines(ctx.lanes, ctx.options.get("perf_baseline"))
        lanes = {ln.name: ln for ln in ctx.lanes}
        slo = payoff.slo_from_options(ctx.options)
        ft_to_gil = {ft: gil for gil, ft in payoff.pairs(ctx.lanes)}
        by_cell = {(r.subject, r.lane): r for r in results}
        measured = ("ok", "findings")
        out = []
        for r in results:
            if r.status not in measured:
                out.append(r)
                continue
            baseline = baselines.get(r.lane)
            base = by_cell.get((r.subject, baseline)) if baseline else None
            # The lane of its kind it is read against (itself when it is that lane).
            data = {**r.data, "baseline_lane": baseline or r.lane, "budgets": budgets}
            data.pop("gates", None)
            signals = [s for s in r.signals if s.kind != "perf-regression"]
            if base is not None and base.status in measured:
                gates = gate_pair(base, r, budgets, baseline)
                data["gates"] = [g.to_json() for g in gates]
                signals += [g.signal() for g in gates if g.outcome == "regression"]
            elif baseline:
                data["gates_note"] = f"not gated: the baseline lane {baseline} has no perf result for {r.subject}"
            elif not any(b == r.lane for b in baselines.values()):
                kind = kind_word(lanes.get(r.lane))
                data["gates_note"] = (f"no upgrade gate: no other {kind} lane in this run (upgrade budgets compare "
                                      "builds of one kind; 'ftlab diff' compares this lane between runs)")
            gil = by_cell.get((r.subject, ft_to_gil.get(r.lane, "")))
            if gil is not None and gil.status in measured:
                data["payoff"] = payoff.compute(gil, r, slo)
            status = "findings" if signals else "ok"
            out.append(replace(r, signals=tuple(signals), status=status, data=data))
        return out
