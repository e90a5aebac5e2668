"""All comparison and quantity wording, in one place (STYLE.md 9).

Every "1.8x slower", "within noise", "3 of 50 runs (6%)" or "2 min 5 s" a person reads comes from here,
so two reports never word the same fact two ways. A neutral module: the computations (perf gates,
payoff, diff) and the renderers (ftlab.report) both word through it, importing this one module, and it imports neither. A check's
own outcome words sit beside the check (``ftlab.judgement.gates.gate_outcome``).
"""

from __future__ import annotations

import math

#: Relative change below which two measurements read as the same. Timings of whole child processes
#: (interpreter start, imports, installs) vary by a few percent run to run on an idle machine.
NOISE = 0.05

#: Metrics where a bigger number is better; everything else (seconds, MB, ms) is better smaller.
HIGHER_IS_BETTER = frozenset({"ops_per_s", "speedup", "throughput", "scaling_efficiency"})


def better_direction(metric: str) -> str:
    """"higher" or "lower": which way a metric improves, by its name."""
    return "higher" if metric.rsplit(".", 1)[-1] in HIGHER_IS_BETTER else "lower"


def compare(before: float, after: float, *, better: str = "lower", noise: float = NOISE) -> tuple[str, str]:
    """(change, phrase) for a measurement that went from `before` to `after`.

    change is "same", "better" or "worse"; phrase reads "1.8x slower", "12% faster", "within noise".
    Speed words suit times and rates; sizes use `compare_size` ("bigger"/"smaller").
    """
    return _compare(before, after, better=better, noise=noise, nouns=("faster", "slower"))


def compare_size(before: float, after: float, *, noise: float = NOISE) -> tuple[str, str]:
    """Like `compare` for sizes (memory, files): "1.5x bigger", "20% smaller"."""
    return _compare(before, after, better="lower", noise=noise, nouns=("smaller", "bigger"))


def compare_metric(metric: str, before: float, after: float, *, noise: float = NOISE) -> tuple[str, str]:
    """`compare` with the direction and nouns chosen from the metric's name."""
    leaf = metric.rsplit(".", 1)[-1]
    if leaf.endswith(("_mb", "_bytes", "_kb")):
        return compare_size(before, after, noise=noise)
    return compare(before, after, better=better_direction(metric), noise=noise)


def _compare(before: float, after: float, *, better: str, noise: float, nouns: tuple[str, str]) -> tuple[str, str]:
    good, bad = nouns
    if not (_finite(before) and _finite(after)):
        return "same", "not comparable"
    if before == after or (before and abs(after - before) / abs(before) <= noise):
        return "same", "within noise"
    if before <= 0 or after <= 0:
        return ("worse" if (after > before) == (better == "lower") else "better"), f"{_num(before)} -> {_num(after)}"
    # The good word for the good direction: more ops/s is "faster", more seconds is "slower".
    improved = (after > before) == (better == "higher")
    ratio = max(after, before) / min(after, before)
    return ("better" if improved else "worse"), _ratio_phrase(ratio, good if improved else bad)


def _ratio_phrase(ratio: float, word: str) -> str:
    if ratio < 1.5:
        return f"{round((ratio - 1) * 100)}% {word}"
    return f"{ratio:.1f}x {word}"


def speedup(base_ops: float, ops: float, threads: int) -> str:
    """Thread scaling against one thread, as CPython's ftscalingbench words it (< 1.1x: does not scale)."""
    if not (_finite(base_ops) and _finite(ops)) or base_ops <= 0:
        return "not measured"
    if threads == 1:
        return "baseline"
    factor = ops / base_ops
    verdict = "does not scale" if factor < 1.1 else f"of an ideal {threads}x"
    return f"{factor:.1f}x at {threads} threads ({verdict})"


def rate(k: int, n: int) -> str:
    """An observed failure rate: "3 of 50 runs (6%)". Stress results are always a rate, never yes/no."""
    if not n:
        return f"{k} of 0 runs"
    pct = 100 * k / n
    shown = f"{pct:.0f}%" if pct >= 1 or k == 0 else "<1%"
    return f"{k} of {n} run{'s' if n != 1 else ''} ({shown})"


def seconds(value: float | None) -> str:
    """A duration for people: "35 ms", "1.2 s", "2 min 5 s"."""
    if value is None or not _finite(value):
        return "-"
    if value < 1:
        return f"{value * 1000:.0f} ms"
    if value < 60:
        return f"{value:.1f} s"
    minutes, secs = divmod(round(value), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def count(n: int, noun: str, plural: str | None = None) -> str:
    """"1 signal", "3 signals"."""
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"


def _num(x: float) -> str:
    return f"{x:.3g}"


def _finite(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)
