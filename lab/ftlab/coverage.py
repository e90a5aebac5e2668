"""What a stress check reached, per subject and lane: the record reports show beside the verdict.

A stress result's ``data["coverage"]`` (written by the stress check, read by the verdict and the
reports; ``StressCoverage.to_json`` gives its keys)::

    {"found": int,       # public callables screening named (functions, classes, methods, protocol ops)
     "screened": int,    # of those, the ones it called at least once
     "kept": int,        # the ones that passed screening
     "raced": int,       # ops raced in at least one invocation, over every probe
     "dropped": {reason: int},   # what screening dropped, by reason class, most first
     "probes": [{"probe": str,   # "pkg.mod.Cls", "pkg.mod functions", or a hand-written probe's path
                 "kind": str,    # auto | hand-written | declared
                 "ops": [str],   # the ops it raced (empty when it ran none)
                 "invocations": int}]}

``found``, ``screened``, ``kept`` and ``dropped`` are 0 and empty for hand-written probes (nothing
was screened). A stress check whose coverage raced nothing tested nothing: the verdict then rests on
the other checks (``ready (install, import)``), never on stress.

A neutral module (like records and wording): the stress check computes it, judgement and report
read it, and it imports neither.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, kw_only=True)
class ProbeCoverage:
    probe: str
    kind: str
    ops: tuple[str, ...] = ()
    invocations: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"probe": self.probe, "kind": self.kind, "ops": list(self.ops), "invocations": self.invocations}


@dataclass(frozen=True, kw_only=True)
class StressCoverage:
    found: int = 0
    screened: int = 0
    kept: int = 0
    raced: int = 0
    dropped: tuple[tuple[str, int], ...] = ()
    probes: tuple[ProbeCoverage, ...] = field(default_factory=tuple)

    @property
    def covered(self) -> bool:
        """Whether any op was raced: what lets a verdict rest on stress."""
        return self.raced > 0

    def to_json(self) -> dict[str, Any]:
        return {"found": self.found, "screened": self.screened, "kept": self.kept, "raced": self.raced,
                "dropped": dict(self.dropped), "probes": [p.to_json() for p in self.probes]}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> StressCoverage:
        return cls(found=int(doc.get("found", 0)), screened=int(doc.get("screened", 0)), kept=int(doc.get("kept", 0)),
                   raced=int(doc.get("raced", 0)), dropped=tuple((str(k), int(v)) for k, v in
                                                                   (doc.get("dropped") or {}).items()),
                   probes=tuple(ProbeCoverage(probe=p["probe"], kind=p.get("kind", ""), ops=tuple(p.get("ops") or ()),
                                              invocations=int(p.get("invocations") or 0))
                                for p in doc.get("probes") or ()))


def probe_label(probe: str) -> str:
    """``ftlab_probes.auto:cls:pkg.mod:Cls(2)[fill]:ops|state`` -> ``pkg.mod.Cls``; ``...:fn:pkg:ops`` ->
    ``pkg functions``; a hand-written probe's path as it is."""
    if not probe.startswith("ftlab_probes.auto:"):
        return probe
    parts = probe.split(":", 1)[1].split("|")[0].split(":")
    if parts[0] == "cls" and len(parts) > 2:
        return f"{parts[1]}.{parts[2].split('(')[0].split('[')[0]}"
    return f"{parts[1] if len(parts) > 1 else '?'} functions"


def _spec_ops(probe: str) -> list[str]:
    """Op names written in an auto-probe spec (results from before the engine listed its ops)."""
    if not probe.startswith("ftlab_probes.auto:"):
        return []
    ops = probe.split("|")[0].rsplit(":", 1)[-1]
    return [item.split("(")[0].split("{")[0] for item in ops.split(";") if item]


def of_stress(data: dict[str, Any]) -> StressCoverage:
    """The coverage of one stress result's data (``data["auto"]`` from screening, ``data["probes"]``
    from the probes that ran)."""
    found = screened = kept = 0
    dropped: dict[str, int] = {}
    for module in (data.get("auto") or {}).get("modules") or ():
        counts = module.get("coverage") or {}
        found += int(counts.get("found", 0))
        screened += int(counts.get("screened", 0))
        kept += int(counts.get("kept", 0))
        for reason, n in (counts.get("dropped") or {}).items():
            dropped[reason] = dropped.get(reason, 0) + int(n)
    probes = []
    for row in data.get("probes") or ():
        invocations = int(row.get("invocations") or 0)
        ops: tuple[str, ...] = ()
        if invocations and row.get("status") in ("ok", "findings"):
            left_out = set(row.get("excluded_ops") or ())
            ops = tuple(o for o in (row.get("ops") or _spec_ops(row["probe"])) if o not in left_out)
        elif row.get("status") == "findings":  # a crash or hang at the first invocation still raced its ops
            ops = tuple(row.get("ops") or _spec_ops(row["probe"]))
        probes.append(ProbeCoverage(probe=probe_label(row["probe"]), kind=row.get("kind", ""), ops=ops,
                                    invocations=invocations))
    return StressCoverage(found=found, screened=screened, kept=kept, raced=sum(len(p.ops) for p in probes),
                          dropped=tuple(sorted(dropped.items(), key=lambda kv: (-kv[1], kv[0]))), probes=tuple(probes))


def covered(check: str, status: str, data: dict[str, Any]) -> bool:
    """Whether a check's result may be named among the checks a verdict rests on: a stress result only
    when its coverage raced something (results without coverage are taken as they say)."""
    if data.get("nothing_tested"):
        return False
    if check != "stress" or "coverage" not in data or status == "findings":
        return True
    return StressCoverage.from_json(data["coverage"]).covered
