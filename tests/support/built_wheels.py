"""Real wheels for the loopback index, built on this machine without a public index.

- ``build_project_wheel``: a local project (a C fixture) built with ``uv build --wheel`` for one
  interpreter, with extra ``CFLAGS`` (how the perf fixture's slowed-down build is made);
- ``repack_installed``: a pure-Python distribution installed in the host's Python written back out as
  a wheel (files from its RECORD), so a lane venv filled from the loopback index can install the
  stress runtime's own needs (hypothesis, attrs, sortedcontainers) offline.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

from tests.support.dists import dist_name, zip_wheel
from tests.support.lanes import VENV_TIMEOUT_S, _clean_env, _uv

#: What the stress and perf runtimes install into every lane venv, and what that pulls in on 3.11+.
RUNTIME_DISTRIBUTIONS = ("hypothesis", "attrs", "sortedcontainers")

_SKIPPED = ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json", "WHEEL")


def build_project_wheel(project: Path, python: str, dest: Path, *, cflags: str = "") -> Path:
    """``uv build --wheel`` of a copy of ``project`` for ``python``; the wheel's path."""
    work = dest / f".build-{os.getpid()}-{Path(python).parent.parent.name}-{abs(hash(cflags))}"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(project, work / "src", ignore=shutil.ignore_patterns("build", "dist", "*.egg-info", "__pycache__"))
    env = _clean_env()
    env["UV_PYTHON_DOWNLOADS"] = "never"
    if cflags:
        env["CFLAGS"] = cflags
    proc = subprocess.run([*_uv(), "build", "--wheel", "--python", python, "--out-dir", str(work / "dist"),
                           str(work / "src")], capture_output=True, text=True, timeout=VENV_TIMEOUT_S, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"building {project.name} for {python} failed:\n{proc.stderr[-4000:]}")
    (built,) = (work / "dist").glob("*.whl")
    target = dest / built.name
    shutil.move(str(built), target)
    shutil.rmtree(work, ignore_errors=True)
    return target


def repack_installed(name: str, dest: Path) -> Path:
    """The host's installed ``name`` (pure Python) as a ``py3-none-any`` wheel in ``dest``."""
    dist = metadata.distribution(name)
    version = dist.version
    info = f"{dist_name(dist.metadata['Name'])}-{version}.dist-info"
    files: dict[str, bytes] = {}
    for rel in dist.files or ():
        path = str(rel).replace(os.sep, "/")
        if path.startswith("..") or "__pycache__" in path or path.endswith(".pyc"):
            continue  # scripts outside site-packages, bytecode
        if ".dist-info/" in path:
            base = path.rsplit("/", 1)[-1]
            if base in _SKIPPED:
                continue  # installer's records: the wheel gets its own
            path = f"{info}/{path.split('.dist-info/', 1)[1]}"
        files[path] = Path(str(dist.locate_file(rel))).read_bytes()
    files[f"{info}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: ftlab-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    target = dest / f"{dist_name(dist.metadata['Name'])}-{version}-py3-none-any.whl"
    target.write_bytes(zip_wheel(files, info))
    return target


def runtime_wheels(dest: Path) -> list[Path]:
    """Wheels of what the lab's runtime needs in a lane, from the host's own installs."""
    return [repack_installed(name, dest) for name in RUNTIME_DISTRIBUTIONS]
