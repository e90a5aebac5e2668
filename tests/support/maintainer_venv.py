"""A free-threaded venv as a maintainer has one: their extension built and installed, pytest, hypothesis,
and this checkout's ftlab importable (a .pth over links named ftlab and ftlab_probes, the names the
distribution installs), so the pytest plugin and `ftlab check --installed` run inside it."""

from __future__ import annotations

import os
from pathlib import Path

from tests.support.lanes import REPO_ROOT, ft_python, lane_venv, session_cache_root

CALIBRATION = REPO_ROOT / "extensions" / "calibration"
PROJECTS = (CALIBRATION / "counter", CALIBRATION / "buffer")
REQUIREMENTS = ("hypothesis", "pytest", "pytest-xdist", "psutil")


def _link(target: Path, link: Path) -> None:
    tmp = link.with_name(f".{link.name}-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(target, target_is_directory=True)
    os.replace(tmp, link)  # atomic: xdist workers may get here at once


def maintainer_venv(tmp_path_factory) -> Path:
    """The venv's python (built once per session, shared by xdist workers)."""
    python = lane_venv(session_cache_root(tmp_path_factory), ft_python(), PROJECTS, REQUIREMENTS)
    venv = python.parent.parent
    src = venv.parent / "ftlab-src"
    src.mkdir(exist_ok=True)
    _link(REPO_ROOT / "lab", src / "ftlab")
    _link(REPO_ROOT / "probes", src / "ftlab_probes")
    for site in venv.glob("lib/python3*/site-packages"):
        (site / "ftlab-checkout.pth").write_text(f"{src}\n")
    return python
