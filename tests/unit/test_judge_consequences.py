"""Findings read as the consequence of another (lab/ftlab/judgement/consequences.py): a lane built
without the baseline's compiled modules, and import errors that follow a failed install."""

from __future__ import annotations

from ftlab.judgement.judge import judge
from ftlab.judgement.verdict import decide, verdicts
from ftlab.records import Lane, Result, Signal, Subject

GIL = Lane(name="3.14", path="/gil", version="3.14.10", implementation="cpython")
FT = Lane(name="3.14t", path="/ft", version="3.14.7", implementation="cpython", gil_disabled=True)


def result(lane: Lane, check: str, subject: str, *signals: Signal, data: dict | None = None) -> Result:
    return Result(job_id=f"r/{subject}/{lane.name}/{check}", run_id="r", subject=subject, lane=lane.name, check=check,
                  status="findings" if signals else "ok", signals=signals, data=data or {})


def judged(subject: str, results: list[Result]):
    found = judge([GIL, FT], results)
    vs = {v.lane: v for v in verdicts([Subject(name=subject)], [GIL, FT], results, found)}
    return found, vs, decide([GIL, FT], results, list(vs.values()), found)


# --- google-crc32c built from its sdist on 3.14t, without _crc32c -----------------------------------

CRC_ROWS = [{"module": "google_crc32c", "kind": "package", "outcome": "ok"},
            {"module": "google_crc32c.cext", "kind": "module", "outcome": "ok"},
            {"module": "google_crc32c._crc32c", "kind": "extension", "outcome": "ok"},
            {"module": "google_crc32c.python", "kind": "module", "outcome": "ok"}]
CEXT_NEEDS = Signal(kind="optional-dependency",
                    summary="'google_crc32c.cext' needs 'google_crc32c._crc32c', which this distribution does not ship on this lane",
                    evidence={"module": "google_crc32c.cext", "needs": ["google_crc32c._crc32c"], "scope": "submodule",
                              "missing_kind": "not-in-distribution", "error_type": "ModuleNotFoundError"})


def crc32c_results() -> list[Result]:
    ft_rows = [r for r in CRC_ROWS if r["module"] != "google_crc32c._crc32c"]
    ft_rows[1] = {**ft_rows[1], "outcome": "optional-dependency"}
    sdist = {"subject_dist": {"name": "google-crc32c", "outcome": "sdist", "filename": "google_crc32c-1.7.1.tar.gz",
                              "wheel_tag": "cp314-cp314t-linux_x86_64"}}
    wheel = {"subject_dist": {"name": "google-crc32c", "outcome": "wheel",
                              "wheel_tag": "cp314-cp314-manylinux_2_17_x86_64"}}
    built = Signal(kind="built-from-sdist", summary="google-crc32c==1.7.1 built from its sdist", evidence={})
    return [result(GIL, "install", "google-crc32c", data=wheel), result(FT, "install", "google-crc32c", built, data=sdist),
            result(GIL, "import", "google-crc32c", data={"modules": CRC_ROWS}),
            result(FT, "import", "google-crc32c", CEXT_NEEDS, data={"modules": ft_rows})]


def test_a_build_without_the_baselines_extension_is_worth_knowing_never_gating():
    found, vs, decision = judged("google-crc32c", crc32c_results())
    (fallback,) = [f for f in found if f.kind == "built-without-extension"]
    assert (fallback.lane, fallback.baseline, fallback.gating, fallback.severity) == ("3.14t", "new", False, "")
    assert fallback.note_on_free_threaded
    assert fallback.evidence["modules"] == ["google_crc32c._crc32c"]
    assert "built from google_crc32c-1.7.1.tar.gz" in fallback.summary and "pure-Python fallback" in fallback.summary
    # The submodule that needs the extension is not an import error new on 3.14t.
    (cext,) = [f for f in found if f.evidence.get("module") == "google_crc32c.cext"]
    assert (cext.kind, cext.gating) == ("optional-dependency", False)
    assert not any(f.kind == "import-error" for f in found)
    assert vs["3.14t"].verdict == "ready" and decision.decision == "go"


def test_the_same_extensions_on_both_lanes_are_no_finding():
    results = crc32c_results()
    results[3] = result(FT, "import", "google-crc32c", data={"modules": CRC_ROWS})
    found, _, _ = judged("google-crc32c", results)
    assert not any(f.kind == "built-without-extension" for f in found)


# --- polars on 3.14t: polars-runtime-32 has no cp314t wheel --------------------------------------------

RUNTIME = {"name": "polars-runtime-32", "version": "2.1.0", "outcome": "failed", "failure": "no-wheel",
           "key_line": "no cp314t wheel and the sdist needs cargo"}
POLARS_ROWS = [{"module": "polars", "kind": "package", "outcome": "ok"},
               {"module": "polars._plr", "kind": "module", "outcome": "ok"},
               {"module": "polars._utils.cloud", "kind": "module", "outcome": "ok"},
               {"module": "polars.broken_alike", "kind": "module", "outcome": "import-error",
                "error": {"type": "RuntimeError"}}]


def import_error(module: str, message: str, error_type: str = "ImportError") -> Signal:
    return Signal(kind="import-error", summary=f"importing {module!r} raised {error_type}: {message}",
                  evidence={"module": module, "scope": "submodule", "error_type": error_type, "error_message": message,
                            "traceback": f"{error_type}: {message}"})


def polars_results() -> list[Result]:
    no_wheel = Signal(kind="install-failed", summary="polars-runtime-32==2.1.0 (needed by polars): no-wheel: ...",
                      evidence=dict(RUNTIME))
    ft_rows = [POLARS_ROWS[0], {**POLARS_ROWS[1], "outcome": "import-error"},
               {**POLARS_ROWS[2], "outcome": "import-error"}, POLARS_ROWS[3]]
    alike = import_error("polars.broken_alike", "unrelated", "RuntimeError")
    return [result(GIL, "install", "polars", data={"dists": [{"name": "polars", "outcome": "wheel"},
                                                             {**RUNTIME, "outcome": "wheel"}]}),
            result(FT, "install", "polars", no_wheel, data={"dists": [{"name": "polars", "outcome": "wheel"}, RUNTIME]}),
            result(GIL, "import", "polars", alike, data={"modules": POLARS_ROWS}),
            result(FT, "import", "polars", import_error("polars._plr", "could not find Polars' Rust module"),
                   import_error("polars._utils.cloud", "No module named '_polars_runtime_32'", "ModuleNotFoundError"),
                   alike, data={"modules": ft_rows})]


def test_import_errors_that_follow_a_failed_install_are_shown_under_it():
    found, vs, decision = judged("polars", polars_results())
    ft = [f for f in found if f.lane == "3.14t"]
    assert [(f.check, f.kind) for f in ft if f.gating] == [("install", "install-failed")]
    (install,) = [f for f in ft if f.check == "install"]
    assert [(c["module"], c["matched"]) for c in install.evidence["consequences"]] == [
        ("polars._plr", "new-on-lane"), ("polars._utils.cloud", "named")]
    assert install.summary.endswith("so 2 modules of polars fail to import: polars._plr, polars._utils.cloud")
    # What fails alike on the baseline is not the install's consequence.
    assert [f.evidence["module"] for f in ft if f.check == "import"] == ["polars.broken_alike"]
    assert vs["3.14t"].verdict == "not-installable" and vs["3.14"].verdict == "ready"
    assert len(decision.triggers) == 1 and "install-failed" in decision.triggers[0]


def test_without_a_failed_install_import_errors_stay_findings():
    results = polars_results()
    results[1] = result(FT, "install", "polars", data={"dists": [{"name": "polars", "outcome": "wheel"}]})
    found, _, _ = judged("polars", results)
    assert sum(f.gating and f.kind == "import-error" for f in found) == 2


# --- pyzstd on a 3.14t built without libzstd's headers: no _zstd in its standard library ---------------

ZSTD_NEEDS = Signal(kind="optional-dependency",
                    summary="'pyzstd' needs '_zstd', a standard-library module this interpreter was built without",
                    evidence={"module": "pyzstd", "needs": ["_zstd"], "scope": "top-level",
                              "missing_kind": "interpreter", "error_type": "ModuleNotFoundError"})


def test_a_stdlib_module_the_lanes_interpreter_lacks_is_worth_knowing_never_gating():
    rows = [{"module": "pyzstd", "kind": "package", "outcome": "ok"}]
    results = [result(GIL, "import", "pyzstd", data={"modules": rows}),
               result(FT, "import", "pyzstd", ZSTD_NEEDS,
                      data={"modules": [{**rows[0], "outcome": "optional-dependency"}]})]
    found, vs, decision = judged("pyzstd", results)
    (f,) = [f for f in found if f.lane == "3.14t"]
    assert f.kind == "optional-dependency" and not f.gating and f.note_on_free_threaded
    assert "interpreter" in f.baseline_note
    assert vs["3.14t"].verdict == "ready" and decision.decision == "go"
