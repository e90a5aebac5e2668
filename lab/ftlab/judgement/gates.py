"""Upgrade gates on perf results: a candidate against a baseline, metric by metric, with noise.

They answer the first perf question, "did an upgrade regress?" (3.13 -> 3.14, 3.14.x -> 3.14.y), so
they only compare builds of the same kind: a GIL lane against a GIL lane, a free-threaded lane against
a free-threaded one, or a lane against itself in an older run (``ftlab diff``). 3.14t against 3.14 is
the other question, "does free-threading pay off?" (lab/ftlab/judgement/payoff.py).

The usual rollout rule for a Python upgrade: p95 latency at most +3%, CPU per operation at most +5%, RSS at most +5%,
startup at most +10% (ratios, candidate / baseline). Every gated metric is a list of measurements on
each side (per-repeat figures of a workload, or cold-process samples); a gate compares the medians and
then asks whether the breach is outside the measured noise:

- ``pass``: the candidate's median is within budget of the baseline's (or the difference is below the
  metric's floor: a 1 ms startup difference is not a finding whatever its ratio);
- ``regression``: over budget, and the lower end of the candidate's interval still exceeds the upper
  end of the baseline's times the budget (the ranges do not overlap beyond the budget);
- ``inconclusive``: over budget on the medians but within the measured spread; reported, not gating.

The interval of each side is a distribution-free confidence interval of its median (order statistics,
about 95%): the minimum and maximum for the few repeats of a workload, roughly the 25th and 75th
percentiles for 15 cold samples.

Pure functions over Result data; the perf check (between lanes of a run) and ``ftlab diff`` (between
two runs of a lane) both gate through ``gate_pair``.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ftlab import wording
from ftlab.errors import UsageError
from ftlab.judgement.pairing import upgrade_baselines
from ftlab.judgement.payoff import is_payoff_key, perf_table
from ftlab.records import Lane, Result, Signal


@dataclass(frozen=True, kw_only=True)
class Metric:
    name: str
    label: str
    unit: str
    #: The default budget (candidate / baseline).
    budget: float
    #: Differences below this (in the metric's unit) never breach a gate.
    floor: float = 0.0


#: Gated metrics, in report order. Workload metrics are taken at one thread, where GIL and
#: free-threaded builds run the same calls (more threads measure scaling, reported separately).
METRICS: dict[str, Metric] = {m.name: m for m in (
    Metric(name="p95", label="p95 latency per call (1 thread)", unit="us", budget=1.03),
    Metric(name="cpu", label="CPU per operation (1 thread)", unit="us", budget=1.05),
    # A cold process's peak RSS after importing the subject: the subject's memory, not the harness's.
    Metric(name="rss", label="peak RSS after import", unit="MB", budget=1.05, floor=1.0),
    Metric(name="startup", label="interpreter startup", unit="ms", budget=1.10, floor=2.0),
    Metric(name="import", label="import time of the subject", unit="ms", budget=1.10, floor=2.0),
)}

#: Names older ftlab versions (and habits) use, mapped to the metric they mean now.
ALIASES = {"latency": "p95", "p95_latency": "p95", "cpu_per_op": "cpu", "memory": "rss"}

#: z for a two-sided ~95% interval of the median by order statistics.
_Z = 1.96


def default_budgets() -> dict[str, float]:
    return {name: m.budget for name, m in METRICS.items()}


def _metric_name(name: str, where: str) -> str:
    name = ALIASES.get(name, name)
    if name not in METRICS:
        close = difflib.get_close_matches(name, [*METRICS, *ALIASES], n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise UsageError(f"unknown perf budget '{name}' in {where}{hint} (known: {', '.join(METRICS)}); "
                         "e.g. p95=1.03,cpu=1.05,rss=1.05,startup=1.10")
    return name


def _ratio(name: str, value: object, where: str) -> float:
    try:
        ratio = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise UsageError(f"perf budget '{name}' in {where} needs a ratio, e.g. {name}=1.05") from None
    if not math.isfinite(ratio) or ratio <= 0:
        raise UsageError(f"perf budget '{name}' in {where} must be a positive ratio, e.g. {name}=1.05")
    return ratio


def parse_budgets(text: str | None, base: Mapping[str, float] | None = None) -> dict[str, float]:
    """``p95=1.05,rss=1.10`` over ``base`` (default: the rollout budgets)."""
    budgets = dict(base or default_budgets())
    for part in (text or "").split(","):
        if not part.strip():
            continue
        name, _, value = part.partition("=")
        name = _metric_name(name.strip(), "--perf-budget")
        budgets[name] = _ratio(name, value.strip(), "--perf-budget")
    return budgets


def pyproject_budgets(directory: Path) -> dict[str, float]:
    """``[tool.ftlab.perf]`` of ``directory/pyproject.toml`` (``p95 = 1.03`` ...), or nothing."""
    table, where = perf_table(directory)
    if not isinstance(table, dict):
        raise UsageError(f"{where} must be a table of budgets, e.g. p95 = 1.03")
    return {_metric_name(k, where): _ratio(k, v, where) for k, v in table.items() if not is_payoff_key(k)}


def resolve_budgets(text: str | None, directory: Path) -> dict[str, float]:
    """Budgets for a run: the defaults, then pyproject.toml's [tool.ftlab.perf], then the flag."""
    return parse_budgets(text, {**default_budgets(), **pyproject_budgets(directory)})


def budgets_from_options(options: Mapping[str, Any]) -> dict[str, float]:
    """What a run recorded (``perf_budgets``), else its ``--perf-budget`` text over the defaults."""
    recorded = options.get("perf_budgets")
    if isinstance(recorded, dict) and recorded:
        return {**default_budgets(), **{k: float(v) for k, v in recorded.items() if k in METRICS}}
    return parse_budgets(options.get("perf_budget"))


def baseline_lane(lanes: Sequence[Lane], requested: str | None) -> str | None:
    """The lane others are gated against: ``requested``, else the first available GIL lane, else the first
    available lane. None when no lane is available."""
    available = [ln for ln in lanes if ln.available]
    if requested:
        names = [ln.name for ln in lanes]
        if requested not in names:
            close = difflib.get_close_matches(requested, names, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise UsageError(f"--baseline lane '{requested}' is not a lane of this run{hint} "
                             f"(lanes: {', '.join(names) or 'none'})")
        return requested
    gil = [ln for ln in available if not ln.gil_disabled]
    return (gil or available)[0].name if available else None


def gate_baselines(lanes: Sequence[Lane], requested: str | None) -> dict[str, str | None]:
    """{lane: the lane it is gated against} (ftlab.judgement.pairing's upgrade rule); a wrong
    ``requested`` name is bad input."""
    baseline_lane(lanes, requested)
    return upgrade_baselines(lanes, requested)


def kind_word(lane: Lane | None) -> str:
    """A gated lane's kind (a lane the run does not know is named as a GIL build's baseline is)."""
    return lane.kind if lane is not None and lane.kind != "unknown" else "GIL"


# -- the statistics ----------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def median_interval(values: Sequence[float]) -> tuple[float, float]:
    """A distribution-free ~95% confidence interval of the median: order statistics k and n-1-k with
    k = floor((n - 1.96 sqrt(n)) / 2); the whole range for fewer than 6 values."""
    ordered = sorted(values)
    n = len(ordered)
    k = max(0, math.floor((n - _Z * math.sqrt(n)) / 2))
    return ordered[k], ordered[n - 1 - k]


@dataclass(frozen=True, kw_only=True)
class Measure:
    center: float
    low: float
    high: float
    n: int


def measure(values: Sequence[float]) -> Measure | None:
    clean = [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)]
    if not clean:
        return None
    low, high = median_interval(clean)
    return Measure(center=median(clean), low=low, high=high, n=len(clean))


def judge(before: Measure, after: Measure, budget: float, floor: float = 0.0) -> str:
    """pass | regression | inconclusive (see the module doc)."""
    if before.center <= 0 or after.center <= before.center * budget or after.center - before.center <= floor:
        return "pass"
    if after.low > before.high * budget and after.low - before.high > floor:
        return "regression"
    return "inconclusive"


# -- reading perf results ------------------------------------------------------------------------------


def _sample_values(stats: object) -> list[float]:
    """Values of a cold-sample statistic; older results kept only a summary (min, p50, max)."""
    if not isinstance(stats, dict):
        return []
    if isinstance(stats.get("values"), list):
        return stats["values"]
    return [stats[k] for k in ("min", "p50", "max") if k in stats]


def _one_thread(workload: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The one-thread point: the same window in either shape (a workload may have only one)."""
    points = [*(workload.get("points") or []), *(workload.get("independent_points") or [])]
    return next((p for p in points if p.get("threads") == 1), None)


def metric_values(data: Mapping[str, Any], metric: str) -> dict[str | None, list[float]]:
    """{probe (None for cold metrics): measurements} of one metric in a perf result's data."""
    if metric in ("startup", "import", "rss"):
        key = {"startup": "bare_startup_ms", "import": "import_ms", "rss": "rss_mb"}[metric]
        values = _sample_values(data.get(key))
        return {None: values} if values else {}
    out: dict[str | None, list[float]] = {}
    for w in data.get("workloads") or []:
        point = _one_thread(w)
        if point is None:
            continue
        spread = point.get("cpu_us_per_op") if metric == "cpu" else (point.get("latency_us") or {}).get("p95")
        if isinstance(spread, dict) and spread.get("values"):
            out[w.get("probe")] = spread["values"]
    return out


#: The question a gate answers, as every perf finding and report row names it (lab/ftlab/judgement/payoff.py: "payoff").
QUESTION = "upgrade"

#: How a gate ended, for people: the gate's own words, beside it.
GATE_OUTCOMES = {
    "pass": "within budget",
    "regression": "outside the measured spread",
    "inconclusive": "inconclusive: within the measured spread",
}


def gate_outcome(outcome: str) -> str:
    """"outside the measured spread" for a gate that failed on data that says so, and so on."""
    return GATE_OUTCOMES.get(outcome, outcome)


@dataclass(frozen=True, kw_only=True)
class Gate:
    metric: str
    probe: str | None
    baseline: str  # what the candidate is gated against: a lane of its kind, or "3.14 in run X"
    budget: float
    before: Measure
    after: Measure
    outcome: str  # pass | regression | inconclusive

    @property
    def ratio(self) -> float:
        return self.after.center / self.before.center if self.before.center else math.inf

    def summary(self) -> str:
        m = METRICS[self.metric]
        what = m.label + (f" of {self.probe}" if self.probe else "")
        _, phrase = wording.compare_metric(f"x_{m.unit.lower()}", self.before.center, self.after.center, noise=0.0)
        return (f"{what}: {_fmt(self.after.center)} {m.unit} vs {_fmt(self.before.center)} {m.unit} on "
                f"{self.baseline} ({phrase}; budget {self.budget:g}x; {gate_outcome(self.outcome)})")

    def to_json(self) -> dict[str, Any]:
        m = METRICS[self.metric]
        return {"question": QUESTION, "metric": self.metric, "label": m.label, "unit": m.unit, "probe": self.probe,
                "baseline": self.baseline, "budget": self.budget, "outcome": self.outcome,
                "ratio": round(self.ratio, 4) if math.isfinite(self.ratio) else None,
                "value": self.after.center, "range": [self.after.low, self.after.high], "n": self.after.n,
                "baseline_value": self.before.center, "baseline_range": [self.before.low, self.before.high],
                "baseline_n": self.before.n, "summary": self.summary()}

    def signal(self) -> Signal:
        evidence = self.to_json()
        evidence.pop("summary")
        # The finding says which question it answers: an upgrade between builds of one kind.
        return Signal(kind="perf-regression", summary=f"upgrade regression: {self.summary()}", evidence=evidence)


def _fmt(value: float) -> str:
    return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def gate_pair(before: Result, after: Result, budgets: Mapping[str, float], baseline: str) -> list[Gate]:
    """Every metric both results measured, gated: ``after`` (the candidate) against ``before``."""
    out = []
    for name, m in METRICS.items():
        old, new = metric_values(before.data, name), metric_values(after.data, name)
        for probe in [p for p in new if p in old]:
            b, a = measure(old[probe]), measure(new[probe])
            if b is None or a is None:
                continue
            budget = float(budgets.get(name, m.budget))
            out.append(Gate(metric=name, probe=probe, baseline=baseline, budget=budget, before=b, after=a,
                            outcome=judge(b, a, budget, m.floor)))
    return out
