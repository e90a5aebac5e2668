"""The wording reports use: ftlab.wording (neutral: computations word through it too), and the words
of each check's outcomes from beside the check. Renderers import this; nothing outside lab/report does."""

from __future__ import annotations

from ftlab.judgement.gates import gate_outcome
from ftlab.wording import (
    HIGHER_IS_BETTER,
    NOISE,
    better_direction,
    compare,
    compare_metric,
    compare_size,
    count,
    rate,
    seconds,
    speedup,
)

__all__ = ["HIGHER_IS_BETTER", "NOISE", "better_direction", "compare", "compare_metric", "compare_size", "count",
           "gate_outcome", "rate", "seconds", "speedup"]
