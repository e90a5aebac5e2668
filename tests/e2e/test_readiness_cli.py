"""`ftlab readiness` through the real CLI: one line per package by default, the matrix with --wide, a page
with --format html; the JSON is unchanged (tests/integration/test_readiness.py)."""

from __future__ import annotations

import pytest

from ftlab.report.readiness_table import LINE_WIDTH

pytestmark = pytest.mark.network


def test_a_real_small_set_one_line_per_package_within_120_columns(cli, tmp_path):
    proc = cli("readiness", "numpy", "pyyaml", "grpcio", "--index-url", "https://pypi.org/simple",
               env={"COLUMNS": "250"})  # off a terminal the view keeps to 120 columns whatever COLUMNS says
    assert proc.returncode in (0, 1), proc.stderr
    lines = proc.stdout.splitlines()
    assert all(len(ln) <= LINE_WIDTH for ln in lines), max(lines, key=len)
    for name in ("numpy", "pyyaml", "grpcio"):
        (line,) = [ln for ln in lines if ln.startswith(f"{name} ")]
        assert "cp314t" in line or "cp314t" in lines[lines.index(line) + 1]
    assert any(ln.startswith("cp314: ") and "cp314t: " in ln for ln in lines)

    wide = cli("readiness", "pyyaml", "--index-url", "https://pypi.org/simple", "--wide")
    assert "linux" in wide.stdout and "x86_64" in wide.stdout and "ready" in wide.stdout

    page = tmp_path / "page.html"
    html = cli("readiness", "pyyaml", "--index-url", "https://pypi.org/simple", "--format", "html", "-o", str(page))
    assert html.stdout.strip() == str(page.resolve()) and "<table>" in page.read_text()
