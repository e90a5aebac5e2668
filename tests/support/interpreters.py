"""Find this machine's interpreters for tests, independently of the code under test (lab.lanes)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path


def _pyenv_versions() -> list[Path]:
    root = os.environ.get("PYENV_ROOT")
    if not root and shutil.which("pyenv"):
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True).stdout.strip()
    root = root or str(Path.home() / ".pyenv")
    return sorted((Path(root) / "versions").glob("*"))


def _query(python: str, code: str) -> str:
    try:
        return subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def is_free_threaded(python: str) -> bool:
    return _query(python, "import sysconfig; print(bool(sysconfig.get_config_var('Py_GIL_DISABLED')))") == "True"


def find_gil_python(major: int, minor: int) -> str | None:
    names = [f"python{major}.{minor}"]
    cands = [str(d / "bin" / n) for d in _pyenv_versions() if d.name.startswith(f"{major}.{minor}.") for n in names]
    cands += [p for p in (shutil.which(n) for n in names) if p and "shims" not in p]
    for c in cands:
        if os.access(c, os.X_OK) and not is_free_threaded(c):
            return c
    return None


def find_ft_python() -> tuple[str | None, str]:
    """A free-threaded interpreter from FTLAB_FT_PYTHON, PATH, pyenv or uv; else the reason there is none."""
    env = os.environ.get("FTLAB_FT_PYTHON")
    if env:
        if is_free_threaded(env):
            return env, ""
        return None, f"FTLAB_FT_PYTHON={env} is not a free-threaded build"
    cands = [shutil.which(n) for n in ("python3.14t", "python3.13t")]
    for d in _pyenv_versions():
        cands += [str(p) for p in (d / "bin").glob("python3.*t")]
    if shutil.which("uv"):
        for spec in ("3.14t", "3.13t"):
            out = subprocess.run(["uv", "python", "find", "--managed-python", spec], capture_output=True, text=True).stdout.strip()
            cands.append(out or None)
    for c in cands:
        if c and os.access(c, os.X_OK) and is_free_threaded(c):
            return c, ""
    return None, ("no free-threaded interpreter found (set FTLAB_FT_PYTHON, or 'uv python install 3.14t'); "
                  "free-threaded expectations are not checked on this machine")


def find_py314() -> tuple[str | None, str]:
    """A real CPython 3.14 GIL build: FTLAB_PY314 (set by .ci/run), or python3.14 on PATH/pyenv."""
    cands = [os.environ.get("FTLAB_PY314"), shutil.which("python3.14")]
    cands += [str(d / "bin" / "python3.14") for d in _pyenv_versions() if d.name.startswith("3.14")]
    for c in cands:
        if c and os.access(c, os.X_OK) and not is_free_threaded(c) and _query(c, "import sys; print(sys.version_info[:2] == (3, 14))") == "True":
            return c, ""
    return None, "no CPython 3.14 GIL build here (set FTLAB_PY314; CI provisions one from Debian's packages)"
