"""`ftlab run` on a GIL lane and a real free-threaded lane: every free-threaded finding read against the
GIL lane (lab/ftlab/judgement/judge.py). A re-enabled GIL is new and gates; a top-level import failure both lanes share
is listed with its verdict and gates nothing; the decision and every report lead with what is new."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "extensions" / "imports"


@pytest.mark.ft
@pytest.mark.slow
def test_free_threaded_findings_read_against_the_gil_lane(cli, py313, ft_python):
    subjects = [str(FIXTURES / name) for name in ("chain", "raises", "multiphase-nogil")]
    doc, proc = cli.json("run", *subjects, "--lane", f"gil={py313}", "--lane", f"ft={ft_python}", "--no-provision",
                         "--checks", "install,import")
    assert proc.returncode == 1, proc.stderr  # the re-enabled GIL on ft: no-go
    found = {(f["subject"], f["lane"], f["kind"]): f for f in doc["findings"]}

    gil = found[("ftfix-chain", "ft", "gil-reenabled")]
    assert (gil["baseline"], gil["baseline_lane"], gil["gating"], gil["severity"]) == ("new", "gil", True,
                                                                                       "gil-fallback")
    shared = found[("ftfix-raises", "ft", "import-error")]
    assert (shared["baseline"], shared["gating"], shared["severity"]) == ("same", False, "not-importable")
    assert found[("ftfix-raises", "gil", "import-error")]["baseline"] == "baseline"

    # What is new on the free-threaded lane comes first, in the findings and in the decision.
    assert doc["findings"][0]["baseline"] == "new" and doc["findings"][0]["kind"] == "gil-reenabled"
    assert all("ftfix-chain on ft: gil-reenabled" in t for t in doc["triggers"])
    counts = json.loads(next(cli.reports.glob("*.json")).read_text())["counts"]
    # One trigger per package and lane for its GIL findings (each extension module is a finding).
    # "shared" counts the free-threaded finding the GIL lane also shows; the GIL lane's own is "baseline".
    assert counts["shared"] >= 1 and counts["baseline"] >= 1 and counts["new"] > len(doc["triggers"]) == 1
    assert counts["reasons"]["new"] == len(doc["triggers"])

    verdicts = {(v["subject"], v["lane"]): v for v in doc["verdicts"]}
    assert verdicts[("ftfix-chain", "ft")]["verdict"] == "gil-fallback"
    assert verdicts[("ftfix-raises", "ft")]["verdict"] == verdicts[("ftfix-raises", "gil")]["verdict"] == "not-importable"
    assert verdicts[("ftfix-multiphase-nogil", "ft")]["verdict"] == "ready"
    assert verdicts[("ftfix-multiphase-nogil", "ft")]["checks"] == ["install", "import"]

    md = next(cli.reports.glob("*.md")).read_text()
    assert "1 new on the free-threaded lane" in md.splitlines()[2] or "new on the free-threaded lane" in md
    html = next(cli.reports.glob("*.html")).read_text()
    assert html.index('id="new"') < html.index('id="matrix"')
