"""A free-threaded venv as a maintainer has one: their extension built and installed, pytest, hypothesis,
and this checkout's ftlab importable (a .pth naming its two source roots, lab/ and probes/), so the pytest plugin and `ftlab check --installed` run inside it."""

from __future__ import annotations

from pathlib import Path

from tests.support.lanes import REPO_ROOT, ft_python, lane_venv, session_cache_root

CALIBRATION = REPO_ROOT / "extensions" / "calibration"
PROJECTS = (CALIBRATION / "counter", CALIBRATION / "buffer")
REQUIREMENTS = ("hypothesis", "pytest", "pytest-xdist", "psutil")


def maintainer_venv(tmp_path_factory) -> Path:
    """The venv's python (built once per session, shared by xdist workers)."""
    python = lane_venv(session_cache_root(tmp_path_factory), ft_python(), PROJECTS, REQUIREMENTS)
    venv = python.parent.parent
    for site in venv.glob("lib/python3*/site-packages"):
        (site / "ftlab-checkout.pth").write_text(f"{REPO_ROOT / 'lab'}\n{REPO_ROOT / 'probes'}\n")
    return python
