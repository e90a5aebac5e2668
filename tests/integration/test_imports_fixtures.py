"""The import check on the fixtures of extensions/imports/, built for real lanes.

Each lane gets one uv venv with every fixture installed (built once per session, shared by xdist
workers) and one run of ``python -m ftlab_probes.runtime imports``; the tests read that run's result.
GIL lanes: the oldest and newest found (a real 3.14 when FTLAB_PY314 names one) run by default, the
others with FTLAB_ALL_LANES=1 (marked slow). Free-threaded expectations run when a free-threaded interpreter is found and
skip with FT_SKIP_REASON otherwise. The expected outcomes are the table in extensions/README.md.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.lanes import (
    FT_SKIP_REASON,
    REPO_ROOT,
    cached_json,
    ft_python,
    gil_lanes,
    lane_venv,
    py314,
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
    "ftfix-optional",
    "ftfix-toplevel-fails",
    "ftfix-batchdeath",
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
    "ftfix_optional": ("package", "ok", "ok", []),
    "ftfix_optional.plotting": ("module", "optional-dependency", "optional-dependency", []),
    "ftfix_optional.plotting_styles": ("module", "optional-dependency", "optional-dependency", []),
    "ftfix_optional._osx": ("module", "optional-dependency", "optional-dependency", []),
    "ftfix_optional._windows": ("module", "optional-dependency", "optional-dependency", []),
    "ftfix_optional.broken": ("module", "import-error", "import-error", []),
    "ftfix_toplevel_fails": ("package", "import-error", "import-error", []),
    "ftfix_toplevel_fails.sub": ("module", "import-error", "import-error", []),
    "ftfix_batchdeath": ("package", "ok", "ok", []),
    "ftfix_batchdeath.a_fine": ("module", "ok", "ok", []),
    "ftfix_batchdeath.armed": ("module", "ok", "ok", []),
    "ftfix_batchdeath.crash_after_armed": ("module", "crash", "crash", []),
    "ftfix_batchdeath.d_fine": ("module", "ok", "ok", []),
    "ftfix_batchdeath.e_crashes": ("module", "crash", "crash", []),
    "ftfix_batchdeath.f_fine": ("module", "ok", "ok", []),
    "ftfix_batchdeath.g_hangs": ("module", "hang", "hang", []),
    "ftfix_batchdeath.z_after": ("module", "ok", "ok", []),
}
#: ``from . import _native_osx`` names what it missed (ImportError.name_from) from CPython 3.12 on.
FROM_IMPORT_NAMED = (3, 12)


def expected(module: str, interpreter) -> tuple[str, str, str, list[str]]:
    kind, gil, ft, offenders = EXPECTED[module]
    if module == "ftfix_optional._osx" and interpreter.version[:2] < FROM_IMPORT_NAMED:
        return kind, "import-error", "import-error", offenders
    return kind, gil, ft, offenders


def _lane_params():
    lanes = gil_lanes()
    real314 = py314()
    if real314 is not None and real314.path not in {lane.path for lane in lanes}:
        lanes.append(real314)
    # The oldest and the newest GIL lane bound what the import check must handle; every lane between
    # costs a build of all fixtures (about a minute on 2 cores), so it runs only when asked for.
    every = bool(os.environ.get("FTLAB_ALL_LANES"))
    return [pytest.param(lane, id=lane.name, marks=pytest.mark.slow if 0 < i < len(lanes) - 1 else ())
            for i, lane in enumerate(lanes) if every or i in (0, len(lanes) - 1)]


GIL_LANES = _lane_params()


def fixture_run(tmp_path_factory, interpreter, gil=None, batch_size=None) -> dict:
    """The imports result for every fixture on ``interpreter``: built and run once per session."""
    root = session_cache_root(tmp_path_factory)
    key = f"imports-fixtures:{interpreter.path}:{gil}:{batch_size}"

    def produce():
        python = lane_venv(root, interpreter, FIXTURE_DIRS)
        options = {
            "distributions": DISTRIBUTIONS,
            "modules": [MISSING_MODULE],
            "module_timeout_s": MODULE_TIMEOUT_S,
            "gil": gil,
        }
        if batch_size is not None:
            options["batch_size"] = batch_size
        workdir = root / f"run-{interpreter.name}-{gil}-{batch_size}-{abs(hash(interpreter.path))}"
        return run_probe(python, "imports", options, workdir, timeout_s=180)

    return cached_json(root, key, produce)


def by_module(result: dict) -> dict[str, dict]:
    return {row["module"]: row for row in result["data"]["modules"]}


def signal_for(result: dict, module: str) -> dict:
    (sig,) = [s for s in result["signals"] if s["kind"] != "gil-reenabled" and s["evidence"]["module"] == module]
    return sig


# --- GIL lanes ---------------------------------------------------------------------------------------


@pytest.fixture(params=GIL_LANES, scope="module")
def gil_lane(request):
    return request.param


@pytest.fixture(scope="module")
def gil_result(gil_lane, tmp_path_factory):
    return fixture_run(tmp_path_factory, gil_lane)


@pytest.mark.parametrize("module", sorted(EXPECTED))
def test_fixture_outcome_on_gil_lane(gil_lane, gil_result, module):
    kind, outcome, _, _ = expected(module, gil_lane)
    row = by_module(gil_result)[module]
    assert (row["kind"], row["outcome"]) == (kind, outcome), row
    assert row["offenders"] == [] and row["gil_reenabled"] is False


def test_every_fixture_module_was_discovered_and_checked(gil_result):
    discovery = gil_result["data"]["discovery"]
    assert discovery["missing"] == []
    assert {d["name"]: d["source"] for d in discovery["distributions"]} == dict.fromkeys(
        DISTRIBUTIONS, "RECORD"
    )
    assert discovery["counts"] == {"package": 4, "module": 16, "extension": 9}
    assert set(by_module(gil_result)) == set(EXPECTED)
    assert gil_result["data"]["skipped"] == []
    assert gil_result["data"]["not_checked"] == {"count": 0, "by_reason": {}}


def test_no_gil_finding_ever_on_a_gil_lane(gil_result):
    assert gil_result["data"]["lane"]["free_threaded"] is False
    assert gil_result["data"]["summary"]["gil-reenabled"] == 0
    assert not any(s["kind"] == "gil-reenabled" for s in gil_result["signals"])


def test_signals_on_gil_lane(gil_lane, gil_result):
    assert gil_result["status"] == "findings"
    got = sorted((s["kind"], s["evidence"]["module"]) for s in gil_result["signals"])
    assert got == sorted(expected_failure_signals(gil_lane))


def expected_failure_signals(interpreter) -> list[tuple[str, str]]:
    """(kind, module) of every signal but gil-reenabled, the same on every lane."""
    osx = "optional-dependency" if interpreter.version[:2] >= FROM_IMPORT_NAMED else "import-error"
    return [
        ("crash", "ftfix_segfault"),
        ("hang", "ftfix_hangs"),
        ("import-error", MISSING_MODULE),
        ("import-error", "ftfix_raises"),
        ("optional-dependency", "ftfix_optional.plotting"),
        (osx, "ftfix_optional._osx"),
        ("optional-dependency", "ftfix_optional._windows"),
        ("import-error", "ftfix_optional.broken"),
        ("import-error", "ftfix_toplevel_fails"),
        ("crash", "ftfix_batchdeath.crash_after_armed"),
        ("crash", "ftfix_batchdeath.e_crashes"),
        ("hang", "ftfix_batchdeath.g_hangs"),
    ]


def test_crash_leaves_signal_and_faulthandler_text(gil_result):
    row = by_module(gil_result)["ftfix_segfault"]
    assert row["exit_status"] == -11 and row["signal"] == "SIGSEGV"
    assert row["faulthandler"].startswith("Fatal Python error: Segmentation fault")
    assert "Current thread" in row["faulthandler"]
    sig = signal_for(gil_result, "ftfix_segfault")
    assert sig["kind"] == "crash" and sig["evidence"]["signal"] == "SIGSEGV"
    assert sig["evidence"]["faulthandler"] == row["faulthandler"]
    assert Path(sig["evidence"]["artifact"]).read_text().count("Fatal Python error: Segmentation fault") == 1


def test_hang_leaves_thread_stacks(gil_result):
    row = by_module(gil_result)["ftfix_hangs"]
    assert row["faulthandler"].startswith("Timeout (0:00:0")
    assert "exec_module" in row["faulthandler"]  # the stack stops in the extension's exec slot
    assert "in import_module" in row["faulthandler"]
    sig = signal_for(gil_result, "ftfix_hangs")
    assert sig["kind"] == "hang" and sig["evidence"]["stacks"] == row["faulthandler"]
    assert sig["evidence"]["timeout_s"] == MODULE_TIMEOUT_S


def test_import_error_names_type_and_message(gil_result):
    row = by_module(gil_result)["ftfix_raises"]
    assert row["error"]["type"] == "RuntimeError"
    assert row["error"]["message"] == "ftfix_raises: deliberate failure during import"
    missing = by_module(gil_result)[MISSING_MODULE]
    assert missing["error"]["type"] == "ModuleNotFoundError"
    assert missing["scope"] == "top-level"


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
def test_fixture_outcome_on_free_threaded_lane(ft_interpreter, ft_result, module):
    kind, _, outcome, offenders = expected(module, ft_interpreter)
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
    others = sorted((s["kind"], s["evidence"]["module"]) for s in ft_result["signals"] if s["kind"] != "gil-reenabled")
    assert others == sorted(expected_failure_signals(ft_python()))


@pytest.mark.ft
def test_forced_gil_off_keeps_it_off(ft_interpreter, tmp_path_factory):
    result = fixture_run(tmp_path_factory, ft_interpreter, gil="0")
    rows = by_module(result)
    assert not any(s["kind"] == "gil-reenabled" for s in result["signals"])
    for module, (_, _, outcome, _) in EXPECTED.items():
        if outcome in ("ok", "gil-reenabled"):
            assert rows[module]["outcome"] == "ok", rows[module]
            assert rows[module]["gil_after"] is False


# --- outcomes judged from what the child saw, and batches, on every lane -----------------------------


def _every_lane():
    return [*GIL_LANES, pytest.param(None, id="free-threaded", marks=pytest.mark.ft)]


@pytest.fixture(params=_every_lane(), scope="module")
def lane(request):
    if request.param is not None:
        return request.param
    interp = ft_python()
    if interp is None:
        pytest.skip(FT_SKIP_REASON)
    return interp


@pytest.fixture(scope="module")
def result(lane, tmp_path_factory):
    return fixture_run(tmp_path_factory, lane)


def test_optional_dependency_that_is_not_installed(result):
    rows = by_module(result)
    sig = signal_for(result, "ftfix_optional.plotting")
    assert sig["kind"] == "optional-dependency"
    assert sig["summary"] == "'ftfix_optional.plotting' needs 'ftfix_absent_plotlib', which is not installed"
    ev = sig["evidence"]
    assert ev["needs"] == ["ftfix_absent_plotlib"] and ev["missing_kind"] == "not-installed"
    assert ev["scope"] == "submodule" and ev["distribution"] == "ftfix-optional"
    # pandas' way: its own ImportError, raised while handling the ModuleNotFoundError
    assert ev["error_type"] == "ImportError" and "Missing optional dependency" in ev["error_message"]
    assert ev["also_failing"] == ["ftfix_optional.plotting_styles"]
    assert rows["ftfix_optional.plotting_styles"]["needs"] == ["ftfix_absent_plotlib"]


def test_module_the_distribution_does_not_ship_here(lane, result):
    sig = signal_for(result, "ftfix_optional._windows")
    assert sig["kind"] == "optional-dependency"
    assert sig["evidence"]["needs"] == ["ftfix_optional._native_windows"]
    assert sig["evidence"]["missing_kind"] == "not-in-distribution"
    assert sig["summary"].endswith("which this distribution does not ship on this lane")
    osx = signal_for(result, "ftfix_optional._osx")
    if lane.version[:2] >= FROM_IMPORT_NAMED:
        assert osx["evidence"]["needs"] == ["ftfix_optional._native_osx"]
        assert osx["evidence"]["missing_kind"] == "not-in-distribution"
    else:  # `from . import name` does not say which name before 3.12
        assert (osx["kind"], osx["evidence"]["scope"]) == ("import-error", "submodule")


def test_submodule_failing_for_its_own_reason_is_an_import_error(result):
    sig = signal_for(result, "ftfix_optional.broken")
    assert sig["kind"] == "import-error"
    assert (sig["evidence"]["scope"], sig["evidence"]["error_type"]) == ("submodule", "RuntimeError")


def test_top_level_failure_is_an_import_error_even_for_a_missing_module(result):
    sig = signal_for(result, "ftfix_toplevel_fails")
    assert sig["kind"] == "import-error"
    ev = sig["evidence"]
    assert (ev["scope"], ev["error_type"]) == ("top-level", "ModuleNotFoundError")
    assert ev["also_failing"] == ["ftfix_toplevel_fails.sub"]
    assert by_module(result)["ftfix_toplevel_fails.sub"]["scope"] == "submodule"


def test_crash_that_needs_an_earlier_import_is_bisected_to_it(result):
    row = by_module(result)["ftfix_batchdeath.crash_after_armed"]
    assert row["outcome"] == "crash" and row["signal"] == "SIGSEGV"
    death = row["batch_death"]
    assert death["alone_outcome"] == "ok" and death["culprits"] == ["ftfix_batchdeath.armed"]
    assert "ftfix_batchdeath.armed" in death["after"]
    sig = signal_for(result, "ftfix_batchdeath.crash_after_armed")
    assert sig["evidence"]["only_after"] == ["ftfix_batchdeath.armed"]
    assert sig["evidence"]["alone_outcome"] == "ok"
    assert "only after 'ftfix_batchdeath.armed' had been imported in the same process" in sig["summary"]
    assert "crash_after_armed.py" in row["faulthandler"]
    assert "bisect" in {child["mode"] for child in result["data"]["children"]}


def test_crash_and_hang_in_a_batch_are_confirmed_alone(result):
    rows = by_module(result)
    crash = rows["ftfix_batchdeath.e_crashes"]
    assert crash["outcome"] == "crash" and crash["signal"] == "SIGABRT"
    assert crash["batch_death"]["after"][-1] == "ftfix_batchdeath.d_fine"
    assert crash["batch_death"]["alone_outcome"] == "crash"
    assert result["data"]["children"][crash["child"]]["mode"] == "alone"
    hang = rows["ftfix_batchdeath.g_hangs"]
    assert hang["outcome"] == "hang" and "in wait_forever" in hang["faulthandler"]
    assert hang["batch_death"]["after"][-1] == "ftfix_batchdeath.f_fine"
    assert hang["batch_death"]["alone_outcome"] == "hang"
    assert signal_for(result, "ftfix_batchdeath.g_hangs")["evidence"]["only_after"] == []


def test_a_death_in_a_batch_does_not_end_it(result):
    # The imports that die are forks of the batch's process: before and after them, one child.
    rows, children = by_module(result), result["data"]["children"]
    fine, after = rows["ftfix_batchdeath.d_fine"], rows["ftfix_batchdeath.z_after"]
    assert fine["outcome"] == after["outcome"] == "ok"
    assert fine["child"] == after["child"]
    assert (children[fine["child"]]["mode"], children[fine["child"]]["end"]) == ("batch", "done")


def test_batches_share_children(result):
    children = result["data"]["children"]
    assert len(children) < len(result["data"]["modules"])
    assert result["data"]["child_seconds"] == pytest.approx(sum(c["seconds"] for c in children), abs=0.01)


@pytest.mark.ft
def test_import_that_turns_the_gil_on_leaves_its_batch_clean(ft_result):
    # Each import runs in a fork of the batch's process, which keeps only clean imports: the GIL of
    # the process the next module is forked from is never on.
    rows, children = by_module(ft_result), ft_result["data"]["children"]
    batches = {rows[m]["child"] for m in ("ftfix_chain._legacy", "ftfix_chain.api", "ftfix_chain.helpers")}
    assert len(batches) == 1 and children[batches.pop()]["mode"] == "batch"
    for module in ("ftfix_chain._legacy", "ftfix_chain.api", "ftfix_chain.helpers", "ftfix_chain._speedups"):
        assert (rows[module]["gil_before"], rows[module]["gil_after"]) == (False, True), module


def test_one_process_per_module_finds_the_same(tmp_path_factory):
    if not GIL_LANES:
        pytest.skip("no CPython 3.10+ GIL build found (pyenv, PATH)")
    lane = GIL_LANES[-1].values[0]  # the newest lane the other tests built already
    batched = by_module(fixture_run(tmp_path_factory, lane))
    alone = by_module(fixture_run(tmp_path_factory, lane, batch_size=1))
    differ = {m for m in batched if batched[m]["outcome"] != alone[m]["outcome"]}
    # Alone, crash_after_armed never meets armed: only a batch shows that crash.
    assert differ == {"ftfix_batchdeath.crash_after_armed"}
    assert alone["ftfix_batchdeath.crash_after_armed"]["outcome"] == "ok"
