from __future__ import annotations

from dataclasses import replace

import pytest

from ftlab.judgement.diff import diff_runs, format_text, match_lanes, normalise
from ftlab.records import Decision, Lane, Verdict
from ftlab.store.db import Store
from tests.support.runs import FT, GIL, store_rich_run


@pytest.fixture
def runs(tmp_path):
    """(correct, buggy): the same fixture before and after it lost its thread safety."""
    path = tmp_path / "s.sqlite"
    store_rich_run(path, "20260101-000000-good", buggy=False)
    store_rich_run(path, "20260102-000000-bad", buggy=True, created_offset=10)
    with Store(path) as s:
        return s.load_run("20260101-000000-good"), s.load_run("20260102-000000-bad")


def test_correct_to_buggy_regresses(runs):
    good, bad = runs
    d = diff_runs(good, bad)
    assert d.regressed
    assert [(v.subject, v.lane, v.before, v.after, v.change) for v in d.verdicts] == [
        ("counter", "3.13t", "ready", "crashes", "worse")]
    assert sorted(s.kind for s in d.new_signals) == ["corruption", "crash"] and not d.gone_signals
    assert any("verdict ready -> crashes" in r for r in d.regressions)
    ops = next(m for m in d.metrics if m.metric == "ops_per_s" and m.lane == "3.13t")
    assert (ops.change, ops.wording) == ("worse", "2.2x slower")
    doc = d.to_json()
    assert doc["format"] == "ftlab-diff/2" and doc["regressed"] is True and doc["perf_gates"] == []
    assert doc["decision"] == {"before": "no-go", "after": "no-go", "change": "same"}


def test_buggy_to_correct_improves(runs):
    good, bad = runs
    d = diff_runs(bad, good)
    assert not d.regressed
    assert any("counter on 3.13t: crashes -> ready" in x for x in d.improvements)
    assert sorted(s.kind for s in d.gone_signals) == ["corruption", "crash"] and not d.new_signals
    text = format_text(d)
    assert "no regressions" in text and "improved (3)" in text and "2.2x faster" in text


def test_same_run_twice_is_quiet(runs):
    good, _ = runs
    d = diff_runs(good, good)
    assert not d.regressed and not d.verdicts and not d.new_signals and not d.gone_signals
    assert all(m.change == "same" for m in d.metrics)


def test_remeasured_finding_is_the_same_finding(runs):
    _, bad = runs
    again = replace(bad, run_id="again", results=tuple(
        replace(r, signals=tuple(replace(s, summary=s.summary.replace("7 of 50", "9 of 60")) for s in r.signals))
        for r in bad.results))
    assert not diff_runs(bad, again).new_signals
    assert normalise("lost 7 of 50 at 0x7f3a2b") == "lost # of # at #"


def test_decision_to_no_go_is_a_regression_even_without_signals(runs):
    good, _ = runs
    before = replace(good, decision=Decision(decision="go"))
    after = replace(good, run_id="later", decision=Decision(decision="no-go", triggers=("x",)))
    d = diff_runs(before, after)
    assert d.regressed and d.regressions == ("decision go -> no-go",) and d.decision_change == "worse"


def test_untested_is_coverage_not_regression(runs):
    good, _ = runs
    after = replace(good, run_id="later", verdicts=tuple(
        replace(v, verdict="untested") if (v.subject, v.lane) == ("counter", "3.13t") else v for v in good.verdicts))
    d = diff_runs(good, after)
    assert [v.change for v in d.verdicts] == ["coverage"] and not d.regressed


def test_lanes_matched_by_kind_when_names_differ(runs):
    good, bad = runs
    renamed = {FT.name: "ft-custom", GIL.name: "gil-custom"}

    def rename(run):
        return replace(
            run,
            lanes=tuple(replace(ln, name=renamed.get(ln.name, ln.name)) for ln in run.lanes),
            results=tuple(replace(r, lane=renamed.get(r.lane, r.lane)) for r in run.results),
            verdicts=tuple(Verdict(subject=v.subject, lane=renamed.get(v.lane, v.lane), verdict=v.verdict,
                                   reasons=v.reasons) for v in run.verdicts))

    d = diff_runs(good, rename(bad))
    assert ("3.13t", "ft-custom") in d.lanes and ("3.13", "gil-custom") in d.lanes
    assert [(v.lane, v.change) for v in d.verdicts] == [("3.13t -> ft-custom", "worse")]
    assert len(d.new_signals) == 2  # only the real change, not every signal of a renamed lane


def test_match_lanes_leaves_extra_lanes_unmatched():
    a = (Lane(name="3.14", path="/a"), Lane(name="3.14t", path="/b", gil_disabled=True))
    b = (Lane(name="3.14", path="/a"), Lane(name="x", path="/c", gil_disabled=True),
         Lane(name="y", path="/d", gil_disabled=True))
    assert match_lanes(a, b) == {"3.14": "3.14", "x": "3.14t"}
