"""The issue's own case, end to end: a project's registry loses its lock between two real runs;
`ftlab diff` reports the regression and exits 1 (and the reverse direction exits 0)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

REGISTRY = '''
import threading


class Registry:
    """One id per name. LOCKED decides whether register() is atomic."""

    LOCKED = {locked}

    def __init__(self):
        self._ids = {{}}
        self._next = 0
        self._lock = threading.Lock()

    def register(self, name):
        if not self.LOCKED:
            return self._register(name)
        with self._lock:
            return self._register(name)

    def _register(self, name):
        if name not in self._ids:
            self._ids[name] = self._allocate()
        return self._ids[name]

    def _allocate(self):
        ident = self._next
        self._check(ident)
        self._next = ident + 1
        return ident

    def _check(self, ident):
        if ident < 0:
            raise ValueError(ident)

    def snapshot(self):
        return dict(self._ids)
'''

PROBES = '''
from hypothesis import strategies as st

from ftlab_probes.api import Probe, op


class RegistryProbe(Probe):
    subject = "flip-registry"

    def make(self):
        from flip_registry import Registry

        return Registry()

    @op(st.sampled_from(["a", "b", "c"]))
    def register(self, obj, name):
        return obj.register(name)

    def state(self, obj):
        return obj.snapshot()
'''


def write_project(root: Path, *, locked: bool) -> Path:
    pkg = root / "flip_registry"
    pkg.mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_text(REGISTRY.format(locked=locked))
    (pkg / "probes.py").write_text(PROBES)
    (root / "pyproject.toml").write_text(textwrap.dedent('''
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "flip-registry"
        version = "1.0"

        [tool.setuptools]
        packages = ["flip_registry"]

        [tool.ftlab]
        probes = ["flip_registry.probes:RegistryProbe"]
    '''))
    return root


@pytest.mark.slow
def test_correct_then_buggy_regresses(cli, tmp_path, py313):
    project = write_project(tmp_path / "flip-registry", locked=True)
    args = ("run", str(project), "--lane", "3.13", "--no-provision", "--checks", "install,stress", "--budget", "10")
    first, proc = cli.json(*args)
    assert proc.returncode == 0, proc.stderr
    assert {v["verdict"] for v in first["verdicts"]} == {"ready"}
    write_project(project, locked=False)
    second, proc = cli.json(*args)
    assert proc.returncode == 1, proc.stderr
    assert {v["verdict"] for v in second["verdicts"]} == {"unsafe"}

    proc = cli("diff", first["run_id"], second["run_id"], check=1)
    assert "REGRESSED" in proc.stdout and "ready -> unsafe" in proc.stdout
    doc = json.loads(cli("diff", first["run_id"], second["run_id"], "--json", check=1).stdout)
    assert doc["regressed"] is True and [s["kind"] for s in doc["signals"]["new"]] == ["corruption"]
    # Read the other way round, the same pair is an improvement.
    assert cli("diff", second["run_id"], first["run_id"]).returncode == 0
