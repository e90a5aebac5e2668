"""Signals read against the baseline GIL lane (lab/ftlab/judgement/judge.py), and what that does to verdicts and the gate."""

from __future__ import annotations

from ftlab.judgement.judge import baselines, judge, ordered
from ftlab.judgement.verdict import decide, verdicts
from ftlab.records import Lane, Result, Signal, Subject

GIL = Lane(name="3.14", path="/gil", version="3.14.10", implementation="cpython")
FT = Lane(name="3.14t", path="/ft", version="3.14.7", implementation="cpython", gil_disabled=True)
GIL13 = Lane(name="3.13", path="/gil13", version="3.13.0", implementation="cpython")
PKG = Subject(name="pkg")


def sig(kind: str, module: str = "", **evidence) -> Signal:
    return Signal(kind=kind, summary=f"{kind} in {module or 'pkg'}", evidence={"module": module, **evidence} if module
                  else evidence)


def res(lane: Lane, check: str, *signals: Signal, rows: list | None = None, subject: str = "pkg") -> Result:
    return Result(job_id=f"r/{subject}/{lane.name}/{check}", run_id="r", subject=subject, lane=lane.name, check=check,
                  status="findings" if signals else "ok", signals=signals,
                  data={"modules": rows} if rows is not None else {})


def row(module: str, outcome: str = "ok", error_type: str | None = None) -> dict:
    return {"module": module, "outcome": outcome, "error": {"type": error_type} if error_type else None}


def both(check: str, gil_signals=(), ft_signals=(), gil_rows=None, ft_rows=None) -> list[Result]:
    return [res(GIL, "install"), res(FT, "install"), res(GIL, check, *gil_signals, rows=gil_rows),
            res(FT, check, *ft_signals, rows=ft_rows)]


def judged(results, lanes=(GIL, FT)):
    found = judge(lanes, results)
    vs = {v.lane: v for v in verdicts([PKG], lanes, results, found)}
    return found, vs, decide(lanes, results, list(vs.values()), found)


def test_baseline_is_the_gil_lane_of_the_same_minor_version():
    assert baselines([GIL13, GIL, FT]) == {"3.14t": "3.14"}
    assert baselines([GIL13, FT]) == {"3.14t": "3.13"}
    assert baselines([FT]) == {}


def test_submodule_failing_alike_on_both_lanes_is_listed_not_gating():
    err = sig("import-error", "pkg.usedoctest", error_type="ValueError", scope="submodule")
    rows = [row("pkg"), row("pkg.usedoctest", "import-error", "ValueError")]
    found, vs, d = judged(both("import", [err], [err], rows, rows))
    ft = next(f for f in found if f.lane == "3.14t")
    assert (ft.baseline, ft.gating, ft.severity) == ("same", False, "")
    assert vs["3.14t"].verdict == vs["3.14"].verdict == "ready"
    assert vs["3.14t"].checks == ("install", "import")
    assert d.decision == "go"


def test_top_level_failing_only_on_free_threaded_gates_as_not_importable():
    err = sig("import-error", "pkg", error_type="ImportError", scope="top-level")
    found, vs, d = judged(both("import", [], [err], [row("pkg")], [row("pkg", "import-error", "ImportError")]))
    (f,) = found
    assert (f.baseline, f.gating, f.severity, f.baseline_note) == ("new", True, "not-importable", "imports on 3.14")
    assert vs["3.14t"].verdict == "not-importable" and vs["3.14"].verdict == "ready"
    assert d.decision == "no-go" and "new on this lane" in d.triggers[0]


def test_optional_dependency_is_information_unless_the_baseline_imported_the_module():
    opt = sig("optional-dependency", "pkg.plotting", needs=["matplotlib"], missing_kind="not-installed")
    rows = [row("pkg"), row("pkg.plotting", "optional-dependency")]
    found, vs, d = judged(both("import", [opt], [opt], rows, rows))
    assert all(not f.gating and not f.severity for f in found)
    assert vs["3.14t"].verdict == "ready" and d.decision == "go"

    cpp = sig("optional-dependency", "pkg.pyext.cpp", needs=["pkg.pyext._message"], missing_kind="not-in-distribution")
    found, vs, d = judged(both("import", [], [cpp], [row("pkg"), row("pkg.pyext.cpp")],
                               [row("pkg"), row("pkg.pyext.cpp", "optional-dependency")]))
    (f,) = found
    assert f.kind == "import-error" and f.signal.evidence["escalated_from"] == "optional-dependency"
    assert (f.baseline, f.gating, f.severity) == ("new", True, "not-importable")
    assert "imports on 3.14 but not here" in f.summary and "pkg.pyext._message" in f.summary
    assert vs["3.14t"].verdict == "not-importable" and d.decision == "no-go"


def test_crashes_and_corruption_gate_on_every_lane_even_when_shared():
    crash = sig("crash", "pkg._speedups", scope="submodule")
    found, vs, d = judged(both("import", [crash], [crash], [row("pkg._speedups", "crash")],
                               [row("pkg._speedups", "crash")]))
    assert [f.gating for f in found] == [True, True]
    assert {f.baseline for f in found} == {"baseline", "same"}
    assert vs["3.14"].verdict == vs["3.14t"].verdict == "crashes" and d.decision == "no-go"

    race = Signal(kind="corruption", summary="lost update", evidence={
        "probe": "p:Counter", "scenario": {"init": [], "threads": [["add(1)"], ["add(2)"]], "post": []}})
    race_ft = Signal(kind="corruption", summary="lost update", evidence={
        "probe": "p:Counter", "scenario": {"init": [], "threads": [["add(5)"], ["add(1)"]], "post": ["total()"]}})
    found, _, d = judged(both("stress", [race], [race_ft]))
    ft = next(f for f in found if f.lane == "3.14t")
    assert (ft.baseline, ft.gating) == ("same", True) and d.decision == "no-go"


def test_an_auto_probe_race_the_gil_lane_shows_too_is_listed_not_gating_but_a_crash_still_gates():
    race = sig("unexpected-exception", probe="ftlab_probes.auto:cls:pkg:Headers:setdefault(str)", auto_probe=True)
    found, vs, d = judged(both("stress", [race], [race]))
    assert [(f.lane, f.baseline, f.gating, f.severity) for f in found] == [
        ("3.14", "baseline", False, "unsafe"), ("3.14t", "same", False, "unsafe")]
    assert vs["3.14t"].verdict == "unsafe" and d.decision == "go"
    assert any("shared with 3.14, not gating" in t for t in d.triggers)

    found, _, d = judged(both("stress", [], [race]))  # only on 3.14t: what adopting it changes
    assert [(f.baseline, f.gating) for f in found] == [("new", True)] and d.decision == "no-go"

    crash = sig("crash", probe="ftlab_probes.auto:cls:pkg:Buffer:read()", auto_probe=True)
    found, _, d = judged(both("stress", [crash], [crash]))
    assert all(f.gating for f in found) and d.decision == "no-go"

    written = sig("corruption", probe="pkg.probes:SharedProbe")  # a hand-written probe: its usage is the contract
    found, _, d = judged(both("stress", [written], [written]))
    assert all(f.gating for f in found) and d.decision == "no-go"


def test_install_failure_shared_with_the_baseline_is_listed_in_the_decision_not_gating():
    fail = sig("install-failed")
    results = [res(GIL, "install", fail), res(FT, "install", fail)]
    found, vs, d = judged(results)
    assert vs["3.14t"].verdict == vs["3.14"].verdict == "not-installable"
    assert not any(f.gating for f in found)
    assert d.decision == "go" and any("shared with 3.14, not gating" in t for t in d.triggers)


def test_without_a_baseline_lane_free_threaded_findings_gate():
    gil = sig("gil-reenabled", "pkg._c")
    found, vs, d = judged([res(FT, "install"), res(FT, "import", gil)], lanes=(FT,))
    (f,) = found
    assert (f.baseline, f.gating) == ("none", True)
    assert vs["3.14t"].verdict == "gil-fallback" and d.decision == "no-go"


def test_gil_lane_findings_about_install_and_import_do_not_gate_a_free_threaded_decision():
    err = sig("import-error", "pkg.only_on_gil", error_type="ImportError", scope="submodule")
    found, _, d = judged(both("import", [err], [], [row("pkg.only_on_gil", "import-error", "ImportError")],
                               [row("pkg.only_on_gil")]))
    (f,) = found
    assert (f.baseline, f.gating) == ("baseline", False)
    assert d.decision == "go"


def test_reports_lead_with_what_is_new_on_free_threaded():
    crash_shared = sig("crash", "pkg._a")
    gil_new = sig("gil-reenabled", "pkg._b")
    opt = sig("optional-dependency", "pkg.extra", needs=["numba"])
    results = both("import", [crash_shared], [crash_shared, gil_new, opt],
                   [row("pkg._a", "crash"), row("pkg._b"), row("pkg.extra", "optional-dependency")],
                   [row("pkg._a", "crash"), row("pkg._b", "gil-reenabled"), row("pkg.extra", "optional-dependency")])
    found = ordered(judge((GIL, FT), results), (GIL, FT))
    assert [(f.kind, f.lane) for f in found][:1] == [("gil-reenabled", "3.14t")]
    assert found[-1].kind == "optional-dependency"


def test_a_go_says_which_checks_it_rests_on():
    _, _, d = judged([res(GIL, "install"), res(FT, "install")])
    assert d.decision == "go"
    assert d.triggers == ("go rests on install; not checked: import, stress (add --checks install,import,stress)",)


def test_a_run_without_a_free_threaded_lane_has_no_baseline_and_its_failures_gate():
    fail = sig("install-failed")
    found, vs, d = judged([res(GIL, "install", fail)], lanes=(GIL,))
    (f,) = found
    assert (f.baseline, f.gating) == ("", True)
    assert vs["3.14"].verdict == "not-installable" and d.decision == "no-go"


def test_a_pure_python_wheel_where_the_baseline_got_a_compiled_one_is_information():
    def install(lane, tag):
        return Result(job_id=f"r/pkg/{lane.name}/install", run_id="r", subject="pkg", lane=lane.name, check="install",
                      status="ok", data={"subject_dist": {"name": "pkg", "wheel_tag": tag}})

    found, vs, d = judged([install(GIL, "cp310-abi3-manylinux2014_x86_64"), install(FT, "py3-none-any")])
    (f,) = found
    assert (f.kind, f.lane, f.gating, f.severity) == ("pure-python-wheel", "3.14t", False, "")
    assert "abi3 wheels never serve a free-threaded build" in f.summary
    assert vs["3.14t"].verdict == "ready" and d.decision == "go"
    assert judge((GIL, FT), [install(GIL, "py3-none-any"), install(FT, "py3-none-any")]) == []


def test_a_submodule_that_needs_the_extension_a_pure_python_wheel_leaves_out_is_not_an_import_failure():
    # protobuf on 3.14t: the abi3 wheel cannot serve it, the pure-Python wheel lacks pyext._message, so
    # google.protobuf.pyext.cpp_message fails there and imports on 3.14. The package works: no gate.
    def install(lane, tag):
        return Result(job_id=f"r/pkg/{lane.name}/install", run_id="r", subject="pkg", lane=lane.name, check="install",
                      status="ok", data={"subject_dist": {"name": "pkg", "wheel_tag": tag}})

    cpp = sig("optional-dependency", "pkg.pyext.cpp", needs=["pkg.pyext._message"], missing_kind="not-in-distribution")
    results = [install(GIL, "cp310-abi3-manylinux2014_x86_64"), install(FT, "py3-none-any"),
               res(GIL, "import", rows=[row("pkg"), row("pkg.pyext.cpp")]),
               res(FT, "import", cpp, rows=[row("pkg"), row("pkg.pyext.cpp", "optional-dependency")])]
    found, vs, d = judged(results)
    assert not any(f.gating for f in found) and vs["3.14t"].verdict == "ready" and d.decision == "go"
    wheel = next(f for f in found if f.kind == "pure-python-wheel")
    assert wheel.summary.endswith("; pkg.pyext.cpp needs it and does not import here")
    assert wheel.evidence["modules_without_extension"] == ["pkg.pyext.cpp"]
    opt = next(f for f in found if f.kind == "optional-dependency")
    assert opt.baseline_note == "imports on 3.14, whose compiled wheel ships it"

    from ftlab.report import headline

    groups = headline(found)
    assert groups["notes"] == [wheel] and opt in groups["info"] and not groups["new"]


def test_headlines_give_a_packages_gil_findings_one_line_naming_every_module():
    from ftlab.judgement.judge import condensed

    mods = [sig("gil-reenabled", m, chain=[importer, m]) for m, importer in
            (("pkg.etree", "pkg.builder"), ("pkg.sax", "pkg.sax"), ("pkg._path", "pkg.builder"))]
    other = sig("crash", "pkg.x")
    found = judge((GIL, FT), both("import", [], [*mods, other],
                                  [row("pkg.etree"), row("pkg.sax"), row("pkg._path"), row("pkg.x")],
                                  [row("pkg.etree", "gil-reenabled"), row("pkg.sax", "gil-reenabled"),
                                   row("pkg._path", "gil-reenabled"), row("pkg.x", "crash")]))
    lines = condensed(ordered(found, (GIL, FT)))
    assert [(f.kind, text) for f, text in lines] == [
        ("crash", "crash in pkg.x"),
        ("gil-reenabled", "3 extension modules turn the GIL back on (none declares it can run without it): "
                          "pkg.etree, pkg.sax, pkg._path; first seen importing pkg.builder, pkg.sax")]
    _, _, d = judged(both("import", [], mods, [row("pkg.etree")], [row("pkg.etree", "gil-reenabled")]))
    assert len(d.triggers) == 1 and "3 extension modules" in d.triggers[0]


def test_a_check_with_nothing_to_test_is_not_what_a_verdict_rests_on():
    stress = Result(job_id="r/pkg/3.14t/stress", run_id="r", subject="pkg", lane="3.14t", check="stress", status="ok",
                    reason="auto-probe: nothing in the public API passed screening", data={"nothing_tested": True})
    _, vs, d = judged([res(GIL, "install"), res(FT, "install"), stress])
    assert vs["3.14t"].verdict == "ready" and vs["3.14t"].checks == ("install",)
    assert any("nothing in the public API" in r for r in vs["3.14t"].reasons)
    assert "not checked: import, stress" in d.triggers[0]


def test_packages_that_turn_the_gil_back_on_through_one_dependency_are_one_reason():
    """brotli's _brotli, imported by urllib3 and httpx when installed: one thing to fix, one line."""
    from ftlab.judgement.judge import condensed

    def through(subject, owner):
        f = sig("gil-reenabled", "_brotli", chain=[subject, "_brotli"])
        f.evidence.update(distribution=subject, offender_distribution=owner)
        return subject, f

    results = []
    for subject in ("brotli", "urllib3", "httpx", "tqdm"):
        _, f = through(subject, "brotli")
        results += [Result(job_id=f"r/{subject}/{lane.name}/import", run_id="r", subject=subject, lane=lane.name,
                           check="import", status="findings" if lane is FT else "ok",
                           signals=(f,) if lane is FT else (),
                           data={"modules": [row("_brotli", "gil-reenabled" if lane is FT else "ok")]})
                    for lane in (GIL, FT)]
    found = judge((GIL, FT), results)
    lines = condensed(ordered(found, (GIL, FT)))
    assert [(f.subject, f.kind) for f, _ in lines] == [("brotli", "gil-reenabled")]
    assert lines[0][1].endswith("; the same in httpx, tqdm, urllib3, which import it")
    _, _, d = judged(results)
    assert len(d.triggers) == 1
    # Without brotli among the subjects, the first package that pulls it in speaks for the others.
    rest = [r for r in results if r.subject != "brotli"]
    lines = condensed(ordered(judge((GIL, FT), rest), (GIL, FT)))
    assert [f.subject for f, _ in lines] == ["httpx"] and lines[0][1].endswith("the same in tqdm, urllib3, which import it")
