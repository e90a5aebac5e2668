"""Every hand-written stdlib probe on the newest CPython 3.12+ GIL lane of this machine (every such lane
with FTLAB_ALL_LANES=1): clean, or (for probes with a known finding recorded in probes/FINDINGS.md)
clean or that finding.

Budgets are short (the engine is probabilistic; probes/FINDINGS.md has the longer runs). The lane
venvs hold only hypothesis.
"""

from __future__ import annotations

import os

import pytest

from ftlab_probes.catalog import catalog, probes_for
from tests.support.findings import undeclared_findings
from tests.support.lanes import gil_lanes, lane_venv, run_probe, session_cache_root

#: Seconds of search per probe: tens of scenarios, thousands of invocations.
BUDGET_S = 1.5
LANES = [lane for lane in gil_lanes() if lane.version[:2] >= (3, 12)]
PROBES = probes_for("stdlib", catalog())


def check_outcome(result, entry):
    """Clean, or the finding the catalog says is known (with a repro script); see tests/support/findings.py."""
    assert result["status"] in ("ok", "findings"), result["data"]
    if result["status"] == "findings":
        assert not undeclared_findings(result["signals"], entry["expected_finding"], entry.get("known_issue"))
        assert all(s["evidence"]["repro"] for s in result["signals"])


def lane_params():
    """The newest lane; older ones (each about 150 s of probe runs) with FTLAB_ALL_LANES=1, marked slow."""
    if not LANES:
        return [None]
    lanes = LANES if os.environ.get("FTLAB_ALL_LANES") else LANES[-1:]
    return [pytest.param(lane, marks=() if lane is LANES[-1] else pytest.mark.slow, id=str(lane)) for lane in lanes]


@pytest.fixture(scope="module", params=lane_params())
def lane_python(request, tmp_path_factory):
    if request.param is None:
        pytest.skip("no CPython 3.12+ GIL lane found (pyenv or PATH)")
    return lane_venv(session_cache_root(tmp_path_factory), request.param, requirements=["hypothesis"])


@pytest.mark.network
@pytest.mark.parametrize("entry", PROBES, ids=[e["probe"].split(".", 2)[2] for e in PROBES])
def test_stdlib_probe(lane_python, entry, tmp_path):
    result = run_probe(lane_python, "stress", {"probe": entry["probe"], "budget_s": BUDGET_S, "minimize_s": 5},
                       tmp_path, timeout_s=60)
    check_outcome(result, entry)
    assert result["data"]["scenarios_run"] >= 1


def test_catalog_lists_the_stdlib_objects_the_brief_names():
    names = {e["probe"].split(":")[1] for e in PROBES}
    for wanted in ("JSONEncoderProbe", "JSONDecoderProbe", "RePatternProbe", "DequeProbe", "OrderedDictProbe",
                   "CounterProbe", "DefaultDictProbe", "BytesIOProbe", "StringIOProbe", "LruCacheProbe",
                   "DecimalContextProbe", "Sha256Probe", "RandomProbe", "QueueProbe", "SqliteConnectionProbe"):
        assert wanted in names
