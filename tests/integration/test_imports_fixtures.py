"""The import check on the C fixtures of extensions/imports/, built for real lanes.

Each lane gets one uv venv with every fixture installed (built once per session, shared by xdist
workers) and one run of ``python -m probes.runtime imports``; the tests read that run's result.
GIL lanes: the oldest and newest found run by default, the others are marked slow. Free-threaded
expectations run when a free-threaded interpreter is found and skip with FT_SKIP_REASON otherwise.
The expected outcomes are the table in extensions/README.md.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.lanes import (
    FT_SKIP_REASON,
    REPO_ROOT,
    cached_json,
    ft_python,
    gil_lanes,
    lane_venv,
    run_probe,
    session_cache_root,
)

FIXTURES = REPO_ROOT / "extensions" / "imports"
FIXTURE_DIRS = sorted(p for p in FIXTURES.iterdir() if (p / "pyproject.toml").exists())

# Crash and hang fixtures first: everything after them must still be checked.
DISTRIBUTIONS = [
    "ftfix-segfault",
    "ftfix-hangs",
    "ftfix-raises",
    "ftfix-multiphase-nogil",
    "ftfix-multiphase-gil",
    "ftfix-singlephase-nogil",
    "ftfix-singlephase-gil",
    "ftfix-chain",
]
MISSING_MODULE = "ftfix_no_such_module"
#: Short, so the hang fixture costs seconds; the other imports take milliseconds.
MODULE_TIMEOUT_S = 3

# module: (kind, outcome on a GIL lane, outcome on a free-threaded lane, offenders named there)
EXPECTED = {
    "ftfix_multiphase_nogil": ("extension", "ok", "ok", []),
    "ftfix_multiphase_gil": ("extension", "ok", "gil-reenabled", ["ftfix_multiphase_gil"]),
    "ftfix_singlephase_nogil": ("extension", "ok", "ok", []),
    "ftfix_singlephase_gil": ("extension", "ok", "gil-reenabled", ["ftfix_singlephase_gil"]),
    "ftfix_chain": ("package", "ok", "ok", []),
    "ftfix_chain.helpers": ("module", "ok", "gil-reenabled", ["ftfix_chain._speedups"]),
    "ftfix_chain.api": ("module", "ok", "gil-reenabled", ["ftfix_chain._speedups", "ftfix_chain._legacy"]),
    "ftfix_chain._speedups": ("extension", "ok", "gil-reenabled", ["ftfix_chain._speedups"]),
    "ftfix_chain._legacy": ("extension", "ok", "gil-reenabled", ["ftfix_chain._legacy"]),
    "ftfix_segfault": ("extension", "crash", "crash", []),
    "ftfix_raises": ("extension", "import-error", "import-error", []),
    "ftfix_hangs": ("extension", "hang", "hang", []),
    MISSING_MODULE: ("unknown", "import-error", "import-error", []),
}


def _lane_params():
    lanes = gil_lanes()
    params = []
    for i, lane in enumerate(lanes):
        edge = i in (0, len(lanes) - 1)
        params.append(pytest.param(lane, id=lane.name, marks=() if edge else pytest.mark.slow))
    return params


GIL_LANES = _lane_params()


def fixture_run(tmp_path_factory, interpreter, gil=None) -> dict:
    """The imports result for every fixture on ``interpreter``: built and run once per session."""
    root = session_cache_root(tmp_path_factory)
    key = f"imports-fixtures:{interpreter.path}:{gil}"

    def produce():
        python = lane_venv(root, interpreter, FIXTURE_DIRS)
        options = {
            "distributions": DISTRIBUTIONS,
            "modules": [MISSING_MODULE],
            "module_timeout_s": MODULE_TIMEOUT_S,
            "gil": gil,
        }
        workdir = root / f"run-{interpreter.name}-{gil}-{abs(hash(interpreter.path))}"
        return run_probe(python, "imports", options, workdir, timeout_s=120)

    return cached_json(root, key, produce)


def by_module(result: dict) -> dict[str, dict]:
    return {row["module"]: row for row in result["data"]["modules"]}


# --- GIL lanes ---------------------------------------------------------------------------------------


@pytest.fixture(params=GIL_LANES, scope="module")
def gil_result(request, tmp_path_factory):
    return fixture_run(tmp_path_factory, request.param)


@pytest.mark.parametrize("module", sorted(EXPECTED))
def test_fixture_outcome_on_gil_lane(gil_result, module):
    kind, outcome, _, _ = EXPECTED[module]
    row = by_module(gil_result)[module]
    assert (row["kind"], row["outcome"]) == (kind, outcome), row
    assert row["offenders"] == [] and row["gil_reenabled"] is False


def test_every_fixture_module_was_discovered_and_checked(gil_result):
    discovery = gil_result["data"]["discovery"]
    assert discovery["missing"] == []
    assert {d["name"]: d["source"] for d in discovery["distributions"]} == dict.fromkeys(
        DISTRIBUTIONS, "RECORD"
    )
    assert discovery["counts"] == {"package": 1, "module": 2, "extension": 9}
    assert set(by_module(gil_result)) == set(EXPECTED)
    assert gil_result["data"]["skipped"] == []


def test_no_gil_finding_ever_on_a_gil_lane(gil_result):
    assert gil_result["data"]["lane"]["free_threaded"] is False
    assert gil_result["data"]["summary"]["gil-reenabled"] == 0
    assert not any(s["kind"] == "gil-reenabled" for s in gil_result["signals"])


def test_signals_on_gil_lane(gil_result):
    assert gil_result["status"] == "findings"
    got = sorted((s["kind"], s["evidence"]["module"]) for s in gil_result["signals"])
    assert got == [
        ("crash", "ftfix_segfault"),
        ("hang", "ftfix_hangs"),
        ("import-error", MISSING_MODULE),
        ("import-error", "ftfix_raises"),
    ]


def test_crash_leaves_signal_and_faulthandler_text(gil_result):
    row = by_module(gil_result)["ftfix_segfault"]
    assert row["exit_status"] == -11 and row["signal"] == "SIGSEGV"
    assert row["faulthandler"].startswith("Fatal Python error: Segmentation fault")
    assert "Current thread" in row["faulthandler"]
    (sig,) = [s for s in gil_result["signals"] if s["kind"] == "crash"]
    assert sig["evidence"]["signal"] == "SIGSEGV"
    assert sig["evidence"]["faulthandler"] == row["faulthandler"]
    assert Path(sig["evidence"]["artifact"]).read_text().count("Fatal Python error: Segmentation fault") == 1


def test_hang_leaves_thread_stacks(gil_result):
    row = by_module(gil_result)["ftfix_hangs"]
    assert row["faulthandler"].startswith("Timeout (0:00:0")
    assert "exec_module" in row["faulthandler"]  # the stack stops in the extension's exec slot
    assert "in import_module" in row["faulthandler"]
    (sig,) = [s for s in gil_result["signals"] if s["kind"] == "hang"]
    assert sig["evidence"]["stacks"] == row["faulthandler"]
    assert sig["evidence"]["timeout_s"] == MODULE_TIMEOUT_S


def test_import_error_names_type_and_message(gil_result):
    row = by_module(gil_result)["ftfix_raises"]
    assert row["error"]["type"] == "RuntimeError"
    assert row["error"]["message"] == "ftfix_raises: deliberate failure during import"
    missing = by_module(gil_result)[MISSING_MODULE]
    assert missing["error"]["type"] == "ModuleNotFoundError"


# --- free-threaded lane ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ft_interpreter():
    interp = ft_python()
    if interp is None:
        pytest.skip(FT_SKIP_REASON)
    return interp


@pytest.fixture(scope="module")
def ft_result(ft_interpreter, tmp_path_factory):
    return fixture_run(tmp_path_factory, ft_interpreter)


@pytest.mark.ft
@pytest.mark.parametrize("module", sorted(EXPECTED))
def test_fixture_outcome_on_free_threaded_lane(ft_result, module):
    kind, _, outcome, offenders = EXPECTED[module]
    row = by_module(ft_result)[module]
    assert (row["kind"], row["outcome"]) == (kind, outcome), row
    assert row["offenders"] == offenders
    if outcome == "gil-reenabled":
        assert row["gil_before"] is False and row["gil_after"] is True
        assert row["verbose_pass"]["offenders"] == offenders
    elif outcome == "ok":
        assert row["gil_before"] is False and row["gil_after"] is False


@pytest.mark.ft
def test_chain_attribution_on_free_threaded_lane(ft_result):
    row = by_module(ft_result)["ftfix_chain.api"]
    # The RuntimeWarning fires once per process: it names only the first offender; -v names both.
    assert row["warning_offender"] == "ftfix_chain._speedups"
    assert row["chains"] == {
        "ftfix_chain._speedups": ["ftfix_chain.api", "ftfix_chain.helpers", "ftfix_chain._speedups"],
        "ftfix_chain._legacy": ["ftfix_chain.api", "ftfix_chain._legacy"],
    }


@pytest.mark.ft
def test_gil_signals_one_per_offending_extension(ft_result):
    gil = {
        s["evidence"]["module"]: s["evidence"] for s in ft_result["signals"] if s["kind"] == "gil-reenabled"
    }
    assert sorted(gil) == [
        "ftfix_chain._legacy",
        "ftfix_chain._speedups",
        "ftfix_multiphase_gil",
        "ftfix_singlephase_gil",
    ]
    assert gil["ftfix_chain._speedups"]["chain"][-1] == "ftfix_chain._speedups"
    assert len(gil["ftfix_chain._speedups"]["chain"]) > 1  # attributed to an import that pulls it in
    assert sorted(gil["ftfix_chain._speedups"]["imported_by"]) == [
        "ftfix_chain._speedups",
        "ftfix_chain.api",
        "ftfix_chain.helpers",
    ]
    others = sorted(s["kind"] for s in ft_result["signals"] if s["kind"] != "gil-reenabled")
    assert others == ["crash", "hang", "import-error", "import-error"]


@pytest.mark.ft
def test_forced_gil_off_keeps_it_off(ft_interpreter, tmp_path_factory):
    result = fixture_run(tmp_path_factory, ft_interpreter, gil="0")
    rows = by_module(result)
    assert not any(s["kind"] == "gil-reenabled" for s in result["signals"])
    for module, (_, _, outcome, _) in EXPECTED.items():
        if outcome in ("ok", "gil-reenabled"):
            assert rows[module]["outcome"] == "ok", rows[module]
            assert rows[module]["gil_after"] is False
