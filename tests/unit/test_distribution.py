"""What the ftlab wheel installs: import names of its own, never PyPI's `lab` or `probes`."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent.parent


@pytest.mark.slow
def test_the_wheel_installs_only_ftlab_names_at_the_top_level(tmp_path):
    # A copy: setuptools builds in the source tree's build/, which other tests' builds may be using.
    src = tmp_path / "src"
    for folder in ("lab", "probes"):
        shutil.copytree(REPO / folder, src / folder, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    "-w", str(tmp_path / "dist"), str(src)], check=True, capture_output=True, timeout=300)
    (wheel,) = (tmp_path / "dist").glob("ftlab-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names}
    assert top == {"ftlab", "ftlab_probes", next(t for t in top if t.endswith(".dist-info"))}
    # The in-lane side and the report assets travel with it.
    assert "ftlab_probes/runtime/__main__.py" in names and "ftlab/report/assets/report.css" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "ftlab = ftlab.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
