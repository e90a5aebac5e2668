"""The records that flow through the lab: plain, frozen, keyword-only dataclasses.

subjects x lanes -> Job -> (child) -> Result with Signals -> store -> Verdict -> reports.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, field
from typing import Any

#: Verdicts, most severe first (DESIGN.md). Order matters: the worst one wins.
VERDICTS = ("crashes", "unsafe", "gil-fallback", "not-installable", "not-importable", "ready", "untested")

#: What each verdict means, for every report's legend. A verdict also names the checks it rests on
#: (`Verdict.checks`): `ready` after install and import says nothing about threads.
VERDICT_MEANING = {
    "crashes": "crashed or hung in a check (import or stress), on this lane",
    "unsafe": "wrong results, unexpected exceptions or broken invariants under concurrent calls",
    "gil-fallback": "importing it turns the GIL back on (free-threaded lanes)",
    "not-installable": "the install failed on this lane (no wheel, build failure)",
    "not-importable": "its top-level module fails to import, or a submodule fails here but imports on the baseline",
    "ready": "no finding that counts against it in the checks that ran (named with the verdict)",
    "untested": "not tested: lane unavailable, check skipped or failed (the reason is given)",
}

#: The checks in the order a run executes them (later ones use what earlier ones prepared); reports
#: list a cell's results in this order (ftlab.engine.checks registers them in it).
CHECK_ORDER = ("fingerprint", "install", "import", "stress", "perf")

#: Result statuses. `findings`: the check ran and found something; `error`: the check itself failed
#: to run (its evidence says why); `skipped`: not run, with a reason; `crash`/`timeout`: the child died.
STATUSES = ("ok", "findings", "error", "skipped", "crash", "timeout")


@dataclass(frozen=True, kw_only=True)
class Lane:
    """An interpreter, identified by what it reports about itself (its fingerprint)."""

    name: str
    path: str
    version: str = ""
    implementation: str = ""
    gil_disabled: bool = False
    abiflags: str = ""
    ext_suffix: str = ""
    platform_tags: tuple[str, ...] = ()
    source: str = ""  # uv | pyenv | path | explicit | provisioned
    available: bool = True
    reason: str = ""  # why unavailable, and the command that would fix it
    spec: str = ""  # what was asked for (3.14, 3.14t, NAME=PATH), when it was asked for
    sanitizer: str = ""  # "thread" for a ThreadSanitizer build (its build configuration says so)

    @property
    def kind(self) -> str:
        """free-threaded | GIL | unknown: never calls a GIL build free-threaded. An unavailable lane's kind
        is what was asked for (3.14t), or unknown when nothing about it is known."""
        if not self.available and not self.version:
            return "unknown"
        return "free-threaded" if self.gil_disabled else "GIL"

    @property
    def kind_label(self) -> str:
        """The kind as tables show it: an unavailable lane's is marked as asked for."""
        return self.kind + ("" if self.available or self.kind == "unknown" else " (asked for)")

    @property
    def release(self) -> tuple[int, ...]:
        """The version as numbers, (3, 14, 7); () when unknown."""
        parts = []
        for part in self.version.split(".")[:3]:
            digits = "".join(itertools.takewhile(str.isdigit, part))
            if not digits:
                break
            parts.append(int(digits))
        return tuple(parts)

    @property
    def minor(self) -> str:
        """"3.14" (major.minor), or "" when the version is unknown."""
        return ".".join(map(str, self.release[:2])) if len(self.release) >= 2 else ""

    def to_report_json(self) -> dict[str, Any]:
        """The documented lane shape of `lanes --json` and of the JSON report."""
        return {
            "name": self.name, "path": self.path, "version": self.version, "implementation": self.implementation,
            "gil_disabled": self.gil_disabled, "kind": self.kind, "abiflags": self.abiflags,
            "ext_suffix": self.ext_suffix, "platform_tags": list(self.platform_tags), "source": self.source,
            "spec": self.spec, "available": self.available, "reason": self.reason, "sanitizer": self.sanitizer,
        }

    def to_json(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["platform_tags"] = list(self.platform_tags)
        return doc

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Lane:
        known = {f for f in cls.__dataclass_fields__}
        doc = {k: v for k, v in doc.items() if k in known}
        doc["platform_tags"] = tuple(doc.get("platform_tags") or ())
        return cls(**doc)


@dataclass(frozen=True, kw_only=True)
class Subject:
    """What is tested: a requirement, a local project, or a bundled fixture."""

    name: str
    kind: str = "requirement"  # requirement | project | fixture | lane
    spec: str = ""
    path: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


#: The pseudo-subject of lane-level checks (fingerprint): they run once per lane, not per package.
LANE_SUBJECT = Subject(name="(lane)", kind="lane", spec="")


@dataclass(frozen=True, kw_only=True)
class Signal:
    """A finding, with the evidence a maintainer can act on."""

    kind: str
    summary: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "summary": self.summary, "evidence": self.evidence}


@dataclass(frozen=True, kw_only=True)
class Job:
    """One unit of work: a check of a subject on a lane. Self-contained, idempotent by job_id."""

    job_id: str
    run_id: str
    subject: Subject
    lane: Lane
    check: str
    options: dict[str, Any] = field(default_factory=dict)
    timeout_s: float = 300.0


@dataclass(frozen=True, kw_only=True)
class Result:
    """What a job produced. `data` is check-specific; `signals` are the findings."""

    job_id: str
    run_id: str
    subject: str
    lane: str
    check: str
    status: str
    signals: tuple[Signal, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)
    reason: str = ""  # for skipped/error: one phrase reports show and count
    duration_s: float = 0.0
    exit_status: int | None = None
    artifacts_dir: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "subject": self.subject,
            "lane": self.lane,
            "check": self.check,
            "status": self.status,
            "reason": self.reason,
            "duration_s": round(self.duration_s, 3),
            "exit_status": self.exit_status,
            "signals": [s.to_json() for s in self.signals],
            "data": self.data,
            "artifacts_dir": self.artifacts_dir,
        }


@dataclass(frozen=True, kw_only=True)
class Verdict:
    subject: str
    lane: str
    verdict: str
    reasons: tuple[str, ...] = ()
    #: The package checks that ran on this subject and lane (ok or findings): what the verdict rests on.
    checks: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """`ready (install, import)`: the verdict with the checks it rests on."""
        return f"{self.verdict} ({', '.join(self.checks)})" if self.checks and self.verdict != "untested" else self.verdict

    def to_json(self) -> dict[str, Any]:
        return {"subject": self.subject, "lane": self.lane, "verdict": self.verdict, "reasons": list(self.reasons),
                "checks": list(self.checks)}


@dataclass(frozen=True, kw_only=True)
class Decision:
    """Go / no-go for the whole run. `decision` is go, no-go or undecided (never go without 3.14t)."""

    decision: str
    triggers: tuple[str, ...] = ()

    @property
    def go(self) -> bool | None:
        return {"go": True, "no-go": False}.get(self.decision)

    def to_json(self) -> dict[str, Any]:
        return {"decision": self.decision, "go": self.go, "triggers": list(self.triggers)}
