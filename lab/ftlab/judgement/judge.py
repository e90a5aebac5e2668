"""Judging signals: each one read against the baseline GIL lane, then weighed for the verdict and the gate.

A team adopting 3.14t already lives with what its 3.14 shows. So every signal on a free-threaded lane
gets its baseline (`new`: only here; `same`: the baseline GIL lane shows the same finding for the same
module or scenario kind; `none`: no baseline lane ran that check), and the release gate reads it:

- crash, hang, corruption, unexpected exceptions and broken invariants under threads gate on any lane
  (the playbook's no-go trigger: "any extension crashes or data corruption signals under load");
- a perf regression gates (it is already measured against a baseline);
- install, import and GIL findings gate unless the baseline shows them identically; on a GIL lane that
  is the baseline of a free-threaded one they are listed, never gating (they are not about 3.14t); a
  run without a free-threaded lane has no baseline, and its findings gate as they are;
- an `optional-dependency` (a submodule needing a module that is not installed, or one this
  distribution does not ship on this platform) is information, unless the baseline lane imported the
  same module: then it is an import failure new on 3.14t, and gates;
- findings a probe declares as documented behaviour are `known`: shown, never gating;
- a wrong result under threads (corruption, unexpected exception, broken invariant) whose minimal
  scenario did not reproduce in its confirmation runs is `unconfirmed` (evidence ``confirmed:
  false``): listed with what was seen, never gating. Crashes and hangs are their own evidence;
- a stress finding on a free-threaded lane whose minimal scenario was replayed on the baseline GIL lane
  (evidence ``baseline_replay``, written by the stress check's finalize) is `same` when the replay
  reproduced it there, `new` when it did not;
- consequences are read with their cause (ftlab.judgement.consequences): a lane built without the
  baseline's compiled modules is one `built-without-extension` finding (information), and an import
  error that follows a failed install is listed under that install finding, not on its own.

Pure functions over records; the verdicts, the decision, every report and `ftlab diff` read this one view.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from packaging.utils import canonicalize_name

from ftlab.judgement.consequences import built_without_extension, fold_into_install, missing_extensions
from ftlab.judgement.pairing import free_threaded_baselines
from ftlab.records import LANE_SUBJECT, VERDICTS, Lane, Result, Signal

#: Which verdict each signal kind pushes a subject to. Kinds not listed are information.
SIGNAL_VERDICT = {
    "crash": "crashes",
    "hang": "crashes",
    "corruption": "unsafe",
    "unexpected-exception": "unsafe",
    "invariant-broken": "unsafe",
    "data-race": "unsafe",
    "gil-reenabled": "gil-fallback",
    "install-failed": "not-installable",
    "no-wheel": "not-installable",
    "import-error": "not-importable",
}

#: Under load, on any lane: the release gate's "crashes or data corruption signals".
ALWAYS_GATING = frozenset({"crash", "hang", "corruption", "unexpected-exception", "invariant-broken", "data-race",
                           "perf-regression"})
#: Gate on a free-threaded lane unless its baseline GIL lane shows the same.
GATING_UNLESS_SHARED = frozenset({"install-failed", "no-wheel", "import-error", "gil-reenabled"})
#: Wrong results under threads, which gate when a probe's author wrote the usage down, but not when
#: the auto-probe found them on the GIL lane too: it shares objects nobody said may be shared
#: (websockets' Headers, a sans-I/O protocol object), so a finding the GIL build shows alike says the
#: class is not safe to share on either build, which its contract decides, not what adopting 3.14t
#: changes. A crash, a hang or a data race still gates.
CONTRACT_KINDS = frozenset({"corruption", "unexpected-exception", "invariant-broken"})

#: Baseline relations of a signal.
NEW, SAME, NONE, BASELINE = "new", "same", "none", "baseline"


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One signal with where it was found and how it is judged: the row of every findings table."""

    subject: str
    lane: str
    check: str
    job_id: str
    signal: Signal
    #: new | same | none on a free-threaded lane; baseline on the GIL lane others are read against;
    #: "" on a GIL lane that is nobody's baseline.
    baseline: str = ""
    #: The GIL lane this one was read against ("" without one).
    baseline_lane: str = ""
    #: The verdict this finding pushes its subject to on its lane, or "" (information, known, shared).
    severity: str = ""
    gating: bool = False
    known: bool = False
    #: What the baseline showed, in a phrase ("also on 3.14", "imports on 3.14").
    baseline_note: str = ""

    @property
    def evidence(self) -> Mapping[str, Any]:
        return self.signal.evidence

    @property
    def kind(self) -> str:
        return self.signal.kind

    @property
    def summary(self) -> str:
        return self.signal.summary

    @property
    def rate(self) -> tuple[int, int] | None:
        r = self.signal.evidence.get("rate")
        if isinstance(r, list | tuple) and len(r) == 2 and all(isinstance(x, int) for x in r):
            return int(r[0]), int(r[1])
        return None

    @property
    def unconfirmed(self) -> bool:
        """A wrong result its own replay did not reproduce (see ``is_unconfirmed``)."""
        return is_unconfirmed(self.signal)

    @property
    def repro(self) -> str:
        r = self.signal.evidence.get("repro")
        return r if isinstance(r, str) else ""

    @property
    def where(self) -> str:
        return self.lane if self.subject == LANE_SUBJECT.name else f"{self.subject} on {self.lane}"

    @property
    def new_on_free_threaded(self) -> bool:
        """What a team adopting 3.14t learns from this run: gating and not shown by the baseline."""
        return self.gating and self.baseline in (NEW, NONE)

    @property
    def note_on_free_threaded(self) -> bool:
        """Worth knowing before adopting 3.14t, though nothing is broken: new on the free-threaded lane,
        not gating, not documented behaviour, and more than an optional dependency (a pure-Python wheel
        where the baseline has a compiled one, a build from source where it has a wheel)."""
        return (not self.gating and not self.known and self.baseline == NEW
                and (self.kind != "optional-dependency" or self.evidence.get("missing_kind") == "interpreter"))

    @property
    def weight(self) -> str:
        """Why a finding that does not gate is listed, in a word: known (documented behaviour), shared
        (the baseline shows it, or it is the baseline's own), info (everything else)."""
        if self.known:
            return "known"
        if self.unconfirmed:
            return "unconfirmed"
        if self.baseline in (SAME, BASELINE) and self.kind in SIGNAL_VERDICT:
            return "shared"
        return "info"

    def to_json(self) -> dict[str, Any]:
        return {"subject": self.subject, "lane": self.lane, "check": self.check, "job_id": self.job_id,
                "kind": self.kind, "summary": self.summary, "severity": self.severity, "gating": self.gating,
                "known": self.known, "baseline": self.baseline or None, "baseline_lane": self.baseline_lane or None,
                "baseline_note": self.baseline_note or None,
                "rate": list(self.rate) if self.rate else None, "repro": self.repro or None}


def is_known(signal: Signal) -> bool:
    """A finding a probe declares as documented behaviour (e.g. numpy: in-place writes to a shared
    array race, as its thread-safety page says). Reports show it; it decides nothing, since adopting
    3.14t does not change it: it is the documented contract on every build."""
    return bool(signal.evidence.get("expected_finding"))


def is_unconfirmed(signal: Signal) -> bool:
    """A wrong result (corruption, unexpected exception, broken invariant) whose minimal scenario did
    not reproduce in its confirmation runs, or that the oracle traced to a replay differing from
    itself (clock, randomness, environment): not evidence of a race, so it never gates."""
    return signal.kind in CONTRACT_KINDS and signal.evidence.get("confirmed") is False


def baselines(lanes: Sequence[Lane]) -> dict[str, str]:
    """Free-threaded lane name -> the GIL lane it is read against (ftlab.judgement.pairing's adoption rule)."""
    return free_threaded_baselines(lanes)


def import_scope(signal: Signal) -> str:
    """top-level | submodule for an import finding; older results lack the field: a dotted module is a
    submodule."""
    scope = signal.evidence.get("scope")
    if scope in ("top-level", "submodule"):
        return scope
    module = str(signal.evidence.get("module") or "")
    return "submodule" if "." in module else "top-level"


def judge(lanes: Sequence[Lane], results: Iterable[Result]) -> list[Finding]:
    """Every signal of a run, judged (in result order)."""
    results = list(results)
    lane_by_name = {lane.name: lane for lane in lanes}
    base_of = baselines(lanes)
    baseline_names = set(base_of.values())
    by_cell = {(r.subject, r.lane, r.check): r for r in results}
    out = []
    for r in results:
        lane = lane_by_name.get(r.lane)
        free_threaded = bool(lane and lane.gil_disabled)
        base_name = base_of.get(r.lane, "")
        base = by_cell.get((r.subject, base_name, r.check)) if base_name else None
        signals = r.signals
        fallback = free_threaded and _pure_python_here(by_cell, r.subject, r.lane, base_name)
        if fallback and r.check == "install" and base is not None:
            imports = by_cell.get((r.subject, r.lane, "import")), by_cell.get((r.subject, base_name, "import"))
            signals = (*signals, *_wheel_fallback(r, base, base_name, _needs_the_extension(*imports)))
        missing = missing_extensions(r, base) if free_threaded and r.check == "import" and not fallback else []
        if missing:
            # Built here without compiled modules the baseline has: read like a pure-Python wheel.
            install, base_install = by_cell.get((r.subject, r.lane, "install")), by_cell.get((r.subject, base_name, "install"))
            signals = (*signals, built_without_extension(r, install, base_install, base_name, missing))
            fallback = True
        for s in signals:
            if free_threaded:
                relation, note, s2 = _compare(r, s, base, base_name, fallback=fallback)
            else:
                relation, note, s2 = (BASELINE if r.lane in baseline_names else ""), "", s
            out.append(_weigh(r, s2, relation, base_name if free_threaded else "", note))
    return fold_into_install(out, by_cell)


def _wheel_tags(r: Result | None, base: Result | None) -> tuple[str, str]:
    here = (r.data.get("subject_dist") or {}) if r else {}
    there = (base.data.get("subject_dist") or {}) if base else {}
    return str(here.get("wheel_tag") or ""), str(there.get("wheel_tag") or "")


def _pure_python_here(by_cell: Mapping[tuple[str, str, str], Result], subject: str, lane: str, base_name: str) -> bool:
    """Whether this lane installed the subject's pure-Python wheel where the baseline got a compiled one."""
    if not base_name:
        return False
    tag, base_tag = _wheel_tags(by_cell.get((subject, lane, "install")), by_cell.get((subject, base_name, "install")))
    return tag.endswith("-none-any") and bool(base_tag) and not base_tag.endswith("-none-any")


def _needs_the_extension(imports: Result | None, base_imports: Result | None) -> list[str]:
    """Submodules that import on the baseline but not here because they need a part of the
    distribution this lane's (pure-Python) wheel does not ship."""
    if imports is None or base_imports is None:
        return []
    rows = _module_rows(base_imports)
    return [str(s.evidence.get("module")) for s in imports.signals
            if s.kind == "optional-dependency" and s.evidence.get("missing_kind") == "not-in-distribution"
            and (rows.get(str(s.evidence.get("module"))) or {}).get("outcome") == "ok"]


def _wheel_fallback(r: Result, base: Result, base_name: str, modules: Sequence[str] = ()) -> tuple[Signal, ...]:
    """A compiled wheel on the baseline and a pure-Python one here: the package runs without its
    extension on 3.14t (typically an abi3 wheel, which never serves a free-threaded build). Nothing is
    broken, so it does not gate; it explains slower code and the submodules (``modules``) that need
    the extension, and every report lists it among what is new on the free-threaded lane."""
    tag, base_tag = _wheel_tags(r, base)
    here = r.data.get("subject_dist") or {}
    name = here.get("name") or r.subject
    without = ""
    if modules:
        shown = ", ".join(modules[:3]) + (f" and {len(modules) - 3} more" if len(modules) > 3 else "")
        without = f"; {shown} need{'s' if len(modules) == 1 else ''} it and do{'es' if len(modules) == 1 else ''} not import here"
    return (Signal(kind="pure-python-wheel",
                   summary=f"{name} installs its pure-Python wheel ({tag}) here, a compiled one ({base_tag}) on "
                           f"{base_name}: it runs without its extension on this lane"
                           + (" (abi3 wheels never serve a free-threaded build)" if "-abi3-" in base_tag else "")
                           + without,
                   evidence={"wheel_tag": tag, "baseline_wheel_tag": base_tag, "filename": here.get("filename"),
                             "baseline_filename": (base.data.get("subject_dist") or {}).get("filename"),
                             "modules_without_extension": list(modules)}),)


def _weigh(r: Result, s: Signal, relation: str, base_name: str, note: str) -> Finding:
    known = is_known(s)
    severity = SIGNAL_VERDICT.get(s.kind, "")
    if s.kind in CONTRACT_KINDS and s.evidence.get("auto_probe") and relation in (SAME, BASELINE):
        gating = False
    elif s.kind in ALWAYS_GATING:
        gating = True
    elif s.kind in GATING_UNLESS_SHARED:
        gating = relation not in (SAME, BASELINE)
    else:
        gating = False
    if s.kind == "import-error" and import_scope(s) == "submodule" and not gating:
        # A submodule that fails alike on the baseline is a fact of the package the application lives
        # with, not a verdict on it: listed, never the lane's verdict.
        severity = ""
    if known or is_unconfirmed(s):
        severity, gating = "", False
    return Finding(subject=r.subject, lane=r.lane, check=r.check, job_id=r.job_id, signal=s, baseline=relation,
                   baseline_lane=base_name, severity=severity, gating=gating, known=known, baseline_note=note)


def _compare(r: Result, s: Signal, base: Result | None, base_name: str, *, fallback: bool = False) -> tuple[str, str, Signal]:
    """(relation, note, signal): how the baseline's result for the same subject and check reads this
    signal. An optional dependency the baseline imported becomes an import failure new here, unless
    ``fallback`` (this lane got the pure-Python wheel) explains it: then the pure-Python wheel's own
    finding names the module."""
    if base is None or base.status not in ("ok", "findings"):
        return NONE, (f"no {r.check} result on {base_name} to compare" if base_name else ""), s
    if s.kind == "gil-reenabled":
        return NEW, "", s  # a GIL build has no GIL to turn back on: new, no note needed
    if r.check == "import":
        row = _module_rows(base).get(str(s.evidence.get("module") or ""))
        if row is not None:
            return _compare_import_row(s, row, base_name, fallback=fallback)
    key = signal_key(r.check, s)
    if any(signal_key(base.check, b) == key for b in base.signals):
        return SAME, f"also on {base_name}", s
    replay = s.evidence.get("baseline_replay")
    if isinstance(replay, Mapping) and replay.get("runs"):
        seen = f"{replay.get('failures', 0)} of {replay['runs']} replays of its minimal scenario on {base_name}"
        shared = replay["relation"] == "shared" if "relation" in replay else bool(replay.get("failures"))
        return (SAME, f"reproduced in {seen}", s) if shared else (NEW, f"not reproduced in {seen}", s)
    return NEW, f"not on {base_name}", s


def _compare_import_row(s: Signal, row: Mapping[str, Any], base_name: str, *, fallback: bool = False) -> tuple[str, str, Signal]:
    outcome = row.get("outcome")
    if outcome == "ok" and s.kind == "optional-dependency" and fallback \
            and s.evidence.get("missing_kind") == "not-in-distribution":
        return NEW, f"imports on {base_name}, whose compiled wheel ships it", s
    if outcome == "ok" and s.kind == "optional-dependency" and s.evidence.get("missing_kind") == "interpreter":
        # The lane's interpreter was built without a standard-library module the baseline's has: a fact
        # about that build (fixed by building it with the library's headers), not about the package.
        return NEW, f"imports on {base_name}, whose interpreter has that module", s
    if outcome == "ok" and s.kind == "optional-dependency":
        needs = ", ".join(map(str, s.evidence.get("needs") or ())) or "a module"
        escalated = Signal(
            kind="import-error",
            summary=f"{s.evidence.get('module')!r} imports on {base_name} but not here: it needs {needs}, "
                    "which is missing on this lane",
            evidence={**s.evidence, "scope": "submodule", "escalated_from": "optional-dependency",
                      "baseline_outcome": "ok"})
        return NEW, f"imports on {base_name}", escalated
    if outcome == "ok":
        return NEW, f"imports on {base_name}", s
    if outcome == s.kind and _error_type(row) == s.evidence.get("error_type"):
        return SAME, f"fails alike on {base_name}", s
    if outcome == s.kind and s.kind != "import-error":
        return SAME, f"also on {base_name}", s
    return NEW, f"{base_name}: {outcome}", s


def _error_type(row: Mapping[str, Any]) -> Any:
    err = row.get("error")
    return err.get("type") if isinstance(err, Mapping) else None


def _module_rows(result: Result) -> dict[str, Mapping[str, Any]]:
    rows = result.data.get("modules") if isinstance(result.data, Mapping) else None
    return {str(row.get("module")): row for row in rows or () if isinstance(row, Mapping)}


def signal_key(check: str, s: Signal) -> tuple:
    """What makes two signals on two lanes "the same finding": kind, and the module, probe or metric
    they are about. A stress finding is the same when the same probe (one class, or one module's
    functions) shows the same kind: the scenarios a search draws and how far minimisation gets differ
    between lanes and runs (measured: bidict's and pyzmq's races on 3.14 and 3.14t). Rates, addresses
    and timings differ between lanes and are left out."""
    ev = s.evidence
    return (check, s.kind, ev.get("module"), ev.get("probe"), ev.get("metric"), ev.get("workload"),
            ev.get("error_type") if check == "import" else None,
            tuple(ev.get("needs") or ()) if s.kind == "optional-dependency" else ())


def severity_rank(severity: str) -> int:
    """Sort key: most severe verdict first, information last."""
    return VERDICTS.index(severity) if severity in VERDICTS else len(VERDICTS)


def ordered(found: Iterable[Finding], lanes: Sequence[Lane]) -> list[Finding]:
    """Reports' order: what is new on 3.14t first, then other gating findings, by severity; then what
    the baseline shares, information and known findings."""
    lane_order = {lane.name: i for i, lane in enumerate(lanes)}
    return sorted(found, key=lambda f: (not f.new_on_free_threaded, not f.gating, severity_rank(f.severity),
                                        f.known, f.subject, lane_order.get(f.lane, 99), f.check))


def _with_owner(f: Finding) -> str:
    """``fontTools.varLib.iup (fonttools)`` when the extension is a dependency's, else the module."""
    module = str(f.evidence.get("module") or "?")
    return f"{module} ({f.evidence['offender_distribution']})" if _owner(f) else module


def condensed(found: Iterable[Finding]) -> list[tuple[Finding, str]]:
    """(finding, one-line summary) for headlines: the GIL findings of one package on one lane become
    one line naming every extension module that turns the GIL back on (lxml has seven; a line each
    buried everything after them), in the order first seen. Packages that turn it back on only through
    the same dependency's modules (requests, httpx and urllib3 through brotli's ``_brotli``) join that
    dependency's line (``_through_dependency``): one thing to fix is one reason. Every other finding
    keeps its own line; the reports' findings tables keep every one."""
    found = list(found)
    gil: dict[tuple[str, str], list[Finding]] = {}
    for f in found:
        if f.kind == "gil-reenabled":
            gil.setdefault((f.subject, f.lane), []).append(f)
    joined = _through_dependency(gil)
    out, done = [], set()
    for f in found:
        group = gil.get((f.subject, f.lane)) if f.kind == "gil-reenabled" else None
        if group and (f.subject, f.lane) in done:
            continue
        if group:
            done.add((f.subject, f.lane))
            if (f.subject, f.lane) in joined and joined[(f.subject, f.lane)] is None:
                continue  # said on the line of the dependency it turns the GIL back on through
        if not group or len(group) == 1:
            text = f.summary
        else:
            modules = list(dict.fromkeys(_with_owner(g) for g in group))
            # Each finding's chain starts at the import that pulled its module in.
            importers = list(dict.fromkeys(str((g.evidence.get("chain") or [g.evidence.get("module")])[0])
                                           for g in group))
            text = (f"{len(modules)} extension modules turn the GIL back on (none declares it can run without "
                    f"it): {', '.join(modules)}; first seen importing {', '.join(importers[:5])}"
                    + (f" and {len(importers) - 5} more" if len(importers) > 5 else ""))
        also = joined.get((f.subject, f.lane)) if group else None
        if also:
            text += f"; the same in {', '.join(also)}, which import it"
        out.append((f, text))
    return out


def _owner(f: Finding) -> str:
    """The distribution whose extension module a GIL finding names ("" when the subject's own)."""
    owner = canonicalize_name(str(f.evidence.get("offender_distribution") or ""))
    return owner if owner and owner != canonicalize_name(str(f.evidence.get("distribution") or f.subject)) else ""


def _offenders(group: Sequence[Finding]) -> frozenset[str]:
    return frozenset(str(g.evidence.get("module") or "?") for g in group)


def _through_dependency(gil: dict[tuple[str, str], list[Finding]]) -> dict[tuple[str, str], list[str] | None]:
    """Packages whose GIL findings all name one other distribution's modules, joined to one line per
    lane and set of modules: {(subject, lane): None} for each package said elsewhere, and {(host, lane):
    [the packages it speaks for]} for the line that says them: the dependency's own line when it is a
    subject of the run with those modules among its findings, else the first such package's."""
    joined: dict[tuple[str, str], list[str] | None] = {}
    by_cause: dict[tuple[str, str, frozenset[str]], list[tuple[str, str]]] = {}
    for key, group in gil.items():
        owners = {_owner(g) for g in group}
        if len(owners) == 1 and "" not in owners:
            by_cause.setdefault((key[1], owners.pop(), _offenders(group)), []).append(key)
    for (lane, owner, modules), keys in by_cause.items():
        host = next((k for k, group in gil.items() if k[1] == lane and canonicalize_name(k[0]) == owner
                     and modules <= _offenders(group)), None)
        if host is None and len(keys) == 1:
            continue
        host = host or keys[0]
        joined[host] = [k[0] for k in keys if k != host]
        joined.update((k, None) for k in keys if k != host)
    return joined
