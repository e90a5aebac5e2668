"""The quick demo's last screen and exit status, from results shaped as a real demo run stores them."""

from __future__ import annotations

from pathlib import Path

from ftlab.cli import demo
from ftlab.engine.pipeline import RunOutcome
from ftlab.records import Decision, Lane, Result, Signal, Verdict

GIL = Lane(name="3.14", path="/x/python3.14", version="3.14.10", gil_disabled=False)
FT = Lane(name="3.14t", path="/x/python3.14t", version="3.14.7", gil_disabled=True)
TRACE = ("Fatal Python error: Segmentation fault\n\nCurrent thread 0x1 [python] (most recent call first):\n"
         '  File "<frozen importlib._bootstrap>", line 491 in _call_with_frames_removed\n\n'
         "Current thread's C stack trace (most recent call first):\n"
         '  Binary file "/r/envs/3.14t/bin/python", at _Py_DumpStack+0x2e [0x55]\n'
         '  Binary file "/r/envs/3.14t/lib/python3.14t/site-packages/ftfix_segfault.cpython-314t-x86_64-linux-gnu.so", '
         "at PyInit_ftfix_segfault+0x13 [0x7f]\n")


def _result(subject: str, lane: Lane, check: str, signals=(), data=None) -> Result:
    return Result(job_id=f"r/{subject}/{lane.name}/{check}", run_id="r", subject=subject, lane=lane.name, check=check,
                  status="findings" if signals else "ok", signals=tuple(signals), data=data or {})


def _lane_results(lane: Lane, *, race: bool = True) -> list[Result]:
    out = [
        _result("ftfix-segfault", lane, "import", [Signal(kind="crash", summary="importing 'ftfix_segfault' crashed",
                                                          evidence={"module": "ftfix_segfault", "signal": "SIGSEGV",
                                                                    "faulthandler": TRACE})]),
        _result("markupsafe", lane, "install", data={"subject_dist": {
            "name": "markupsafe", "version": "3.0.4", "outcome": "wheel",
            "wheel_tag": f"cp314-cp314{'t' if lane.gil_disabled else ''}-manylinux_2_28_x86_64"}}),
    ]
    if race:
        out.append(_result("ftcalib-counter", lane, "stress", [Signal(kind="corruption", summary="corruption", evidence={
            "probe": "ftcalib_counter.probes:RacyCounterProbe", "rate": [44, 1000],
            "detail": "no sequential order explains these results: t0 add(1): 1, t1 add(1): 1; final state 1",
            "repro": f"/r/stress/{lane.name}/repro.py", "table": [["parallel", "add(1): 1", "add(1): 1  <-"]]})]))
    if lane.gil_disabled:
        out.append(_result("ftfix-chain", lane, "import", [
            Signal(kind="gil-reenabled", summary="gil", evidence={
                "module": "ftfix_chain._speedups", "chain": ["ftfix_chain.api", "ftfix_chain.helpers", "ftfix_chain._speedups"]}),
            Signal(kind="gil-reenabled", summary="gil", evidence={
                "module": "ftfix_chain._legacy", "chain": ["ftfix_chain.api", "ftfix_chain._legacy"]})]))
    return out


def _outcome(lanes, results) -> RunOutcome:
    verdicts = tuple(Verdict(subject=s, lane=lane.name, verdict="ready")
                     for s in ("ftfix-chain", "ftfix-segfault", "ftcalib-counter", "markupsafe") for lane in lanes
                     if lane.available)
    return RunOutcome(run_id="r", lanes=tuple(lanes), results=tuple(results), verdicts=verdicts,
                      decision=Decision(decision="no-go", triggers=("a", "b", "c")), store_path=Path("s"),
                      artifacts_dir=Path("a"))


def test_the_last_screen_names_the_decision_and_the_three_findings_within_40_lines():
    outcome = _outcome([GIL, FT], _lane_results(GIL) + _lane_results(FT))
    lines = demo.summary_lines(outcome, {"html": Path("/rep/run.html"), "md": Path("/rep/run.md")}, seconds=93)
    text = "\n".join(lines)
    assert len(lines) <= demo.MAX_SCREEN_LINES
    assert "decision: NO-GO" in text
    assert "ftfix_chain.api -> ftfix_chain.helpers -> ftfix_chain._speedups" in text
    assert "SIGSEGV" in text and "PyInit_ftfix_segfault+0x13 in ftfix_segfault.cpython-314t-x86_64-linux-gnu.so" in text
    assert "thread 0: add(1): 1 | thread 1: add(1): 1" in text and "44 of 1000 runs on 3.14t" in text
    assert "python /r/stress/3.14t/repro.py" in text  # the free-threaded lane's repro is the one shown
    assert "3.14t: cp314-cp314t-manylinux_2_28_x86_64" in text
    assert "report: /rep/run.html" in text
    assert demo.demo_exit(outcome) == 0


def test_a_finding_the_demo_must_show_and_did_not_is_named_and_exits_1():
    outcome = _outcome([GIL, FT], _lane_results(GIL) + _lane_results(FT, race=False))
    text = "\n".join(demo.summary_lines(outcome, {}, seconds=1))
    assert demo.demo_exit(outcome) == 1
    assert "NOT SEEN" in text and "race on 3.14t" in text


def test_without_a_free_threaded_lane_it_says_what_it_did_and_exits_0():
    missing = Lane(name="3.14t", path="", available=False, reason="no free-threaded 3.14 found; uv python install 3.14t")
    outcome = _outcome([GIL, missing], _lane_results(GIL))
    text = "\n".join(demo.summary_lines(outcome, {}, seconds=1))
    assert [s.what for s in demo.shown(outcome)] == ["crash", "race", "wheel"]
    assert demo.demo_exit(outcome) == 0
    assert "lane 3.14t: unavailable" in text and "without a free-threaded lane" in text
    assert "1. GIL re-enabled: needs a free-threaded lane" in text


def test_quick_and_full_requests():
    quick = demo.demo_request(store_path=Path("s"), lane_specs=(), argv=())
    assert [s.name for s in quick.subjects] == ["ftfix-chain", "ftfix-segfault", "ftcalib-counter", "markupsafe"]
    assert quick.options["budget_s"] == demo.QUICK_BUDGET_S
    full = demo.demo_request(store_path=Path("s"), lane_specs=(), argv=(), full=True)
    assert len(full.subjects) > 15 and full.options["budget_s"] == demo.DEMO_BUDGET_S
