"""Shared fixtures: real interpreters of this machine, a private store, the CLI in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

from tests.support import lanes as support_lanes  # noqa: E402
from tests.support.index_server import catalogue_dir, local_index  # noqa: E402, F401 (fixtures)


def _gil(minor: int) -> str:
    found = next((i for i in support_lanes.gil_lanes() if i.version[:2] == (3, minor)), None)
    if found is None:
        pytest.skip(f"no CPython 3.{minor} GIL build on this machine (pyenv, PATH)")
    return found.path


@pytest.fixture(scope="session")
def py311() -> str:
    return _gil(11)


@pytest.fixture(scope="session")
def py312() -> str:
    return _gil(12)


@pytest.fixture(scope="session")
def py313() -> str:
    return _gil(13)


@pytest.fixture(scope="session")
def ft_python() -> str:
    found = support_lanes.ft_python()
    if found is None:
        pytest.skip(support_lanes.FT_SKIP_REASON)
    return found.path


@pytest.fixture(scope="session")
def py314() -> str:
    found = support_lanes.py314()
    if found is None:
        pytest.skip(support_lanes.PY314_SKIP_REASON)
    return found.path


class Cli:
    """Runs the real `ftlab` in a subprocess with a private store and report folder."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.store = tmp / "store" / "ftlab.sqlite"
        self.reports = tmp / "reports"

    def __call__(self, *args: str, check: int | None = None, env: dict | None = None, timeout: float = 600):
        full_env = {**os.environ, "FTLAB_STORE": str(self.store), "FTLAB_REPORT_DIR": str(self.reports),
                    "NO_COLOR": "1", "COLUMNS": "200",
                    # An unreachable-index test should fail at once, not after uv's retries.
                    "UV_HTTP_RETRIES": "0", **(env or {})}
        proc = subprocess.run([sys.executable, "-m", "ftlab", *args], capture_output=True, text=True,
                              cwd=self.tmp, env=full_env, timeout=timeout)
        if check is not None:
            assert proc.returncode == check, f"exit {proc.returncode}, expected {check}\n{proc.stdout}\n{proc.stderr}"
        return proc

    def json(self, *args: str, check: int | None = None, **kw):
        proc = self(*args, "--json", check=check, **kw)
        return json.loads(proc.stdout), proc


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path)
