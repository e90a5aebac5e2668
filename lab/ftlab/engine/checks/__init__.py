"""The checks, in the order a run executes them (later ones use what earlier ones prepared)."""

from __future__ import annotations

import difflib

from ftlab.engine.checks.base import Check
from ftlab.engine.checks.fingerprint import FingerprintCheck
from ftlab.engine.checks.imports import ImportCheck
from ftlab.engine.checks.install import InstallCheck
from ftlab.engine.checks.perf import PerfCheck
from ftlab.engine.checks.stress import StressCheck
from ftlab.errors import UsageError
from ftlab.records import CHECK_ORDER

_BY_NAME: dict[str, Check] = {c.name: c for c in (FingerprintCheck(), InstallCheck(), ImportCheck(), StressCheck(),
                                                   PerfCheck())}
#: name -> check, in execution order (ftlab.records.CHECK_ORDER).
CHECKS: dict[str, Check] = {name: _BY_NAME[name] for name in CHECK_ORDER}

DEFAULT_CHECKS = ("fingerprint", "install", "import", "stress")


def parse_checks(text: str | None) -> list[str]:
    """`install,import` -> the named checks in execution order. Unknown names get a did-you-mean."""
    if not text:
        return list(DEFAULT_CHECKS)
    names = [n.strip() for n in text.split(",") if n.strip()]
    for n in names:
        if n not in CHECKS:
            close = difflib.get_close_matches(n, list(CHECKS), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise UsageError(f"unknown check '{n}'{hint} (known: {', '.join(CHECKS)})")
    return [n for n in CHECKS if n in names]
