"""A real CPython 3.14 GIL lane (FTLAB_PY314; CI provisions one), found by spec and used end to end."""

from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.py314


def test_spec_314_finds_the_gil_build_on_path_and_never_314t(cli, py314):
    env = {"PATH": os.path.dirname(py314) + os.pathsep + os.environ["PATH"]}
    doc, proc = cli.json("run", "--no-provision", env=env)  # default lanes: 3.14 and 3.14t
    assert proc.returncode == 0, proc.stderr
    gil, ft = doc["lanes"]
    assert gil["spec"] == "3.14" and gil["available"] and gil["version"].startswith("3.14.")
    assert gil["gil_disabled"] is False and "baseline fallback" not in gil["reason"]
    assert ft["spec"] == "3.14t" and (not ft["available"] or ft["gil_disabled"] is True)


@pytest.mark.network
def test_cp314_wheels_install_and_import(cli, py314):
    doc, proc = cli.json("run", "pyyaml", "--lane", f"3.14={py314}", "--no-provision", "--checks", "install,import")
    assert proc.returncode == 0, proc.stderr
    results = {(r["subject"], r["check"]): r for r in doc["results"]}
    dist = results[("pyyaml", "install")]["data"]["subject_dist"]
    assert dist["outcome"] == "wheel" and dist["wheel_tag"].startswith("cp314-cp314-")
    imp = results[("pyyaml", "import")]
    assert imp["status"] == "ok" and imp["data"]["summary"]["ok"] >= 2
