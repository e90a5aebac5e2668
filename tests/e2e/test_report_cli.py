"""`ftlab run` writes every report; `ftlab report` re-renders stored runs in each format."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.support.runs import store_rich_run
from tests.unit.test_report_formats import check_junit_structure


def test_run_writes_every_report_and_report_rerenders(cli, py312, py313):
    doc, proc = cli.json("run", "--lane", "3.12", "--lane", "3.13", "--no-provision", check=0)
    reports = {k: Path(v) for k, v in doc["reports"].items()}
    assert list(reports) == ["html", "md", "json", "junit"]
    assert all(p.exists() and p.parent == cli.reports for p in reports.values())
    page = reports["html"].read_text()
    assert "UNDECIDED" in page and page.count('class="kind k-gil">GIL<') == 2 and 'class="kind k-ft"' not in page
    assert json.loads(reports["json"].read_text())["run_id"] == doc["run_id"]

    md = cli("report", "latest", "--format", "md", check=0).stdout
    assert md.startswith("## ftlab: **UNDECIDED**") and "| 3.12 | GIL |" in md
    rep = json.loads(cli("report", doc["run_id"][:12], "--format", "json", check=0).stdout)
    assert rep["format"] == "ftlab-report/5" and rep["decision"] == "undecided"
    assert {r["check"] for r in rep["results"]} == {"fingerprint"}
    root = ET.fromstring(cli("report", "--format", "junit", check=0).stdout)
    check_junit_structure(root)
    assert int(root.get("tests")) == 2 and int(root.get("failures")) == 0

    out = cli.tmp / "elsewhere" / "r.html"
    proc = cli("report", "--format", "html", "-o", str(out), check=0)
    assert proc.stdout.strip() == str(out.resolve()) and "Lanes" in out.read_text()
    proc = cli("report", check=0)  # html by default, into the report folder
    assert Path(proc.stdout.strip()) == reports["html"]


def test_report_of_a_rich_stored_run(cli):
    store_rich_run(cli.store)
    proc = cli("report", "--format", "md", check=0)
    assert "**CRASHES**" in proc.stdout and proc.stderr == ""
    proc = cli("report", "--format", "junit", "-o", "-", check=0)
    check_junit_structure(ET.fromstring(proc.stdout))


def test_report_bad_input(cli, tmp_path):
    proc = cli("report", check=2)
    assert proc.stderr.startswith("ftlab: error: ") and "no runs yet" in proc.stderr
    store_rich_run(cli.store)
    proc = cli("report", "nosuchrun", check=2)
    assert "is not in the store" in proc.stderr and proc.stdout == ""
    proc = cli("report", "--format", "pdf", check=2)
    assert "invalid choice" in proc.stderr
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    proc = cli("report", "-o", str(blocker / "r.html"), check=2)
    assert "cannot write the report" in proc.stderr


@pytest.mark.network
def test_install_run_report_shows_wheel_tags(cli, py312, py313):
    doc, proc = cli.json("run", "--lane", "3.12", "--lane", "3.13", "--no-provision", "--checks", "fingerprint,install",
                         "pyyaml")
    assert proc.returncode in (0, 1), proc.stderr
    page = Path(doc["reports"]["html"]).read_text()
    assert "Install record" in page
    for r in (r for r in doc["results"] if r["check"] == "install" and r["status"] == "ok"):
        tag = r["data"]["subject_dist"].get("wheel_tag")
        if tag:
            assert tag in page
    root = ET.fromstring(Path(doc["reports"]["junit"]).read_text())
    check_junit_structure(root)
    names = {(c.get("classname"), c.get("name")) for c in root.iter("testcase")}
    assert ("ftlab.3.12.install", "pyyaml") in names and ("ftlab.3.13.fingerprint", "3.13") in names
