"""The auto-probe's reach on real packages from PyPI that it once reached nothing of (issue 22): a
Cython 3 module's functions (editdistance's ``eval``, a ``cyfunction``), a C type whose constructor
only its docstring describes (lru-dict's ``LRU(size, callback=None)``). Each raced nothing before;
each must now give a spec. (pybcj's ``__all__`` of classes is covered in test_autoprobe_reach.py:
its encoders segfault when screened one after another on some lanes, which makes it a poor witness.)"""

from __future__ import annotations

import pytest

from tests.integration.test_autoprobe_calibration import screen
from tests.support.lanes import gil_lanes, lane_venv, session_cache_root

#: distribution -> a piece of the spec screening must make for it.
REACHED = {
    "editdistance": "fn:editdistance:eval(",
    "lru-dict": "cls:lru:LRU(2)",
}


@pytest.fixture(scope="module")
def lane_python(tmp_path_factory):
    lanes = [lane for lane in gil_lanes() if lane.version[:2] >= (3, 12)]
    if not lanes:
        pytest.skip("no CPython 3.12+ GIL lane found (pyenv or PATH)")
    return lane_venv(session_cache_root(tmp_path_factory), lanes[-1], [], ["hypothesis", *REACHED])


@pytest.mark.network
@pytest.mark.parametrize("distribution", sorted(REACHED))
def test_a_package_once_unreached_gives_a_spec(lane_python, distribution, tmp_path):
    result = screen(lane_python, distribution, tmp_path)
    assert result["status"] == "ok", result["data"]
    specs = result["data"]["specs"]
    assert any(REACHED[distribution] in spec for spec in specs), (specs, result["data"]["modules"])
