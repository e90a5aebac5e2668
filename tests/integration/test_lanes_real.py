"""Discovery and fingerprints against this machine's real interpreters."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from ftlab.errors import LaneError
from ftlab.lanes import interpreters as lanes
from tests.support.lanes import pyenv_root


def truth(python: str) -> dict:
    """What the interpreter says, asked directly (not through the code under test)."""
    code = ("import sys, sysconfig, json; print(json.dumps({'version': '%d.%d.%d' % sys.version_info[:3], "
            "'ft': bool(sysconfig.get_config_var('Py_GIL_DISABLED')), 'ext': sysconfig.get_config_var('EXT_SUFFIX'), "
            "'abiflags': sys.abiflags}))")
    return json.loads(subprocess.run([python, "-c", code], capture_output=True, text=True, check=True).stdout)


@pytest.mark.parametrize("fixture", ["py311", "py312", "py313"])
def test_fingerprint_matches_what_the_interpreter_says(fixture, request):
    python = request.getfixturevalue(fixture)
    lane = lanes.fingerprint(python, source="explicit")
    t = truth(python)
    assert (lane.version, lane.gil_disabled, lane.ext_suffix, lane.abiflags) == (t["version"], t["ft"], t["ext"], t["abiflags"])
    assert lane.name == ".".join(t["version"].split(".")[:2])
    minor = lane.name.replace(".", "")
    assert lane.platform_tags[0].startswith(f"cp{minor}-cp{minor}-")


def test_discovery_finds_the_three_gil_interpreters(py311, py312, py313):
    found = {os.path.realpath(lane.path): lane for lane in lanes.discover() if lane.available}
    for python in (py311, py312, py313):
        lane = found.get(os.path.realpath(python))
        assert lane is not None, f"{python} not discovered"
        assert lane.gil_disabled is False and lane.kind == "GIL"
        assert lane.source in ("pyenv", "path", "uv")


def test_version_spec_resolves_to_a_gil_build(py313):
    (lane,) = lanes.resolve(["3.13"], provision_missing=False)
    assert lane.available and lane.version.startswith("3.13.") and not lane.gil_disabled


def test_missing_free_threaded_spec_is_unavailable_with_fix(py313):
    (lane,) = lanes.resolve(["3.13t"], provision_missing=False, found=[lanes.fingerprint(py313, source="pyenv")])
    assert not lane.available
    assert "uv python install 3.13t" in lane.reason and lane.gil_disabled is True


def test_default_lanes_fall_back_to_newest_gil_baseline(py313):
    found = lanes.discover()
    resolved = lanes.resolve([], provision_missing=False, found=found)
    names = [lane.name for lane in resolved]
    has_314 = any(lane.available and lane.version.startswith("3.14.") and not lane.gil_disabled for lane in found)
    baseline, ft = resolved
    assert baseline.available and not baseline.gil_disabled
    if not has_314:
        assert "baseline fallback" in baseline.reason
    if not any(lane.available and lane.gil_disabled for lane in found):
        assert names[1] == "3.14t" and not ft.available and "uv python install 3.14t" in ft.reason


def test_not_python_is_rejected():
    with pytest.raises(LaneError, match="is not a Python interpreter"):
        lanes.fingerprint("/bin/true", source="explicit")


def test_nonexistent_path_is_rejected(tmp_path):
    with pytest.raises(LaneError, match="does not exist"):
        lanes.fingerprint(str(tmp_path / "nope" / "python"), source="explicit")


def test_python27_is_too_old():
    root = pyenv_root()
    old = sorted(root.glob("versions/2.7*/bin/python2.7")) if root else []
    if not old or not old[0].exists():
        pytest.skip("no Python 2.7 in pyenv on this machine")
    with pytest.raises(LaneError, match=r"Python 2\.7\.\d+ .* is too old"):
        lanes.fingerprint(str(old[0]), source="explicit")


@pytest.mark.ft
def test_free_threaded_fingerprint(ft_python):
    lane = lanes.fingerprint(ft_python, source="explicit")
    t = truth(ft_python)
    assert t["ft"] is True
    assert lane.gil_disabled is True and lane.name.endswith("t") and "t" in lane.abiflags
    assert lane.ext_suffix == t["ext"] and "t-" in lane.ext_suffix
    assert lanes.parse_spec(lane.name).matches(lane)
    assert not lanes.parse_spec(lane.name[:-1]).matches(lane)


@pytest.mark.py314
def test_real_314_gil_lane(py314):
    lane = lanes.fingerprint(py314, source="explicit")
    assert lane.version.startswith("3.14.") and not lane.gil_disabled and lane.name == "3.14"
    assert lanes.parse_spec("3.14").matches(lane) and not lanes.parse_spec("3.14t").matches(lane)
