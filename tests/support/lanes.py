"""Lane interpreters and lane venvs for tests.

- ``gil_lanes()``: CPython 3.10+ GIL builds on this machine, newest patch release per minor version,
  found through pyenv (``$PYENV_ROOT`` or ``pyenv root``) and ``PATH``; each is asked what it is.
- ``ft_python()``: a free-threaded interpreter from ``FTLAB_FT_PYTHON``, ``python3.14t`` /
  ``python3.13t`` on PATH, pyenv, or ``uv python find``; tests skip with ``FT_SKIP_REASON`` without one.
- ``lane_venv()``: a uv venv for one interpreter with local projects (and requirements) installed,
  built once per test session and shared by pytest-xdist workers through a file lock.
- ``cached_json()``: the same once-per-session guarantee for any JSON-able result (a check's output).
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ftlab.sandbox import process as sandbox

#: The exact reason every free-threaded test skips with when no such interpreter is found.
FT_SKIP_REASON = "no free-threaded interpreter found (set FTLAB_FT_PYTHON, or install python3.14t / 3.13t)"

#: The oldest lane ftlab supports (probes/ keeps to its syntax).
MIN_VERSION = (3, 10)

#: Asking an interpreter about itself is one cold start; slow disks make that seconds.
PROBE_TIMEOUT_S = 30.0

#: Building C fixtures or fetching wheels for one venv; generous for a cold uv cache.
VENV_TIMEOUT_S = 600.0

_PROBE = (
    "import json, sys, sysconfig; print(json.dumps({'version': list(sys.version_info[:3]), "
    "'implementation': sys.implementation.name, "
    "'free_threaded': bool(sysconfig.get_config_var('Py_GIL_DISABLED')), 'executable': sys.executable}))"
)


@dataclass(frozen=True, kw_only=True)
class Interpreter:
    path: str
    version: tuple[int, int, int]
    free_threaded: bool

    @property
    def name(self) -> str:
        return f"{self.version[0]}.{self.version[1]}{'t' if self.free_threaded else ''}"

    def __str__(self) -> str:  # readable pytest ids
        return self.name


@functools.cache
def inspect_interpreter(path: str) -> Interpreter | None:
    """What ``path`` says about itself; None when it is not a working CPython (a broken pyenv shim)."""
    try:
        proc = subprocess.run(
            [path, "-c", _PROBE], capture_output=True, text=True, timeout=PROBE_TIMEOUT_S, env=_clean_env()
        )
        info = json.loads(proc.stdout) if proc.returncode == 0 else None
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    if not info or info["implementation"] != "cpython":
        return None
    return Interpreter(path=path, version=tuple(info["version"]), free_threaded=info["free_threaded"])


def _clean_env() -> dict[str, str]:
    env = dict(os.environ)
    for var in ("PYTHONPATH", "PYTHONHOME", "PYTHON_GIL", "VIRTUAL_ENV"):
        env.pop(var, None)
    return env


def pyenv_root() -> Path | None:
    if os.environ.get("PYENV_ROOT"):
        return Path(os.environ["PYENV_ROOT"])
    pyenv = shutil.which("pyenv")
    if not pyenv:
        return None
    try:
        out = subprocess.run([pyenv, "root"], capture_output=True, text=True, timeout=PROBE_TIMEOUT_S)
    except (OSError, subprocess.SubprocessError):
        return None
    return Path(out.stdout.strip()) if out.returncode == 0 and out.stdout.strip() else None


def _candidates() -> list[str]:
    paths = []
    root = pyenv_root()
    if root and (root / "versions").is_dir():
        for version_dir in sorted((root / "versions").iterdir()):
            for exe in ("python3", "python"):
                candidate = version_dir / "bin" / exe
                if candidate.exists():
                    paths.append(str(candidate))
                    break
    for minor in range(MIN_VERSION[1], 20):
        for suffix in ("", "t"):
            found = shutil.which(f"python3.{minor}{suffix}")
            if found:
                paths.append(found)
    return paths


@functools.cache
def _interpreters() -> tuple[Interpreter, ...]:
    seen, found = set(), []
    for path in _candidates():
        real = os.path.realpath(path)
        if real in seen:
            continue
        seen.add(real)
        interp = inspect_interpreter(path)
        if interp is not None and interp.version[:2] >= MIN_VERSION:
            found.append(interp)
    return tuple(found)


def gil_lanes() -> list[Interpreter]:
    """GIL builds, one per minor version (the newest patch), oldest first."""
    best: dict[tuple[int, int], Interpreter] = {}
    for interp in _interpreters():
        if interp.free_threaded:
            continue
        key = interp.version[:2]
        if key not in best or interp.version > best[key].version:
            best[key] = interp
    return [best[k] for k in sorted(best)]


@functools.cache
def ft_python() -> Interpreter | None:
    """A free-threaded interpreter, or None. A set ``FTLAB_FT_PYTHON`` that is not one is an error."""
    explicit = os.environ.get("FTLAB_FT_PYTHON")
    if explicit:
        interp = inspect_interpreter(explicit)
        if interp is None or not interp.free_threaded:
            raise RuntimeError(
                f"FTLAB_FT_PYTHON={explicit} is not a free-threaded CPython (sysconfig Py_GIL_DISABLED is "
                "not 1); point it at a python3.13t or python3.14t"
            )
        return interp
    candidates = [i for i in _interpreters() if i.free_threaded]
    uv = shutil.which("uv")
    if not candidates and uv:
        for request in ("3.14t", "3.13t"):
            try:
                out = subprocess.run(
                    [uv, "python", "find", request],
                    capture_output=True,
                    text=True,
                    timeout=PROBE_TIMEOUT_S,
                    env={**_clean_env(), "UV_PYTHON_DOWNLOADS": "never"},
                )
            except (OSError, subprocess.SubprocessError):
                continue
            path = out.stdout.strip()
            if out.returncode == 0 and path:
                interp = inspect_interpreter(path)
                if interp is not None and interp.free_threaded:
                    candidates.append(interp)
    return max(candidates, key=lambda i: i.version) if candidates else None


# --- venvs shared by a whole test session ----------------------------------------------------------


def session_cache_root(tmp_path_factory) -> Path:
    """A folder shared by every pytest-xdist worker of this session (the workers' basetemp parent)."""
    base = tmp_path_factory.getbasetemp()
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "ftlab-shared"
    root.mkdir(parents=True, exist_ok=True)
    return root


def _locked_build(root: Path, key: str, build: Callable[[Path], None]) -> Path:
    """``root/key``, built by ``build(path)`` once; other processes wait on the lock and reuse it."""
    target = root / key
    with open(root / (key + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        ready = target / ".ftlab-ready"
        if not ready.exists():
            if target.exists():  # a build interrupted earlier in the session
                shutil.rmtree(target)
            target.mkdir()
            build(target)
            ready.write_text("ok\n")
    return target


def _uv() -> list[str]:
    uv = shutil.which("uv")
    return [uv] if uv else [sys.executable, "-m", "uv"]


def _run(cmd: Sequence[str], what: str) -> None:
    env = _clean_env()
    env["UV_PYTHON_DOWNLOADS"] = "never"
    proc = subprocess.run(list(cmd), capture_output=True, text=True, timeout=VENV_TIMEOUT_S, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed (exit {proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-4000:]}")


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def lane_venv(
    root: Path,
    interpreter: Interpreter | str,
    projects: Sequence[Path] = (),
    requirements: Sequence[str] = (),
) -> Path:
    """The python of a venv for ``interpreter`` with local ``projects`` and ``requirements`` installed.

    Projects are copied before building so parallel builds for different lanes never share a
    setuptools ``build/`` or ``*.egg-info`` folder in the source tree.
    """
    python = interpreter.path if isinstance(interpreter, Interpreter) else str(interpreter)
    projects = [Path(p).resolve() for p in projects]
    digest = hashlib.sha256(
        json.dumps([os.path.realpath(python), [str(p) for p in projects], list(requirements)]).encode()
    ).hexdigest()[:16]

    def build(target: Path) -> None:
        venv = target / "venv"
        _run([*_uv(), "venv", "--quiet", "--no-project", "--python", python, str(venv)], "creating a venv")
        sources = []
        for project in projects:
            copy = target / "src" / project.name
            shutil.copytree(
                project, copy, ignore=shutil.ignore_patterns("build", "dist", "*.egg-info", "__pycache__")
            )
            sources.append(str(copy))
        if sources or requirements:
            _run(
                [
                    *_uv(),
                    "pip",
                    "install",
                    "--quiet",
                    "--python",
                    str(venv_python(venv)),
                    *sources,
                    *requirements,
                ],
                "installing " + ", ".join([p.name for p in projects] + list(requirements)),
            )

    return venv_python(_locked_build(root, "venv-" + digest, build) / "venv")


def cached_json(root: Path, key: str, produce: Callable[[], object]) -> object:
    """``produce()`` once per session across xdist workers; its JSON-able value is shared."""
    safe = hashlib.sha256(key.encode()).hexdigest()[:16]

    def build(target: Path) -> None:
        (target / "value.json").write_text(json.dumps(produce()))

    return json.loads((_locked_build(root, "json-" + safe, build) / "value.json").read_text())


# --- running the in-lane runtime the way the host does ---------------------------------------------

REPO_ROOT = Path(__file__).resolve().parent.parent.parent


def run_probe(
    python: Path | str,
    command: str,
    options: dict,
    workdir: Path,
    *,
    timeout_s: float = 120.0,
    pythonpath: Sequence[Path] = (),
    job_id: str = "test",
) -> dict:
    """``python -X faulthandler -m ftlab_probes.runtime COMMAND --job J --out O``; the result document.

    The in-lane package goes on PYTHONPATH (``ftlab.sandbox.process.runtime_path``, as the host does it); an
    unreadable result fails with the child's output, so a broken child is diagnosed from the test log.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    job = {
        "format": "ftlab-job/1",
        "job_id": job_id,
        "command": command,
        "subject": None,
        "lane": {},
        "options": options,
        "timeout_s": timeout_s,
        "artifacts_dir": str(workdir / "artifacts"),
        "limits": {},
    }
    job_path, out_path = workdir / "job.json", workdir / "result.json"
    job_path.write_text(json.dumps(job))
    env = _clean_env()
    env["PYTHONPATH"] = os.pathsep.join([sandbox.runtime_path(), *map(str, pythonpath)])
    proc = subprocess.run(
        [
            str(python),
            "-X",
            "faulthandler",
            "-m",
            "ftlab_probes.runtime",
            command,
            "--job",
            str(job_path),
            "--out",
            str(out_path),
        ],
        capture_output=True,
        text=True,
        timeout=timeout_s + 30,
        cwd=workdir,
        env=env,
    )
    if not out_path.exists():
        raise AssertionError(
            f"no result from ftlab_probes.runtime {command} (exit {proc.returncode})\n"
            f"stdout:\n{proc.stdout[-4000:]}\nstderr:\n{proc.stderr[-4000:]}"
        )
    return json.loads(out_path.read_text())


def py314() -> Interpreter | None:
    """A real CPython 3.14 GIL build: FTLAB_PY314 (set by .ci/run), or one found on this machine."""
    explicit = os.environ.get("FTLAB_PY314")
    if explicit:
        interp = inspect_interpreter(explicit)
        if interp is not None and not interp.free_threaded and interp.version[:2] == (3, 14):
            return interp
    return next((i for i in gil_lanes() if i.version[:2] == (3, 14)), None)


#: Why the real-3.14 tests skip where there is none.
PY314_SKIP_REASON = "no CPython 3.14 GIL build here (set FTLAB_PY314; CI provisions one from Debian's packages)"
