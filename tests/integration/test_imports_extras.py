"""``extensions/imports/extras`` (black's ``blackd`` way) on real lanes: a module that needs what only
the distribution's ``server`` extra installs is an ``optional-dependency`` (``missing_kind: extra``),
read from the distribution's metadata, though its error chain names no missing module."""

from __future__ import annotations

import sys

import pytest

from tests.support.lanes import FT_SKIP_REASON, REPO_ROOT, ft_python, lane_venv, run_probe, session_cache_root

FIXTURE = REPO_ROOT / "extensions" / "imports" / "extras"


@pytest.mark.slow
@pytest.mark.parametrize("free_threaded", [False, pytest.param(True, marks=pytest.mark.ft)])
def test_a_module_needing_an_extra_is_an_optional_dependency(tmp_path_factory, free_threaded):
    python = sys.executable
    if free_threaded:
        ft = ft_python()
        if ft is None:
            pytest.skip(FT_SKIP_REASON)
        python = ft.path
    root = session_cache_root(tmp_path_factory)
    venv_python = lane_venv(root, python, [FIXTURE])
    result = run_probe(venv_python, "imports", {"distributions": ["ftfix-extras"]},
                       tmp_path_factory.mktemp("extras"), timeout_s=120)
    rows = {r["module"]: r for r in result["data"]["modules"]}
    assert rows["ftfix_extras"]["outcome"] == "ok"
    server = rows["ftfix_extras_server"]
    assert (server["outcome"], server["scope"], server["needs"], server["missing_kind"], server["extras"]) == (
        "optional-dependency", "top-level", ["ftfix-absent-extra-dep"], "extra", ["server"])
    (dist,) = result["data"]["discovery"]["distributions"]
    assert dist["extra_only"] == {"ftfix-absent-extra-dep": ["server"]}
    assert [s["kind"] for s in result["signals"]] == ["optional-dependency"]
    assert "ftfix-extras[server]" in result["signals"][0]["summary"]
