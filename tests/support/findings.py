"""How clean-probe tests of third-party code judge findings.

A probe of a real package must run clean, or find only what it declares (`expected_finding` for
documented behaviour, `known_issue` for a real bug found before; both written down in probes/FINDINGS.md). A finding that reproduces (k > 0 in the replays of its scenario) and is
not declared fails the test: write it down or fix the probe. A single observation that did not
reproduce in hundreds of replays (k == 0) is a rare interleaving in code we do not own: the test
reports it as a warning with the scenario, so it is seen, and goes on.
"""

from __future__ import annotations

import warnings


class UnconfirmedFinding(UserWarning):
    """A finding seen once by the search and not reproduced by its replays."""


def undeclared_findings(signals, expected, known_issue=None) -> list[str]:
    """Summaries of the findings a clean-probe test fails on; warns about unconfirmed ones."""
    failing = []
    for sig in signals:
        ev = sig.get("evidence") or {}
        if expected is True or ev.get("expected_finding") or (isinstance(expected, str) and sig["kind"] == expected):
            continue
        if known_issue or ev.get("known_issue"):
            continue
        rate = ev.get("rate") or [1, 1]
        if rate[0] == 0:
            warnings.warn(UnconfirmedFinding(f"{ev.get('probe', '?')}: {sig['summary']}"), stacklevel=2)
            continue
        failing.append(f"{ev.get('probe', '?')}: {sig['summary']}")
    return failing
