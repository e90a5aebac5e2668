"""From a child's raw facts to a row and signals, on free-threaded and GIL lanes (pure functions).

The raw documents have the shape child.py writes; the texts are CPython's exact words.
"""

from __future__ import annotations

from ftlab_probes.runtime.imports.outcome import classify, merge_verbose
from ftlab_probes.runtime.imports.signals import _gil_summary, _owning_distribution, build_signals

WARNING = (
    "The global interpreter lock (GIL) has been enabled to load module '{}', which has not declared that it "
    "can run safely without the GIL. To override this behavior and keep the GIL disabled (at your own risk), "
    "run with PYTHON_GIL=0 or -Xgil=0."
)
VERBOSE = "# loading module '{}', which requires the GIL\n"

CHAINS = {
    "ftfix_chain": ["ftfix_chain.api", "ftfix_chain"],
    "ftfix_chain.api": ["ftfix_chain.api"],
    "ftfix_chain.helpers": ["ftfix_chain.api", "ftfix_chain.helpers"],
    "ftfix_chain._speedups": ["ftfix_chain.api", "ftfix_chain.helpers", "ftfix_chain._speedups"],
    "ftfix_chain._legacy": ["ftfix_chain.api", "ftfix_chain._legacy"],
}


def child(gil_before=False, gil_after=False, warned=(), error=None, chains=None):
    return {
        "module": "m",
        "ok": error is None,
        "seconds": 0.01,
        "gil_before": gil_before,
        "gil_after": gil_after,
        "error": error,
        "warnings": [
            {"category": "RuntimeWarning", "message": WARNING.format(n), "filename": "<frozen>", "lineno": 1}
            for n in warned
        ],
        "kind": "module",
        "origin": "/x/m.py",
        "chains": chains or {},
    }


def raw(result=None, returncode=0, killed=False):
    return {
        "returncode": returncode,
        "killed": killed,
        "result": result,
        "log": "/nonexistent",
        "wall_seconds": 0.1,
    }


def row_for(
    result, *, output="", returncode=0, killed=False, free_threaded=True, gil_forced=False, module="m"
):
    return classify(
        module,
        "module",
        "dist",
        raw(result, returncode, killed),
        output,
        5.0,
        free_threaded=free_threaded,
        gil_forced=gil_forced,
    )


def test_clean_import_on_free_threaded_lane():
    row = row_for(child())
    assert row["outcome"] == "ok" and not row["gil_reenabled"] and row["offenders"] == []
    assert build_signals([row]) == []


def test_gil_reenabled_names_the_warned_module_and_its_chain():
    result = child(gil_after=True, warned=["ftfix_chain._speedups"], chains=CHAINS)
    row = row_for(result, module="ftfix_chain.api")
    assert row["outcome"] == "gil-reenabled"
    assert row["offenders"] == ["ftfix_chain._speedups"]
    assert row["chains"] == {"ftfix_chain._speedups": CHAINS["ftfix_chain._speedups"]}
    assert row["warning"] == WARNING.format("ftfix_chain._speedups")
    assert row["warning_offender"] == "ftfix_chain._speedups"


def test_verbose_pass_names_every_offender():
    result = child(gil_after=True, warned=["ftfix_chain._speedups"], chains=CHAINS)
    row = row_for(result, module="ftfix_chain.api")
    verbose_output = (
        VERBOSE.format("ftfix_chain._speedups") + "import 'x'\n" + VERBOSE.format("ftfix_chain._legacy")
    )
    merge_verbose(row, raw(result), verbose_output)
    assert row["offenders"] == ["ftfix_chain._speedups", "ftfix_chain._legacy"]
    assert row["chains"]["ftfix_chain._legacy"] == ["ftfix_chain.api", "ftfix_chain._legacy"]
    signals = build_signals([row])
    assert [s["kind"] for s in signals] == ["gil-reenabled", "gil-reenabled"]
    first, second = signals
    assert first["evidence"] == {
        "module": "ftfix_chain._speedups",
        "distribution": "dist",
        "imported_by": ["ftfix_chain.api"],
        "chain": ["ftfix_chain.api", "ftfix_chain.helpers", "ftfix_chain._speedups"],
        "warning": True,
        "offenders_in_same_import": ["ftfix_chain._speedups", "ftfix_chain._legacy"],
        "offender_distribution": "",  # not installed where the unit tests run
    }
    assert second["evidence"]["module"] == "ftfix_chain._legacy" and second["evidence"]["warning"] is False
    assert "ftfix_chain.api -> ftfix_chain.helpers -> ftfix_chain._speedups" in first["summary"]


def test_one_signal_per_offender_across_imports():
    rows = []
    for module in ("pkg", "pkg.a", "pkg.b"):
        result = child(gil_after=True, warned=["pkg._ext"], chains={"pkg._ext": [module, "pkg._ext"]})
        rows.append(row_for(result, module=module))
    signals = build_signals(rows)
    assert len(signals) == 1
    assert signals[0]["evidence"]["imported_by"] == ["pkg", "pkg.a", "pkg.b"]
    assert signals[0]["evidence"]["chain"] == ["pkg", "pkg._ext"]


def test_gil_state_alone_flags_reenabling_when_the_warning_was_swallowed():
    row = row_for(child(gil_after=True))
    assert row["outcome"] == "gil-reenabled" and row["offenders"] == []
    assert build_signals([row])[0]["evidence"]["module"] == "<unknown>"


def test_never_gil_reenabled_on_a_gil_build():
    # On a GIL build the state is always True and CPython never warns; even a stray copy of the text
    # in the output must not produce a finding.
    row = row_for(child(gil_before=True, gil_after=True), output=WARNING.format("x"), free_threaded=False)
    assert row["outcome"] == "ok" and not row["gil_reenabled"]
    assert build_signals([row]) == []


def test_never_gil_reenabled_when_the_gil_is_forced_off():
    row = row_for(child(gil_after=False), gil_forced=True)
    assert row["outcome"] == "ok" and not row["gil_reenabled"]


def test_gil_already_on_at_startup_is_not_blamed_on_the_import():
    row = row_for(child(gil_before=True, gil_after=True))
    assert row["outcome"] == "ok" and not row["gil_reenabled"]


def test_import_error():
    error = {"type": "RuntimeError", "message": "boom", "traceback": "Traceback ...\nRuntimeError: boom\n"}
    row = row_for(child(error=error))
    assert row["outcome"] == "import-error" and row["error"] == error
    (sig,) = build_signals([row])
    assert sig["kind"] == "import-error"
    assert sig["evidence"]["error_type"] == "RuntimeError" and sig["evidence"]["error_message"] == "boom"


def test_import_error_and_gil_reenabled_together():
    error = {"type": "ImportError", "message": "later failure", "traceback": ""}
    row = row_for(child(gil_after=True, warned=["m._ext"], error=error))
    assert row["outcome"] == "import-error" and row["gil_reenabled"]
    assert sorted(s["kind"] for s in build_signals([row])) == ["gil-reenabled", "import-error"]


def test_crash_from_exit_status_and_faulthandler_text():
    output = "Fatal Python error: Segmentation fault\n\nCurrent thread 0x1 (most recent call first):\n"
    row = row_for(None, output=output, returncode=-11)
    assert row["outcome"] == "crash" and row["signal"] == "SIGSEGV" and row["exit_status"] == -11
    assert row["faulthandler"].startswith("Fatal Python error: Segmentation fault")
    (sig,) = build_signals([row])
    assert sig["kind"] == "crash" and sig["evidence"]["signal"] == "SIGSEGV"


def test_crash_after_the_gil_was_reenabled_keeps_the_warning():
    output = "<frozen importlib._bootstrap>:488: RuntimeWarning: " + WARNING.format("m._ext") + "\n"
    output += "Fatal Python error: Aborted\n"
    row = row_for(None, output=output, returncode=-6)
    assert row["outcome"] == "crash" and row["gil_reenabled"] and row["offenders"] == ["m._ext"]
    assert row["warning"] == WARNING.format("m._ext")


def test_hang_from_the_childs_own_timeout():
    output = 'Timeout (0:00:05)!\nThread 0x1 (most recent call first):\n  File "x.py", line 1 in f\n'
    row = row_for(None, output=output, returncode=1)
    assert row["outcome"] == "hang" and row["faulthandler"].startswith("Timeout (0:00:05)!")
    (sig,) = build_signals([row])
    assert sig["kind"] == "hang" and sig["evidence"]["timeout_s"] == 5.0
    assert sig["evidence"]["stacks"].startswith("Timeout")


def test_hang_killed_by_the_parent():
    row = row_for(None, returncode=-9, killed=True)
    assert row["outcome"] == "hang" and row["faulthandler"] is None


def test_exit_without_result_is_an_import_error_with_the_status():
    row = row_for(None, returncode=3)
    assert row["outcome"] == "import-error"
    assert row["error"]["type"] == "exit" and "status 3" in row["error"]["message"]


def test_submodules_failing_like_their_package_fold_into_its_signal():
    error = {"type": "ModuleNotFoundError", "message": "No module named 'dep'", "traceback": ""}
    rows = [row_for(child(error=error), module=m) for m in ("pkg.sub.deep", "pkg", "pkg.sub", "other")]
    signals = build_signals(rows)
    assert [s["evidence"]["module"] for s in signals] == ["other", "pkg"]
    assert signals[1]["evidence"]["also_failing"] == ["pkg.sub", "pkg.sub.deep"]


def test_different_failures_in_a_package_stay_separate():
    rows = [
        row_for(child(error={"type": "ImportError", "message": "a", "traceback": ""}), module="pkg"),
        row_for(None, returncode=-11, module="pkg.sub"),
    ]
    assert sorted(s["kind"] for s in build_signals(rows)) == ["crash", "import-error"]


def test_signal_prefers_a_chain_from_another_import_over_the_extension_itself():
    direct = row_for(
        child(gil_after=True, warned=["pkg._ext"], chains={"pkg._ext": ["pkg._ext"]}), module="pkg._ext"
    )
    via = row_for(
        child(gil_after=True, warned=["pkg._ext"], chains={"pkg._ext": ["pkg.api", "pkg._ext"]}),
        module="pkg.api",
    )
    (sig,) = build_signals([direct, via])
    assert sig["evidence"]["chain"] == ["pkg.api", "pkg._ext"]
    assert sig["evidence"]["imported_by"] == ["pkg._ext", "pkg.api"]
    assert "pulled in by pkg.api -> pkg._ext" in sig["summary"]


def test_an_offender_from_a_dependency_is_named_with_its_distribution():
    # matplotlib's pdf backend imports fontTools' compiled modules: fonttools has to declare, not matplotlib.
    summary = _gil_summary("matplotlib.backends._backend_pdf_ps", "fontTools.varLib.iup",
                                   ["matplotlib.backends._backend_pdf_ps", "fontTools.varLib.iup"], "fonttools", "matplotlib")
    assert "'fontTools.varLib.iup' (from fonttools, a dependency) has not declared" in summary
    assert "(from" not in _gil_summary("lxml.sax", "lxml.sax", ["lxml.sax"], "lxml", "lxml")
    assert _owning_distribution("pytest") == "pytest"
