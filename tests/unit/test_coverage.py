"""Stress coverage (ftlab.coverage): counted from a stress result's data, and what a verdict rests on."""

from __future__ import annotations

from ftlab.coverage import StressCoverage, covered, of_stress, probe_label
from ftlab.judgement.verdict import verdicts
from ftlab.records import Lane, Result, Subject

FT = Lane(name="3.14t", path="/x/python3.14t", gil_disabled=True)

SCREENING = {"modules": [
    {"module": "pkg", "coverage": {"found": 9, "screened": 7, "kept": 4,
                                   "dropped": {"raises on every": 2, "policy": 2, "not deterministic": 1}}},
    {"module": "pkg_extra", "coverage": {"found": 2, "screened": 2, "kept": 1, "dropped": {"raises on every": 1}}},
]}
SPEC = "ftlab_probes.auto:cls:pkg:Stack(2)[push(1);push(0)]:push(int);pop();__len__()|len"


def test_coverage_counts_screening_and_the_ops_each_probe_raced():
    data = {"auto": SCREENING, "probes": [
        {"probe": SPEC, "kind": "auto", "status": "ok", "invocations": 900, "ops": ["push", "pop", "len"],
         "excluded_ops": ["pop"]},
        {"probe": "ftlab_probes.auto:fn:pkg:f(int)", "kind": "auto", "status": "error", "invocations": 0},
    ]}
    cov = of_stress(data)
    assert (cov.found, cov.screened, cov.kept, cov.raced) == (11, 9, 5, 2)
    assert cov.dropped == (("raises on every", 3), ("policy", 2), ("not deterministic", 1))
    # the probe lists its attribute names (len); coverage names an op as the spec does (__len__)
    assert [(p.probe, p.ops) for p in cov.probes] == [("pkg.Stack", ("push", "__len__")), ("pkg functions", ())]
    assert StressCoverage.from_json(cov.to_json()) == cov


def test_the_words_reports_print_beside_the_verdict():
    spec = ("ftlab_probes.auto:cls:pkg:Box:put(int);get();__setitem__(str,int);__delitem__(str);__contains__(str);"
            "__len__();__iter__()!;__iadd__(list)|len,iter")
    cov = of_stress({"auto": SCREENING, "probes": [
        {"probe": spec, "kind": "auto", "status": "ok", "invocations": 40,
         "ops": ["put", "get", "setitem", "delitem", "contains", "len", "iter", "iadd"]},
        {"probe": "ftlab_probes.auto:fn:pkg:f(int)", "kind": "auto", "status": "ok", "invocations": 9, "ops": ["f"]}]})
    assert cov.summary() == ("11 found · 9 screened · 5 kept · 9 ops raced · dropped: 3 raises on every input, "
                             "2 denied by policy, 1 not deterministic")
    assert cov.summary(1).endswith("dropped: 3 raises on every input, 3 more")
    # protocol ops first: what a shared container is used through, named as the methods they call
    assert cov.op_names() == ["__setitem__", "__delitem__", "__contains__", "__len__", "__iter__", "__iadd__",
                              "put", "get", "f"]
    assert cov.unraced == ""
    hand = of_stress({"probes": [{"probe": "pkg.probes:P", "kind": "hand-written", "status": "ok",
                                  "invocations": 5, "ops": ["push", "pop"]}]})
    assert hand.summary() == "1 hand-written probe · 2 ops raced" and hand.op_names() == ["push", "pop"]


def test_a_stress_check_that_raced_nothing_says_why():
    nothing_kept = {"modules": [{"module": "pkg", "coverage": {
        "found": 9, "screened": 9, "kept": 0, "dropped": {"raises on every": 6, "not constructible": 3}}}]}
    screened_out = of_stress({"auto": nothing_kept, "probes": [], "nothing_tested": True})
    assert screened_out.unraced == "none of 9 public callables passed screening (6 raises on every input, 3 more)"
    assert of_stress({"auto": {"modules": []}, "nothing_tested": True}).unraced == "screening found no public callable"
    failed = of_stress({"probes": [{"probe": "pkg.probes:P", "kind": "hand-written", "status": "error",
                                    "reason": "the probe module failed to import\nTraceback ...", "invocations": 0}]})
    assert failed.unraced == "its probe failed: the probe module failed to import"
    assert StressCoverage.from_json(failed.to_json()).unraced == failed.unraced
    left_out = of_stress({"probes": [{"probe": SPEC, "kind": "auto", "status": "ok", "invocations": 9,
                                      "ops": ["push", "pop", "len"], "excluded_ops": ["push", "pop", "len"]}]})
    assert left_out.unraced == "every op was left out (engine errors, not races)"
    spent = of_stress({"auto": SCREENING, "probes": [], "skipped_probes": [{"probe": SPEC, "reason": "budget"}]})
    assert spent.unraced.startswith("the subject's budget was spent")


def test_older_results_without_an_op_list_read_the_spec():
    cov = of_stress({"probes": [{"probe": SPEC, "kind": "auto", "status": "ok", "invocations": 5}]})
    assert cov.probes[0].ops == ("push", "pop", "__len__")
    assert probe_label("pkg.probes:HandWritten") == "pkg.probes:HandWritten"


def stress(data, status="ok"):
    return Result(job_id="r/pkg/3.14t/stress", run_id="r", subject="pkg", lane="3.14t", check="stress",
                  status=status, data=data)


def install():
    return Result(job_id="r/pkg/3.14t/install", run_id="r", subject="pkg", lane="3.14t", check="install", status="ok")


def test_a_stress_check_that_raced_nothing_is_not_what_ready_rests_on():
    nothing = {"coverage": of_stress({"auto": SCREENING, "probes": [
        {"probe": SPEC, "kind": "auto", "status": "error", "invocations": 0}]}).to_json()}
    raced = {"coverage": of_stress({"probes": [
        {"probe": SPEC, "kind": "auto", "status": "ok", "invocations": 9, "ops": ["push"]}]}).to_json()}
    assert not covered("stress", "ok", nothing) and covered("stress", "ok", raced)
    assert covered("stress", "ok", {})  # a result from before coverage says what it says
    (v,) = verdicts([Subject(name="pkg")], [FT], [install(), stress(nothing)])
    assert v.label == "ready (install)"
    (v,) = verdicts([Subject(name="pkg")], [FT], [install(), stress(raced)])
    assert v.label == "ready (install, stress)"


def test_thin_reach_is_under_a_quarter_of_what_screening_found():
    def auto(found, raced):
        return StressCoverage(found=found, screened=found, kept=raced, raced=raced,
                              probes=(), dropped=(("raises on every", found - raced),) if found > raced else ())

    assert auto(33, 1).thin and auto(149, 10).thin  # simsimd, tornado on the fourth real set
    assert not auto(26, 8).thin and not auto(152, 41).thin  # matplotlib, lupa
    assert not auto(2, 1).thin  # tomli: two functions, one raced
    assert not auto(33, 0).thin  # raced nothing: not_stress_tested says so instead
    hand = of_stress({"probes": [{"probe": "pkg.probes:P", "kind": "hand-written", "status": "ok",
                                  "invocations": 5, "ops": ["push"]}]})
    assert not hand.thin
