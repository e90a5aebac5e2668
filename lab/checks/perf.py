"""The `perf` check: import latency (p95), CPU, peak RSS and interpreter startup per subject and lane,
gated against the run's baseline lane with the budgets teams use for Python upgrades.

The first available lane is the baseline (3.14 in the default 3.14 / 3.14t pair). A metric on another
lane that exceeds the baseline by more than its budget (a ratio) and by more than its noise floor
(an absolute amount) is a `perf-regression` finding, and a no-go.
"""

from __future__ import annotations

from dataclasses import replace

from lab.checks.base import Check, RunContext, not_testable, result_from_outcome, run_runtime
from lab.errors import UsageError
from lab.records import Job, Result, Signal
from lab.report.wording import compare_metric

#: metric -> (data key, statistic, default budget ratio, noise floor in the metric's unit).
#: Budgets: the free-threaded build is expected to cost some single-thread speed and memory (FACTS.md,
#: ftscalingbench); 1.25x is the common "no more than a quarter worse" upgrade budget. Floors keep a
#: 2 ms import or a 1 MB difference from failing a gate on noise alone.
METRICS = {
    "import": ("import_ms", "p95", 1.25, 5.0),
    "startup": ("bare_startup_ms", "p95", 1.25, 5.0),
    "cpu": ("cpu_ms", "p50", 1.25, 5.0),
    "rss": ("rss_mb", "p50", 1.25, 2.0),
}
UNITS = {"import": "ms", "startup": "ms", "cpu": "ms", "rss": "MB"}

#: Per job: SAMPLES cold imports plus as many bare startups.
PERF_JOB_TIMEOUT_S = 900.0


def parse_budgets(text: str | None) -> dict[str, float]:
    """`import=1.5,rss=2` -> budgets, the rest at their defaults."""
    budgets = {name: spec[2] for name, spec in METRICS.items()}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        name, _, value = part.partition("=")
        name = name.strip()
        if name not in METRICS:
            raise UsageError(f"unknown perf budget '{name}' (known: {', '.join(METRICS)}); e.g. --perf-budget import=1.5")
        try:
            budgets[name] = float(value)
        except ValueError:
            raise UsageError(f"perf budget '{part.strip()}' needs a ratio, e.g. {name}=1.25") from None
        if budgets[name] <= 0:
            raise UsageError(f"perf budget '{part.strip()}' must be a positive ratio, e.g. {name}=1.25")
    return budgets


class PerfCheck(Check):
    name = "perf"
    description = "import latency p95, CPU, peak RSS and startup per lane, gated against the baseline lane"
    needs_env = True

    def timeout_for(self, ctx: RunContext) -> float:
        return PERF_JOB_TIMEOUT_S

    def run(self, job: Job, ctx: RunContext) -> Result:
        untestable = not_testable(job, ctx)
        if untestable is not None:
            return untestable
        options = {"samples": int(ctx.options.get("perf_samples") or 15)}
        outcome, workdir = run_runtime(job, ctx, "perf", options)
        return result_from_outcome(job, outcome, workdir)

    def finalize(self, ctx: RunContext, results: list[Result]) -> list[Result]:
        """Compare every lane with the baseline lane, subject by subject."""
        budgets = parse_budgets(ctx.options.get("perf_budget"))
        lanes = [lane.name for lane in ctx.lanes if lane.available]
        if len(lanes) < 2:
            return results
        baseline = lanes[0]
        by_cell = {(r.subject, r.lane): r for r in results}
        out = []
        for r in results:
            base = by_cell.get((r.subject, baseline))
            if r.lane == baseline or base is None or r.status != "ok" or base.status != "ok":
                out.append(r)
                continue
            signals = [s for s in r.signals if s.kind != "perf-regression"]
            for metric, (key, stat, _default, floor) in METRICS.items():
                signal = gate(metric, key, stat, budgets[metric], floor, base, r, baseline)
                if signal:
                    signals.append(signal)
            out.append(replace(r, signals=tuple(signals), status="findings" if signals else r.status))
        return out


def gate(metric: str, key: str, stat: str, budget: float, floor: float, base: Result, r: Result,
         baseline: str) -> Signal | None:
    try:
        before = float(base.data[key][stat])
        after = float(r.data[key][stat])
    except (KeyError, TypeError, ValueError):
        return None
    if after - before <= floor or before <= 0 or after / before <= budget:
        return None
    unit = UNITS[metric]
    _, phrase = compare_metric(key, before, after)
    return Signal(
        kind="perf-regression",
        summary=f"{metric} {stat} {after:.1f} {unit} vs {before:.1f} {unit} on {baseline} ({phrase}; budget {budget:g}x)",
        evidence={"metric": metric, "statistic": stat, "value": after, "baseline": before, "baseline_lane": baseline,
                  "ratio": round(after / before, 3), "budget": budget, "unit": unit},
    )
