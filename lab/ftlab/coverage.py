"""What a stress check reached, per subject and lane: the record reports show beside the verdict.

A stress result's ``data["coverage"]`` (written by the stress check, read by the verdict and the
reports; ``StressCoverage.to_json`` gives its keys)::

    {"found": int,       # public callables screening named (functions, classes, methods, protocol ops)
     "screened": int,    # of those, the ones it called at least once
     "kept": int,        # the ones that passed screening
     "raced": int,       # ops raced in at least one invocation, over every probe
     "dropped": {reason: int},   # what screening dropped, by reason class, most first
     "why": str,         # when probes ran and raced nothing: why ("" otherwise; see StressCoverage.unraced)
     "probes": [{"probe": str,   # "pkg.mod.Cls", "pkg.mod functions", or a hand-written probe's path
                 "kind": str,    # auto | hand-written | declared
                 "ops": [str],   # the ops it raced (empty when it ran none); an auto-probe's as its
                                 # spec names them, a protocol op by its method (``__setitem__``)
                 "invocations": int}]}

``found``, ``screened``, ``kept`` and ``dropped`` are 0 and empty for hand-written probes (nothing
was screened). A stress check whose coverage raced nothing tested nothing: the verdict then rests on
the other checks (``ready (install, import)``), never on stress, and every report says why beside
the verdict (``unraced``).

The reports' words for it are here too (``counts_phrase``, ``dropped_phrase``, ``op_names``), so the
Markdown and HTML reports say the same thing the same way.

A neutral module (like records and wording): the stress check computes it, judgement and report
read it, and it imports neither.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ftlab import wording

#: How a reason class of screening (ftlab_probes.auto.__main__.REASON_CLASSES) reads after a count
#: ("6 raises on every input"); a class not listed reads as it is ("2 not constructible").
REASON_WORDS = {
    "raises on every": "raises on every input",
    "policy": "denied by policy",
    "skipped": "crashed or hung screening",
    "keyword-only parameter": "keyword-only parameter without a default",
    "its results depend": "results depend on call order",
    "ftlab's own call": "ftlab's own call on it failed",
    "screening it raised": "raised when screened",
    "reading it raised": "raised when read",
}


#: Stress reach is thin when ops raced * THIN_SHARE < public callables found (under a quarter), and the
#: package has at least THIN_MIN_FOUND of them (tomli's two functions, one raced, are not thin).
THIN_SHARE = 4
THIN_MIN_FOUND = 4


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
    #: Why probes that ran raced nothing (their errors, a spent budget); "" when screening left none.
    why: str = ""

    @property
    def covered(self) -> bool:
        """Whether any op was raced: what lets a verdict rest on stress."""
        return self.raced > 0

    @property
    def thin(self) -> bool:
        """Whether the auto-probe raced under a quarter of what screening found (simsimd: 1 of 33): the
        stress check ran, but a "ready" rests on little of the package. Hand-written probes are never thin."""
        return self.covered and self.screening and self.found >= THIN_MIN_FOUND and self.raced * THIN_SHARE < self.found

    @property
    def screening(self) -> bool:
        """Whether the auto-probe screened the public API (hand-written and declared probes are not screened)."""
        return bool(self.found or self.dropped) or any(p.kind == "auto" for p in self.probes)

    @property
    def unraced(self) -> str:
        """Why this stress check raced nothing, in a few words ("" when it raced something): what the
        reports print after "stress raced nothing: "."""
        if self.covered:
            return ""
        if self.why:
            return self.why
        if not self.found and not self.probes:
            return "screening found no public callable"
        if not self.kept and self.dropped:
            return f"none of {wording.count(self.found, 'public callable')} passed screening ({self.dropped_phrase(1)})"
        if not self.probes:
            return "no probe was built from what passed screening"
        return "no probe raced an op"

    def counts_phrase(self) -> str:
        """"41 found · 30 screened · 24 kept · 22 ops raced" (screening), "1 hand-written probe · 3 ops raced"."""
        raced = wording.count(self.raced, "op") + " raced"
        if self.screening or not self.probes:
            return f"{self.found} found · {self.screened} screened · {self.kept} kept · {raced}"
        return f"{wording.count(len(self.probes), (self.probes[0].kind or 'hand-written') + ' probe')} · {raced}"

    def dropped_phrase(self, limit: int | None = None) -> str:
        """What screening dropped, most first: "6 raises on every input, 2 not constructible" (the first
        ``limit`` reasons, then how many callables more)."""
        shown = self.dropped if limit is None else self.dropped[:limit]
        text = ", ".join(f"{n} {REASON_WORDS.get(reason, reason)}" for reason, n in shown)
        rest = sum(n for _, n in self.dropped[len(shown):])
        return text + (f", {rest} more" if rest else "")

    def summary(self, limit: int | None = None) -> str:
        """The counts, then what screening dropped: the line every report prints beside the verdict."""
        dropped = f" · dropped: {self.dropped_phrase(limit)}" if self.dropped else ""
        return self.counts_phrase() + dropped

    def op_names(self) -> list[str]:
        """Every op raced, each name once: protocol ops (``__setitem__``, ``__len__``, ``__iter__``,
        ``__iadd__``: what a shared container is used through) first, then the rest as the probes
        raced them."""
        names = list(dict.fromkeys(op for p in self.probes for op in p.ops))
        return [n for n in names if _protocol(n)] + [n for n in names if not _protocol(n)]

    def to_json(self) -> dict[str, Any]:
        return {"found": self.found, "screened": self.screened, "kept": self.kept, "raced": self.raced,
                "dropped": dict(self.dropped), "why": self.why, "probes": [p.to_json() for p in self.probes]}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> StressCoverage:
        return cls(found=int(doc.get("found", 0)), screened=int(doc.get("screened", 0)), kept=int(doc.get("kept", 0)),
                   raced=int(doc.get("raced", 0)), dropped=tuple((str(k), int(v)) for k, v in
                                                                   (doc.get("dropped") or {}).items()),
                   probes=tuple(ProbeCoverage(probe=p["probe"], kind=p.get("kind", ""), ops=tuple(p.get("ops") or ()),
                                              invocations=int(p.get("invocations") or 0))
                                for p in doc.get("probes") or ()),
                   why=str(doc.get("why") or ""))


def _protocol(op: str) -> bool:
    """An auto-probe op spelled as a protocol method: screening races no other name with underscores."""
    return op.startswith("__") and op.endswith("__") and len(op) > 4


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


def _spec_named(probe: str, ops: list[str]) -> list[str]:
    """An auto-probe's ops (the probe's attribute names: ``setitem``, ``len``, ``len_op``) as its spec
    names them (``__setitem__``, ``__len__``, a method ``len``): the probe defines its ops in spec
    order, so the two lists pair up; any other probe's as they are."""
    spec = _spec_ops(probe)
    return spec if spec and len(spec) == len(ops) else ops


def _why_unraced(data: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    """Why the probes that ran raced nothing ("" when none ran: screening says why, see ``unraced``)."""
    errors = [str(r.get("reason") or "").strip().splitlines() for r in rows if r.get("status") == "error"]
    if errors:
        first = next((e[0] for e in errors if e), "no reason recorded")
        return f"its {'probe' if len(rows) == 1 else 'probes'} failed: {first[:160]}"
    if rows and all(r.get("invocations") and r.get("ops") and set(r["ops"]) <= set(r.get("excluded_ops") or ())
                    for r in rows):
        return "every op was left out (engine errors, not races)"
    if rows:
        return "no probe completed an invocation"
    if data.get("skipped_probes"):
        return "the subject's budget was spent before a probe ran (raise --budget)"
    return ""


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
        listed = list(row.get("ops") or ())
        named = dict(zip(listed, _spec_named(row["probe"], listed), strict=True))
        if invocations and row.get("status") in ("ok", "findings"):
            left_out = set(row.get("excluded_ops") or ())
            ops = tuple(named[o] for o in listed if o not in left_out) if listed else tuple(_spec_ops(row["probe"]))
        elif row.get("status") == "findings":  # a crash or hang at the first invocation still raced its ops
            ops = tuple(named[o] for o in listed) if listed else tuple(_spec_ops(row["probe"]))
        probes.append(ProbeCoverage(probe=probe_label(row["probe"]), kind=row.get("kind", ""), ops=ops,
                                    invocations=invocations))
    raced = sum(len(p.ops) for p in probes)
    rows = list(data.get("probes") or ())
    return StressCoverage(found=found, screened=screened, kept=kept, raced=raced,
                          dropped=tuple(sorted(dropped.items(), key=lambda kv: (-kv[1], kv[0]))), probes=tuple(probes),
                          why="" if raced else _why_unraced(data, rows))


def covered(check: str, status: str, data: dict[str, Any]) -> bool:
    """Whether a check's result may be named among the checks a verdict rests on: a stress result only
    when its coverage raced something (results without coverage are taken as they say)."""
    if data.get("nothing_tested"):
        return False
    if check != "stress" or "coverage" not in data or status == "findings":
        return True
    return StressCoverage.from_json(data["coverage"]).covered
