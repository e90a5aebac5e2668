"""The hostile suite through the real CLI (tests/support/hostile.py): each attack contained and recorded
with the right outcome, the lab exits normally, the harmless subjects are unaffected, nothing outside the
sandbox changes and no process started by the run is left."""

from __future__ import annotations

import re

import pytest

from ftlab.sandbox import process as sandbox
from tests.support import hostile

LAYERS = sandbox.isolation_prefix(False)[1]


@pytest.mark.slow
@pytest.mark.skipif(not {"netns", "pidns", "mountns"} <= set(LAYERS),
                    reason=f"the hostile suite needs network, PID and mount namespaces (granted here: {list(LAYERS) or 'none'})")
def test_hostile_packages_are_contained_and_recorded(py312, tmp_path):
    got = hostile.run_suite(tmp_path / "suite", "3.12")
    assert "error" not in got, got.get("error")
    assert got["first_exit"] == 0 and got["exit"] == 1, got["stderr_tail"]  # findings, not a lab failure
    assert "Traceback" not in got["stderr_tail"]
    rows = got["rows"]
    assert set(rows) == set(hostile.EXPECTED)
    for module, (outcome, evidence) in hostile.EXPECTED.items():
        assert rows[module]["outcome"] == outcome, (module, rows[module])
        assert evidence in hostile.evidence_text(rows[module]), (module, hostile.evidence_text(rows[module])[-500:])
    assert got["cases_contained"] == got["cases"] == 13, got["contained"]
    assert got["rest_of_run_ok"]
    assert got["verdicts"] == {"ftfix-hostile": "crashes", "ftfix-hostile-build": "ready", "ftcalib-registry": "ready"}
    imports = got["results"][("ftfix-hostile", "import")]
    assert {s["kind"] for s in imports["signals"]} == {"crash", "hang", "import-error"}
    assert any(hostile.MARKERS[0] in o["cmdline"] for o in imports["data"]["sandbox"]["orphans"])
    assert got["survivors"] == []
    assert "left running</b> when the check ended, killed by the sandbox" in got["report_html"]
    # uv runs setup.py once for the build requirements and once for the wheel: one daemon each time.
    assert re.search(r"the build left \d+ process(es)? running, killed by the sandbox: <code>[^<]*"
                     + hostile.MARKERS[1], got["report_html"])
    assert got["connections"] == 0
    assert got["touched_outside"] == []
    print(f"hostile suite: {got['cases_contained']}/{got['cases']} contained in {got['seconds']} s")
