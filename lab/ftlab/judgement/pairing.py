"""Which lane is read against which: the one home of lane pairing.

Two questions pair lanes, and each has one rule here:

- **adoption** (does 3.14t change anything; ftlab.judgement.judge, ftlab.judgement.payoff): each
  free-threaded lane against a GIL lane, of the same minor version where there is one;
- **upgrade** (did a newer interpreter regress; ftlab.judgement.gates): lanes of one kind (GIL with
  GIL, free-threaded with free-threaded) against one baseline of that kind.
"""

from __future__ import annotations

from collections.abc import Sequence

from ftlab.records import Lane


def free_threaded_baselines(lanes: Sequence[Lane], *, same_minor_only: bool = False) -> dict[str, str]:
    """Free-threaded lane name -> the available GIL lane it is read against: the first of the same minor
    version, else (unless ``same_minor_only``: payoff compares builds of one version only) the first
    available GIL lane."""
    gil = [lane for lane in lanes if lane.available and not lane.gil_disabled]
    out = {}
    for lane in lanes:
        if not lane.gil_disabled or not gil:
            continue
        same_minor = [g for g in gil if lane.minor and g.minor == lane.minor]
        if same_minor or not same_minor_only:
            out[lane.name] = (same_minor or gil)[0].name
    return out


def upgrade_baselines(lanes: Sequence[Lane], requested: str | None) -> dict[str, str | None]:
    """{lane: the lane it is gated against}: upgrade budgets apply only between builds of the same kind.
    Each kind's baseline is ``requested`` when it is of that kind, else its first available lane, and
    maps to None (as does a lane with no other of its kind)."""
    available = [ln for ln in lanes if ln.available]
    out: dict[str, str | None] = {}
    for ft in (False, True):
        kind = [ln for ln in available if bool(ln.gil_disabled) == ft]
        if not kind:
            continue
        base = next((ln.name for ln in kind if ln.name == requested), kind[0].name)
        out.update({ln.name: (None if ln.name == base else base) for ln in kind})
    return out
