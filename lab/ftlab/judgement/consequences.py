"""Findings that are the consequence of another, read as such (pure functions over records).

- **Built without its extension.** A free-threaded lane whose install of the subject lacks compiled
  modules the baseline GIL lane's install has (google-crc32c built from its sdist on 3.14t without
  ``_crc32c``, falling back to pure Python) gets one ``built-without-extension`` finding: worth knowing,
  like ``pure-python-wheel``, never gating; the submodules that need the missing extension are read
  as that finding's consequence, not as import errors new on the lane.
- **Import errors that follow a failed install.** When a distribution the subject needs did not
  install on a lane (polars-runtime-32 has no cp314t wheel), an import error of the subject that
  names it, or that is new on the lane while the baseline imports the module, is that failure's
  consequence: listed under the install finding (``consequences``), not a finding of its own.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from packaging.utils import canonicalize_name

from ftlab.records import Result, Signal

#: Install findings an import error can follow from.
INSTALL_FAILURES = frozenset({"install-failed", "no-wheel"})
#: Import consequences named in an install finding's summary; the evidence lists every one.
SHOWN_CONSEQUENCES = 3


class _Finding(Protocol):
    subject: str
    lane: str
    check: str
    signal: Signal
    baseline: str
    baseline_note: str


def _rows(result: Result | None) -> dict[str, Mapping[str, Any]]:
    rows = result.data.get("modules") if result is not None and isinstance(result.data, Mapping) else None
    return {str(row.get("module")): row for row in rows or () if isinstance(row, Mapping)}


def missing_extensions(imports: Result | None, base_imports: Result | None) -> list[str]:
    """Compiled modules the baseline's import check found in the subject that this lane's install does
    not have at all: neither imported, nor skipped, nor cut by the budget (pure)."""
    if imports is None or base_imports is None:
        return []
    if any(r.status not in ("ok", "findings") for r in (imports, base_imports)):
        return []
    discovery = imports.data.get("discovery") if isinstance(imports.data, Mapping) else None
    if isinstance(discovery, Mapping) and discovery.get("budget_cut"):
        return []  # a module may only have been cut here
    here = set(_rows(imports)) | {str(s.get("module")) for s in imports.data.get("skipped") or ()
                                  if isinstance(s, Mapping)}
    return sorted(m for m, row in _rows(base_imports).items() if row.get("kind") == "extension" and m not in here)


def built_without_extension(imports: Result, install: Result | None, base_install: Result | None,
                            base_name: str, missing: Sequence[str]) -> Signal:
    """The finding for a lane whose install lacks the baseline's compiled ``missing`` modules."""
    here = (install.data.get("subject_dist") or {}) if install is not None else {}
    there = (base_install.data.get("subject_dist") or {}) if base_install is not None else {}
    how = {"sdist": f"built from {here.get('filename') or 'its sdist'}",
           "wheel": f"the wheel {here.get('wheel_tag') or here.get('filename') or ''}".rstrip(),
           "local": "built from the local project"}.get(str(here.get("outcome") or ""), "its install")
    shown = ", ".join(missing[:SHOWN_CONSEQUENCES]) + (
        f" and {len(missing) - SHOWN_CONSEQUENCES} more" if len(missing) > SHOWN_CONSEQUENCES else "")
    name = here.get("name") or imports.subject
    return Signal(kind="built-without-extension",
                  summary=f"{name} on this lane ({how}) lacks the compiled module{'s' if len(missing) > 1 else ''} "
                          f"{shown} that {base_name}'s install has: it runs without {'them' if len(missing) > 1 else 'it'} "
                          "(its pure-Python fallback, slower)",
                  evidence={"modules": list(missing), "install_outcome": here.get("outcome"),
                            "wheel_tag": here.get("wheel_tag"), "filename": here.get("filename"),
                            "baseline_wheel_tag": there.get("wheel_tag"), "baseline_filename": there.get("filename")})


def _import_names(distribution: str) -> list[str]:
    """How a distribution's modules are usually spelled: polars-runtime-32 -> polars_runtime_32."""
    canonical = canonicalize_name(distribution)
    return list(dict.fromkeys([canonical.replace("-", "_"), canonical.replace("-", "")]))


def _names_it(signal: Signal, distribution: str) -> bool:
    ev = signal.evidence
    text = " ".join(map(str, [*(ev.get("needs") or ()), ev.get("error_message") or "", ev.get("traceback") or ""]))
    return any(re.search(re.escape(name), text, re.IGNORECASE) for name in _import_names(distribution))


def _cause(f: _Finding, failed: Sequence[Mapping[str, Any]]) -> tuple[Mapping[str, Any], str] | None:
    """(failed distribution, how it was matched) for an import finding, or None."""
    named = next((d for d in failed if _names_it(f.signal, str(d.get("name") or ""))), None)
    if named is not None:
        return named, "named"
    if f.baseline == "new" and f.baseline_note.startswith("imports on") and failed:
        return failed[0], "new-on-lane"
    return None


def fold_into_install(found: Sequence[Any], by_cell: Mapping[tuple[str, str, str], Result]) -> list[Any]:
    """``found`` with every import error that follows a failed install folded into that install's
    finding: its evidence lists them (``consequences``), its summary says how many (pure)."""
    failed_in: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for (subject, lane, check), r in by_cell.items():
        if check == "install":
            dists = r.data.get("dists") if isinstance(r.data, Mapping) else None
            failed = [d for d in dists or () if isinstance(d, Mapping) and d.get("outcome") == "failed"]
            if failed:
                failed_in[(subject, lane)] = failed
    if not failed_in:
        return list(found)
    install_findings = {(f.subject, f.lane, str(f.signal.evidence.get("name") or "")): f for f in found
                        if f.check == "install" and f.signal.kind in INSTALL_FAILURES}
    folded: dict[tuple[str, str, str], list[tuple[Any, str]]] = {}
    keep = []
    for f in found:
        failed = failed_in.get((f.subject, f.lane))
        cause = _cause(f, failed) if failed and f.check == "import" and f.signal.kind == "import-error" else None
        key = (f.subject, f.lane, str(cause[0].get("name") or "")) if cause else None
        if key is not None and key in install_findings:
            folded.setdefault(key, []).append((f, cause[1]))
            continue
        keep.append(f)
    return [_with_consequences(f, folded.get((f.subject, f.lane, str(f.signal.evidence.get("name") or ""))))
            if f.check == "install" else f for f in keep]


def _with_consequences(f: Any, consequences: list[tuple[Any, str]] | None) -> Any:
    if not consequences:
        return f
    modules = [str(c.signal.evidence.get("module") or "?") for c, _ in consequences]
    shown = ", ".join(modules[:SHOWN_CONSEQUENCES]) + (
        f" and {len(modules) - SHOWN_CONSEQUENCES} more" if len(modules) > SHOWN_CONSEQUENCES else "")
    n = len(modules)
    summary = f"{f.signal.summary}; so {n} module{'s' if n > 1 else ''} of {f.subject} fail{'' if n > 1 else 's'} to import: {shown}"
    evidence = {**f.signal.evidence,
                "consequences": [{"module": m, "summary": c.signal.summary, "matched": how, "baseline_note": c.baseline_note}
                                 for m, (c, how) in zip(modules, consequences, strict=True)]}
    return dataclasses.replace(f, signal=dataclasses.replace(f.signal, summary=summary, evidence=evidence))
