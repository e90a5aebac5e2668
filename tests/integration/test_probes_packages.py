"""Every hand-written package probe (probes/ftlab_probes/packages/) on the newest CPython 3.12+ GIL lane of this
machine, with the package's current release from PyPI: clean, or the known finding recorded in
probes/FINDINGS.md (with its repro script). One venv holds every probed package. (The stdlib probes
run on every 3.12+ lane in test_probes_stdlib.py; these are the same engine on other objects, and
~2 minutes a lane.)
"""

from __future__ import annotations

import pytest

from ftlab_probes.catalog import catalog
from tests.integration.test_probes_stdlib import LANES, check_outcome
from tests.support.lanes import lane_venv, run_probe, session_cache_root

BUDGET_S = 2.0
PROBES = [e for e in catalog() if e["kind"] == "hand-written" and e["subject"] != "stdlib"]
PACKAGES = sorted({e["subject"] for e in PROBES})


@pytest.fixture(scope="module", params=LANES[-1:] or [None], ids=str)
def lane_python(request, tmp_path_factory):
    if request.param is None:
        pytest.skip("no CPython 3.12+ GIL lane found (pyenv or PATH)")
    return lane_venv(session_cache_root(tmp_path_factory), request.param, requirements=["hypothesis", *PACKAGES])


def test_at_least_eight_packages_are_probed():
    assert len(PACKAGES) >= 8, PACKAGES
    assert {"numpy", "pyyaml"} <= set(PACKAGES)


@pytest.mark.network
@pytest.mark.slow
@pytest.mark.parametrize("entry", PROBES, ids=[e["probe"].split(".", 2)[2] for e in PROBES])
def test_package_probe(lane_python, entry, tmp_path):
    result = run_probe(lane_python, "stress", {"probe": entry["probe"], "budget_s": BUDGET_S, "minimize_s": 5},
                       tmp_path, timeout_s=60)
    check_outcome(result, entry)
