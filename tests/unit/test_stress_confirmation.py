"""Confirmation before a race gates, and replay before "new" (issues 24 item 1, 22 item 5), as the
judgement reads them (lab/ftlab/judgement/judge.py): a wrong result whose own replay did not reproduce
it is `unconfirmed`, listed and never gating; a crash or a hang gates as before; a free-threaded
finding whose minimal scenario reproduced on the baseline GIL lane is `same`, one that did not is
`new`, and the note says how many replays."""

from __future__ import annotations

import pytest

from ftlab.judgement.judge import is_unconfirmed, judge
from ftlab.judgement.verdict import decide, verdicts
from ftlab.records import Lane, Result, Signal, Subject

GIL = Lane(name="3.14", path="/gil", version="3.14.10", implementation="cpython")
FT = Lane(name="3.14t", path="/ft", version="3.14.7", implementation="cpython", gil_disabled=True)
PKG = Subject(name="pkg")
PROBE = "ftlab_probes.auto:cls:pkg:Time"


def stress(lane: Lane, *signals: Signal) -> Result:
    return Result(job_id=f"r/pkg/{lane.name}/stress", run_id="r", subject="pkg", lane=lane.name, check="stress",
                  status="findings" if signals else "ok", signals=signals)


def finding(kind: str, *, probe: str = PROBE, **evidence) -> Signal:
    return Signal(kind=kind, summary=f"{kind} in {probe}", evidence={"probe": probe, **evidence})


def run(gil: list[Signal], ft: list[Signal]):
    results = [stress(GIL, *gil), stress(FT, *ft)]
    found = judge((GIL, FT), results)
    vs = {v.lane: v for v in verdicts([PKG], (GIL, FT), results, found)}
    return found, vs, decide((GIL, FT), results, list(vs.values()), found)


@pytest.mark.parametrize("kind", ["corruption", "unexpected-exception", "invariant-broken"])
def test_a_wrong_result_not_reproduced_is_unconfirmed_listed_never_gating(kind):
    seen = finding(kind, confirmed=False, rate=[0, 1000],
                   unconfirmed_reason="seen once in the search, not reproduced in 1000 further runs")
    found, vs, d = run([], [seen])
    (f,) = found
    assert f.unconfirmed and not f.gating and f.severity == "" and f.weight == "unconfirmed"
    assert f.note_on_free_threaded  # worth knowing before adopting 3.14t, listed with what was seen
    assert vs["3.14t"].verdict == "ready" and d.decision == "go"


def test_a_confirmed_wrong_result_still_gates():
    found, vs, d = run([], [finding("corruption", confirmed=True, rate=[12, 1000])])
    (f,) = found
    assert f.gating and f.severity == "unsafe" and not f.unconfirmed
    assert vs["3.14t"].verdict == "unsafe" and d.decision == "no-go"


def test_results_without_the_field_keep_gating():
    """Results stored before confirmation existed carry no ``confirmed``: they are judged as before."""
    (f,), _, _ = run([], [finding("corruption", rate=[0, 1000])])
    assert f.gating and not is_unconfirmed(f.signal)


@pytest.mark.parametrize("kind", ["crash", "hang"])
def test_crashes_and_hangs_keep_gating_even_unreproduced(kind):
    (f,), vs, _ = run([], [finding(kind, confirmed=False, rate=[0, 40])])
    assert f.gating and f.severity == "crashes" and not f.unconfirmed
    assert vs["3.14t"].verdict == "crashes"


def test_a_finding_the_gil_replay_reproduced_is_shared_not_new():
    replay = {"lane": "3.14", "failures": 37, "runs": 1000, "relation": "shared"}
    (ft,), _, _ = run([], [finding("corruption", confirmed=True, auto_probe=True, baseline_replay=replay)])
    assert ft.baseline == "same" and not ft.new_on_free_threaded
    assert ft.baseline_note == "reproduced in 37 of 1000 replays of its minimal scenario on 3.14"
    # An auto-probe's wrong result the GIL build shows alike is the class's contract, not 3.14t's.
    assert not ft.gating and ft.weight == "shared"


def test_a_finding_the_gil_replay_did_not_reproduce_stays_new_with_its_record():
    replay = {"lane": "3.14", "failures": 0, "runs": 1000, "relation": "new"}
    (ft,), _, d = run([], [finding("corruption", confirmed=True, auto_probe=True, baseline_replay=replay)])
    assert ft.baseline == "new" and ft.gating and ft.new_on_free_threaded
    assert ft.baseline_note == "not reproduced in 0 of 1000 replays of its minimal scenario on 3.14"
    assert d.decision == "no-go"


def test_the_gil_search_finding_it_too_is_shared_without_a_replay():
    (_, ft), _, _ = run([finding("corruption", confirmed=True)], [finding("corruption", confirmed=True)])
    assert ft.baseline == "same" and ft.baseline_note == "also on 3.14"


def test_the_pytest_plugin_does_not_fail_a_test_on_unconfirmed_findings_only():
    from ftlab.pytest_plugin import failure_message

    unconfirmed = {"kind": "corruption", "summary": "corruption seen once", "confirmed": False, "rate": [0, 1000]}
    confirmed = {**unconfirmed, "summary": "corruption in 3 of 1000 runs", "confirmed": True, "rate": [3, 1000]}
    options = {"probe": "m:P"}
    assert failure_message({"status": "findings", "data": {"findings": [unconfirmed]}}, options) is None
    message = failure_message({"status": "findings", "data": {"findings": [unconfirmed, confirmed]}}, options)
    assert message is not None and "corruption in 3 of 1000 runs" in message


def test_a_replay_reads_as_shared_only_when_the_baseline_failed_alike():
    from ftlab.engine.checks.stress import replay_reading

    def reading(failures, nondeterministic, confirmed=True):
        return replay_reading("race", {"failures": failures, "runs": 1000, "nondeterministic": nondeterministic},
                              "3.14", confirmed=confirmed)

    assert reading(12, 0) == ("shared", "race; also reproduced on 3.14 (12 of 1000 replays on 3.14)")
    assert reading(0, 0) == ("new", "race; not reproduced on 3.14 (0 of 1000 replays on 3.14)")
    # cachetools' RRCache evicts at random: 33 replays failed on 3.14 too, all traced to that.
    relation, text = reading(33, 566, confirmed=False)
    assert relation == "shared" and "not reproduced" not in text
    assert text.endswith("on 3.14 alike in 33 of 1000 replays on 3.14, which the oracle traced to results that "
                         "differ from run to run, not to concurrency")
    # A confirmed race stays new when the baseline only shows failures traced to nondeterminism.
    assert reading(33, 566, confirmed=True)[0] == "new"
