"""The HTML report in a real browser (headless Chromium): the script runs under the report's CSP, the
matrix, a crash section and a minimal scenario are in the rendered DOM, nothing hostile is live, and a
screenshot is kept under test-artifacts/ for people to look at."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ftlab import report
from ftlab.store.db import Store
from tests.conftest import ROOT
from tests.support.runs import store_rich_run

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium); CI installs it")

#: A cold headless start takes a couple of seconds; a loaded CI machine many more.
BROWSER_TIMEOUT_S = 120


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'chromium-profile'}", *args],
        capture_output=True, text=True, timeout=BROWSER_TIMEOUT_S)


@pytest.fixture
def html_report(tmp_path) -> Path:
    store = tmp_path / "store" / "ftlab.sqlite"
    run_id = store_rich_run(store)
    with Store(store) as s:
        outcome = report.outcome_for_report(s.load_run(run_id), store_path=store)
    return report.write_reports(outcome, tmp_path / "reports")["html"]


def test_dom_after_script(html_report, tmp_path):
    proc = _chromium(tmp_path, "--dump-dom", html_report.as_uri())
    dom = proc.stdout
    assert proc.returncode == 0 and "<html" in dom, proc.stderr[-2000:]
    # the script ran (it is allowed by its hash in the CSP) and built the filters
    assert 'data-report-script="ready"' in dom
    assert re.search(r'<select data-facet="verdict">.*<option value="crashes">crashes</option>', dom, re.S)
    assert re.search(r'<select data-facet="kind">.*<option value="corruption">', dom, re.S)
    assert 'class="shown">showing 3 of 3</span>' in dom and 'class="shown">showing 4 of 4</span>' in dom
    assert 'aria-sort="none"' in dom
    # the matrix, a crash section, a minimal scenario
    assert re.search(r'<td class="cell v-crashes" data-col-lane="3.13t"', dom)
    assert "Fatal Python error: Segmentation fault" in dom and '<span class="kind-tag">crash</span>' in dom
    assert re.search(r'<table class="scenario-table">.*value\(\): 1  &lt;-', dom, re.S)
    # hostile strings stayed text: no element was created from them
    assert "<img" not in dom and dom.count("<script") == 1
    assert "&lt;img src=x onerror=alert(1)&gt;" in dom


def test_hash_jump_opens_the_evidence(html_report, tmp_path):
    page = html_report.read_text()
    anchor = re.search(r'<td class="cell v-gil-fallback"[^>]*><a href="#([^"]+)"', page).group(1)
    proc = _chromium(tmp_path, "--dump-dom", html_report.as_uri() + "#" + anchor)
    assert re.search(rf'id="{anchor}"[^>]*class="[^"]*flash|class="[^"]*flash[^"]*" id="{anchor}"', proc.stdout)


def test_screenshot(html_report, tmp_path, request):
    out_dir = ROOT / "test-artifacts"
    out_dir.mkdir(exist_ok=True)
    shot = out_dir / f"report-{request.node.name}.png"
    shot.unlink(missing_ok=True)
    proc = _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1400,2000", html_report.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert shot.exists() and shot.stat().st_size > 50_000  # a real page, not a blank one
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
