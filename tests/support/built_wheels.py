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
import sys
from collections.abc import Sequence
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


def runtime_wheels(dest: Path, pythons: Sequence[str] = ()) -> list[Path]:
    """Wheels of what the lab's runtime needs in a lane: the host's own installs, repacked when pure
    Python; a distribution the host installed with a compiled module (hypothesis from 6.156 on ships
    ``hypothesis._native``) is fetched as the wheel each of ``pythons`` needs, from the configured index."""
    wheels = []
    for name in RUNTIME_DISTRIBUTIONS:
        if _is_pure(name):
            wheels.append(repack_installed(name, dest))
        else:
            wheels += [download_wheel(name, metadata.version(name), python, dest) for python in pythons]
    return wheels


def _is_pure(name: str) -> bool:
    return not any(str(f).endswith((".so", ".pyd")) for f in metadata.distribution(name).files or ())


def download_wheel(name: str, version: str, python: str, dest: Path) -> Path:
    """The wheel of ``name==version`` for the interpreter ``python``, by the host's pip (a lane may have
    none), told that interpreter's version, ABI and platform."""
    probe = ("import platform, sys, sysconfig; t = 't' if sysconfig.get_config_var('Py_GIL_DISABLED') else ''; "
             "print('%d.%d' % sys.version_info[:2], 'cp%d%d%s' % (*sys.version_info[:2], t), platform.machine())")
    version_xy, abi, machine = subprocess.run([python, "-c", probe], capture_output=True, text=True,
                                              check=True).stdout.split()
    before = set(dest.glob("*.whl"))
    proc = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                           "--python-version", version_xy, "--implementation", "cp", "--abi", abi,
                           "--platform", f"manylinux2014_{machine}", "--dest", str(dest), f"{name}=={version}"],
                          capture_output=True, text=True, timeout=VENV_TIMEOUT_S)
    if proc.returncode != 0:
        raise RuntimeError(f"no {name}=={version} wheel for {python} ({abi}):\n{proc.stderr[-2000:]}")
    fetched = sorted(set(dest.glob("*.whl")) - before) or sorted(dest.glob(f"{dist_name(name)}-{version}-*{abi}*.whl"))
    return fetched[0]
