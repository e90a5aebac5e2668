"""Module discovery and outcomes on real PyPI distributions with C extensions: PyYAML and psutil.

PyYAML is the classic case of a distribution name that is not an import name: "PyYAML" installs the
packages ``yaml`` and ``_yaml`` and the extension ``yaml._yaml``. psutil ships every platform's
Python module but only this platform's extension: ``psutil._psosx`` needs ``psutil._psutil_osx``.
"""

from __future__ import annotations

import pytest

from tests.support.lanes import cached_json, gil_lanes, lane_venv, run_probe, session_cache_root

pytestmark = pytest.mark.network


@pytest.fixture(scope="module")
def pyyaml_result(tmp_path_factory):
    lanes = gil_lanes()
    if not lanes:
        pytest.skip("no CPython 3.10+ GIL build found (pyenv, PATH)")
    lane = lanes[-1]
    root = session_cache_root(tmp_path_factory)

    def produce():
        python = lane_venv(root, lane, requirements=["PyYAML>=6.0.2"])
        return run_probe(python, "imports", {"distributions": ["pyyaml"]}, root / ("pyyaml-" + lane.name))

    return cached_json(root, "imports-pyyaml:" + lane.path, produce)


def test_pyyaml_modules_are_discovered_from_record(pyyaml_result):
    (dist,) = pyyaml_result["data"]["discovery"]["distributions"]
    assert dist["found"] and dist["source"] == "RECORD" and dist["budget_cut"] == 0
    rows = {r["module"]: r for r in pyyaml_result["data"]["modules"]}
    assert rows["yaml"]["kind"] == "package"
    assert rows["_yaml"]["kind"] == "package"
    assert rows["yaml._yaml"]["kind"] == "extension"
    assert rows["yaml.cyaml"]["kind"] == "module"
    assert pyyaml_result["data"]["discovery"]["counts"]["extension"] == 1


def test_pyyaml_imports_cleanly_on_a_gil_lane(pyyaml_result):
    outcomes = {r["module"]: r["outcome"] for r in pyyaml_result["data"]["modules"]}
    assert set(outcomes.values()) == {"ok"}, outcomes
    assert pyyaml_result["status"] == "ok" and pyyaml_result["signals"] == []
    # the extension was really loaded from the wheel, in a child, with a measured import time
    ext = next(r for r in pyyaml_result["data"]["modules"] if r["module"] == "yaml._yaml")
    assert ext["seconds"] > 0 and ext["exit_status"] == 0


def test_budget_cut_is_recorded(tmp_path_factory, pyyaml_result):
    lane = gil_lanes()[-1]
    root = session_cache_root(tmp_path_factory)
    python = lane_venv(root, lane, requirements=["PyYAML>=6.0.2"])
    result = run_probe(
        python, "imports", {"distributions": ["PyYAML"], "module_budget": 3}, root / "pyyaml-budget"
    )
    (dist,) = result["data"]["discovery"]["distributions"]
    assert dist["selected"] == 3 and dist["budget_cut"] == dist["modules"] - 3
    # the budget keeps top-level packages, then the extension
    assert [r["module"] for r in result["data"]["modules"]] == ["_yaml", "yaml", "yaml._yaml"]
    assert result["data"]["not_checked"]["by_reason"] == {"over the module budget of 3": dist["budget_cut"]}


def test_psutil_other_platforms_modules_are_optional(tmp_path_factory):
    lanes = [lane for lane in gil_lanes() if lane.version[:2] >= (3, 12)]  # ImportError.name_from
    if not lanes:
        pytest.skip("no CPython 3.12+ GIL build found (pyenv, PATH)")
    root = session_cache_root(tmp_path_factory)
    python = lane_venv(root, lanes[-1], requirements=["psutil>=7"])
    result = run_probe(python, "imports", {"distributions": ["psutil"]}, root / "psutil")
    signals = {s["evidence"]["module"]: s for s in result["signals"]}
    osx = signals["psutil._psosx"]
    assert osx["kind"] == "optional-dependency"
    assert osx["summary"] == (
        "'psutil._psosx' needs 'psutil._psutil_osx', which this distribution does not ship on this lane"
    )
    assert {s["kind"] for s in result["signals"]} == {"optional-dependency"}
    assert result["data"]["summary"]["import-error"] == 0
