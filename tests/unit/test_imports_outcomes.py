"""Import failures judged by what the child saw, against what the distribution provides; what the
child reads off an exception chain; a batch child's events split per module; what was not checked
(pure functions).

The ``not_found`` entries have the shape child.py records; the cases are the real ones measured
on CPython 3.14 and 3.14t (pandas, psutil, protobuf, numpy).
"""

from __future__ import annotations

import sys

import pytest

from ftlab_probes.runtime.imports import child as importchild
from ftlab_probes.runtime.imports.check import not_checked
from ftlab_probes.runtime.imports.discovery import modules_from_files
from ftlab_probes.runtime.imports.failures import import_scope, judge_failure, judge_failures
from ftlab_probes.runtime.imports.launch import read_events, split_child
from ftlab_probes.runtime.imports.signals import build_signals

PANDAS = {
    "pandas": "package",
    "pandas.plotting": "package",
    "pandas.plotting._matplotlib": "package",
    "pandas.plotting._matplotlib.boxplot": "module",
}
PSUTIL = {"psutil": "package", "psutil._psosx": "module", "psutil._psutil_linux": "extension"}
#: protobuf's top level is a namespace many distributions share.
PROTOBUF = {
    "google": "namespace",
    "google.protobuf": "package",
    "google.protobuf.pyext": "package",
    "google.protobuf.pyext.cpp_message": "module",
}
#: numpy.random._examples.numba has no __init__.py.
NUMPY = {
    "numpy": "package",
    "numpy.random": "package",
    "numpy.random._examples.numba": "namespace",
    "numpy.random._examples.numba.extending": "module",
}


def missing(*names, via="ModuleNotFoundError"):
    return [{"name": n, "via": via} for n in names]


def failed_row(module, distribution="dist", error_type="ImportError", message="m", not_found=()):
    row = {
        "module": module,
        "distribution": distribution,
        "kind": "module",
        "outcome": "import-error",
        "error": {"type": error_type, "message": message, "traceback": "", "not_found": list(not_found)},
        "scope": None,
        "needs": [],
        "missing_kind": None,
        "signal": None,
        "exit_status": 0,
        "output_tail": "",
        "artifact": None,
        "batch_death": None,
        "gil_reenabled": False,
    }
    return row


@pytest.mark.parametrize(
    ("module", "provided", "scope"),
    [
        ("pandas", PANDAS, "top-level"),
        ("pandas.plotting._matplotlib", PANDAS, "submodule"),
        ("google.protobuf", PROTOBUF, "top-level"),
        ("google.protobuf.pyext.cpp_message", PROTOBUF, "submodule"),
        ("numpy.random._examples.numba.extending", NUMPY, "submodule"),
        ("json", None, "top-level"),
        ("json.decoder", None, "submodule"),
    ],
)
def test_scope(module, provided, scope):
    assert import_scope(module, provided) == scope


def test_optional_dependency_not_installed_found_in_the_exception_context():
    # pandas' import_optional_dependency: its ImportError, raised while handling matplotlib's absence
    row = failed_row("pandas.plotting._matplotlib", not_found=missing("matplotlib"))
    judge_failure(row, PANDAS)
    assert (row["outcome"], row["scope"]) == ("optional-dependency", "submodule")
    assert (row["needs"], row["missing_kind"]) == (["matplotlib"], "not-installed")


def test_other_platforms_module_is_not_in_the_distribution():
    # psutil._psosx: `from . import _psutil_osx` on Linux (3.12+ names it through ImportError.name_from)
    row = failed_row("psutil._psosx", not_found=missing("psutil._psutil_osx", via="from-import"))
    judge_failure(row, PSUTIL)
    assert (row["needs"], row["missing_kind"]) == (["psutil._psutil_osx"], "not-in-distribution")


def test_part_a_free_threaded_wheel_leaves_out_is_not_in_the_distribution():
    name = "google.protobuf.pyext._message"
    row = failed_row("google.protobuf.pyext.cpp_message", not_found=missing(name, via="from-import"))
    judge_failure(row, PROTOBUF)
    assert (row["outcome"], row["needs"], row["missing_kind"]) == (
        "optional-dependency",
        [name],
        "not-in-distribution",
    )


def test_another_distribution_under_a_shared_namespace_is_not_installed():
    row = failed_row("google.protobuf.pyext.cpp_message", not_found=missing("google.api_core"))
    judge_failure(row, PROTOBUF)
    assert row["missing_kind"] == "not-installed"


def test_from_import_of_another_package_is_an_import_error():
    # `from numpy import gone`: a removed function as likely as a module
    row = failed_row("pandas.plotting._matplotlib", not_found=missing("numpy.gone", via="from-import"))
    judge_failure(row, PANDAS)
    assert (row["outcome"], row["needs"]) == ("import-error", [])


def test_missing_module_the_distribution_provides_is_an_import_error():
    row = failed_row("pandas.plotting._matplotlib", not_found=missing("pandas.plotting"))
    judge_failure(row, PANDAS)
    assert row["outcome"] == "import-error"


def test_top_level_failure_stays_an_import_error():
    row = failed_row("pandas", error_type="ModuleNotFoundError", not_found=missing("numpy"))
    judge_failure(row, PANDAS)
    assert (row["outcome"], row["scope"], row["needs"]) == ("import-error", "top-level", [])


def test_explicit_module_is_never_an_optional_dependency():
    row = failed_row("json.decoder", distribution=None, not_found=missing("matplotlib"))
    judge_failure(row, None)
    assert (row["outcome"], row["scope"]) == ("import-error", "submodule")


def test_fallback_chain_names_every_missing_module():
    row = failed_row("pandas.plotting._matplotlib", not_found=missing("fast_plot", "slow_plot"))
    judge_failure(row, PANDAS)
    assert row["needs"] == ["fast_plot", "slow_plot"]


def test_submodule_of_a_failing_package_is_judged_like_it():
    top = failed_row("pkg", error_type="ModuleNotFoundError", message="No module named 'x'", not_found=missing("x"))
    sub = failed_row("pkg.sub", error_type="ModuleNotFoundError", message="No module named 'x'", not_found=missing("x"))
    judge_failures([sub, top], {"dist": {"pkg": "package", "pkg.sub": "module"}})
    assert (top["outcome"], sub["outcome"]) == ("import-error", "import-error")
    (sig,) = build_signals([top, sub])
    assert sig["evidence"]["also_failing"] == ["pkg.sub"] and sig["evidence"]["scope"] == "top-level"


def test_optional_dependency_signals_group_by_what_is_missing():
    rows = [
        failed_row(m, not_found=missing("matplotlib"))
        for m in ("pandas.plotting._matplotlib.boxplot", "pandas.plotting._matplotlib")
    ]
    rows.append(failed_row("pandas.plotting", not_found=missing("jinja2")))
    judge_failures(rows, {"dist": PANDAS})
    signals = build_signals(rows)
    assert [(s["kind"], s["evidence"]["module"]) for s in signals] == [
        ("optional-dependency", "pandas.plotting"),
        ("optional-dependency", "pandas.plotting._matplotlib"),
    ]
    mpl = signals[1]
    assert mpl["summary"] == "'pandas.plotting._matplotlib' needs 'matplotlib', which is not installed"
    assert mpl["evidence"]["also_failing"] == ["pandas.plotting._matplotlib.boxplot"]
    assert {k: mpl["evidence"][k] for k in ("needs", "missing_kind", "scope", "error_type", "distribution")} == {
        "needs": ["matplotlib"],
        "missing_kind": "not-installed",
        "scope": "submodule",
        "error_type": "ImportError",
        "distribution": "dist",
    }


def test_not_in_distribution_summary():
    row = failed_row("psutil._psosx", not_found=missing("psutil._psutil_osx", via="from-import"))
    judge_failures([row], {"dist": PSUTIL})
    (sig,) = build_signals([row])
    assert sig["summary"] == (
        "'psutil._psosx' needs 'psutil._psutil_osx', which this distribution does not ship on this lane"
    )


def test_crash_only_after_earlier_imports_says_so():
    row = failed_row("pkg.b")
    row.update(outcome="crash", signal="SIGSEGV", faulthandler="Fatal Python error: Segmentation fault", error=None)
    row["batch_death"] = {"outcome": "crash", "after": ["pkg", "pkg.a"], "alone_outcome": "ok", "culprits": ["pkg.a"]}
    judge_failures([row], {"dist": {"pkg": "package", "pkg.a": "module", "pkg.b": "module"}})
    (sig,) = build_signals([row])
    assert sig["evidence"]["only_after"] == ["pkg.a"] and sig["evidence"]["alone_outcome"] == "ok"
    assert sig["summary"] == (
        "importing 'pkg.b' crashed the interpreter (SIGSEGV) only after 'pkg.a' had been imported in the "
        "same process; alone it imports fine"
    )


# --- a batch child's events, per module --------------------------------------------------------------


def batch_raw(events, returncode=0, killed=False, n=3):
    return {
        "returncode": returncode,
        "killed": killed,
        "events": events,
        "logs": [f"/l/{i}.log" for i in range(n)],
        "log": "/l/child.log",
        "wall_seconds": 1.5,
    }


def done(module):
    return {"event": "done", "module": module, "seconds": 0.01, "ok": True}


MODULES = ["a", "b", "c"]


def test_every_module_judged():
    events = []
    for m in MODULES:
        events += [{"event": "start", "module": m, "timeout_s": 5}, done(m), {"event": "kept", "module": m}]
    judged, end = split_child(batch_raw([*events, {"event": "end", "reason": "done"}]), MODULES)
    assert [(m, log, kept) for m, _, log, kept in judged] == [
        ("a", "/l/0.log", []),
        ("b", "/l/1.log", ["a"]),
        ("c", "/l/2.log", ["a", "b"]),
    ]
    assert end == "done"
    assert judged[0][1]["result"]["module"] == "a" and judged[0][1]["returncode"] == 0


def test_a_fork_that_died_is_recorded_and_the_batch_goes_on():
    events = [
        {"event": "start", "module": "a", "timeout_s": 5},
        done("a"),
        {"event": "kept", "module": "a"},
        {"event": "start", "module": "b", "timeout_s": 4},
        {"event": "died", "module": "b", "returncode": -11},
        {"event": "start", "module": "c", "timeout_s": 5},
        done("c"),
        {"event": "end", "reason": "done"},
    ]
    judged, end = split_child(batch_raw(events), MODULES)
    assert [m for m, *_ in judged] == ["a", "b", "c"] and end == "done"
    _, raw, log, kept = judged[1]
    assert (log, raw["returncode"], raw["result"], raw["timeout_s"], kept) == ("/l/1.log", -11, None, 4, ["a"])


def test_death_of_the_child_pins_the_module_in_progress():
    events = [{"event": "start", "module": "a", "timeout_s": 5}, done("a"), {"event": "start", "module": "b"}]
    judged, end = split_child(batch_raw(events, returncode=-9, killed=True), MODULES)
    assert [m for m, *_ in judged] == ["a", "b"] and end is None
    assert (judged[1][1]["returncode"], judged[1][1]["killed"]) == (-9, True)


def test_death_before_the_first_module_is_the_first_modules():
    judged, _ = split_child(batch_raw([], returncode=1), MODULES)
    assert [(m, log) for m, _, log, _ in judged] == [("a", "/l/child.log")]


def test_events_cut_short_by_a_death_are_ignored(tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_text('{"event": "start", "module": "a"}\n{"event": "done", "mod')
    assert read_events(str(path)) == [{"event": "start", "module": "a"}]


# --- what was not checked ------------------------------------------------------------------------------


def test_not_checked_counts_every_reason():
    discovery = {
        "distributions": [
            {"excluded_by_reason": {"tests": 1146, "__main__": 1}},
            {"excluded_by_reason": {"tests": 40, "vendored": 3}},
        ],
        "budget_cut": 7,
        "module_budget": 2000,
    }
    skipped = [{"module": "x", "reason": "job time budget exhausted"}] * 2
    assert not_checked(discovery, skipped) == {
        "count": 1146 + 1 + 40 + 3 + 7 + 2,
        "by_reason": {
            "test modules (exclude_tests)": 1186,
            "__main__ (importing it runs the command line)": 1,
            "vendored copies of other packages (exclude_vendored)": 3,
            "over the module budget of 2000": 7,
            "job time budget exhausted": 2,
        },
    }


def test_extension_shadows_a_py_file_of_the_same_name():
    # lxml ships sax.py next to the compiled sax extension: the import system loads the extension
    files = ["lxml/__init__.py", "lxml/sax.cpython-314t-x86_64-linux-gnu.so", "lxml/sax.py"]
    for order in (files, list(reversed(files))):
        modules, _ = modules_from_files(order, [".cpython-314t-x86_64-linux-gnu.so", ".so"])
        assert modules == {"lxml": "package", "lxml.sax": "extension"}


# --- what the child reads off a failed import's exception chain ----------------------------------------


def raised(code: str) -> BaseException:
    try:
        exec(code, {})
    except BaseException as exc:  # what the child catches
        return exc
    raise AssertionError("no exception")


def test_missing_module_found_in_the_context_of_another_error():
    exc = raised(
        "try:\n    import ftlab_no_such_plotlib\nexcept ImportError:\n"
        "    raise ImportError(\"Missing optional dependency 'ftlab_no_such_plotlib'\")\n"
    )
    assert importchild.not_found(exc) == [{"name": "ftlab_no_such_plotlib", "via": "ModuleNotFoundError"}]


def test_every_missing_module_of_the_chain_cause_and_context():
    exc = raised(
        "try:\n    import ftlab_fast\nexcept ImportError as first:\n"
        "    try:\n        import ftlab_slow\n    except ImportError:\n"
        "        raise RuntimeError('neither') from first\n"
    )
    assert [e["name"] for e in importchild.not_found(exc)] == ["ftlab_fast", "ftlab_slow"]


def test_submodule_missing_from_a_package_names_the_whole_name():
    exc = raised("import json.ftlab_no_such_part")
    assert importchild.not_found(exc) == [{"name": "json.ftlab_no_such_part", "via": "ModuleNotFoundError"}]


@pytest.mark.skipif(sys.version_info < (3, 12), reason="ImportError.name_from is 3.12+")
def test_from_import_names_the_package_and_the_name():
    exc = raised("from json import ftlab_no_such_part")
    assert importchild.not_found(exc) == [{"name": "json.ftlab_no_such_part", "via": "from-import"}]


def test_other_errors_name_nothing():
    assert importchild.not_found(raised("raise LookupError('no doctest')")) == []
