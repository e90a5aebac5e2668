from __future__ import annotations

from ftlab.judgement.verdict import decide, verdicts
from ftlab.records import LANE_SUBJECT, Lane, Result, Signal, Subject

GIL = Lane(name="3.14", path="/gil", version="3.14.0", implementation="cpython")
FT = Lane(name="3.14t", path="/ft", version="3.14.0", implementation="cpython", gil_disabled=True)
FT_MISSING = Lane(name="3.14t", path="", gil_disabled=True, available=False, reason="no free-threaded CPython 3.14 found")
PKG = Subject(name="pkg")


def res(lane: Lane, check: str, *kinds: str, status: str = "ok", subject: str = "pkg") -> Result:
    sigs = tuple(Signal(kind=k, summary=f"{k} seen") for k in kinds)
    return Result(job_id=f"r/{subject}/{lane.name}/{check}", run_id="r", subject=subject, lane=lane.name,
                  check=check, status="findings" if kinds else status, signals=sigs)


def test_most_severe_signal_wins():
    results = [res(FT, "install"), res(FT, "import", "gil-reenabled"), res(FT, "stress", "corruption", "crash")]
    (v,) = verdicts([PKG], [FT], results)
    assert v.verdict == "crashes"
    assert any("crash" in r for r in v.reasons)


def test_ready_needs_a_package_check():
    (v,) = verdicts([PKG], [GIL], [res(GIL, "fingerprint", subject=LANE_SUBJECT.name)])
    assert v.verdict == "untested"
    (v,) = verdicts([PKG], [GIL], [res(GIL, "install"), res(GIL, "import")])
    assert v.verdict == "ready"


def test_unavailable_lane_is_untested_with_reason():
    (v,) = verdicts([PKG], [FT_MISSING], [])
    assert v.verdict == "untested"
    assert "no free-threaded CPython 3.14 found" in v.reasons[0]


def test_no_go_lists_triggers():
    results = [res(GIL, "install"), res(FT, "import", "gil-reenabled")]
    d = decide([GIL, FT], results, verdicts([PKG], [GIL, FT], results))
    assert d.decision == "no-go" and d.go is False
    assert "pkg on 3.14t: gil-reenabled" in d.triggers[0]


def test_missing_free_threaded_lane_is_never_go():
    results = [res(GIL, "install"), res(GIL, "import")]
    d = decide([GIL, FT_MISSING], results, verdicts([PKG], [GIL, FT_MISSING], results))
    assert d.decision == "undecided" and d.go is None
    assert any("no free-threaded lane" in t for t in d.triggers)
    d = decide([GIL], results, verdicts([PKG], [GIL], results))
    assert d.decision == "undecided"


def test_go_when_everything_ready_on_both_lanes():
    results = [res(lane, c) for lane in (GIL, FT) for c in ("install", "import", "stress")]
    d = decide([GIL, FT], results, verdicts([PKG], [GIL, FT], results))
    assert d.decision == "go" and d.go is True and d.triggers == ()


def test_known_documented_findings_neither_change_the_verdict_nor_gate():
    known = Signal(kind="corruption", summary="in-place add races", evidence={"expected_finding": "numpy docs"})
    results = [res(lane, c) for lane in (GIL, FT) for c in ("install", "import")]
    results.append(Result(job_id="r/pkg/3.14t/stress", run_id="r", subject="pkg", lane="3.14t", check="stress",
                          status="findings", signals=(known,)))
    vs = verdicts([PKG], [GIL, FT], results)
    ft = next(v for v in vs if v.lane == "3.14t")
    assert ft.verdict == "ready" and any("known corruption" in r for r in ft.reasons)
    assert decide([GIL, FT], results, vs).decision == "go"
