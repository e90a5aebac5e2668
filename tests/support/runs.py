"""Stored runs built directly through ftlab.store.db, for report and diff tests that need every kind of
evidence without network or free-threaded interpreters: a crash with faulthandler text, a corruption
finding with a minimal scenario table and a repro script, an import that re-enables the GIL, thread
scaling data, an install failure with a log tail, stress coverage (a hand-written probe, an auto-probe
that raced protocol ops, and a screening that left nothing to race), and an unavailable 3.14t lane.

Hostile strings (HTML, script tags, control characters) are planted in names, summaries and evidence,
as a tested package could print them.
"""

from __future__ import annotations

from pathlib import Path

from ftlab.coverage import of_stress
from ftlab.judgement.verdict import decide, verdicts
from ftlab.records import LANE_SUBJECT, Lane, Result, Signal, Subject
from ftlab.store.db import Store

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
XSS_SUBJECT = f'evil{XSS}'

GIL = Lane(name="3.13", path="/opt/py/3.13/bin/python3.13", version="3.13.5", implementation="cpython",
           abiflags="", ext_suffix=".cpython-313-x86_64-linux-gnu.so",
           platform_tags=("cp313-cp313-manylinux_2_36_x86_64",), source="pyenv", spec="3.13")
FT = Lane(name="3.13t", path="/opt/py/3.13t/bin/python3.13t", version="3.13.5", implementation="cpython",
          gil_disabled=True, abiflags="t", ext_suffix=".cpython-313t-x86_64-linux-gnu.so",
          platform_tags=("cp313-cp313t-manylinux_2_36_x86_64",), source="uv", spec="3.13t")
MISSING = Lane(name="3.14t", path="", version="3.14", implementation="cpython", gil_disabled=True, available=False,
               spec="3.14t", reason="no free-threaded CPython 3.14 found (provisioning disabled (--no-provision)); "
                                    "install it with 'uv python install 3.14t' or pass --lane PATH")

FAULTHANDLER = """Fatal Python error: Segmentation fault

Thread 0x00007f3a2b7fe6c0 (most recent call first):
  File "/home/dev/counter/probe.py", line 41 in incr
  File "/home/dev/ftlab/probes/runtime/stress/execute.py", line 88 in _loop

Current thread 0x00007f3a2bfff6c0 (most recent call first):
  File "/home/dev/ftlab/probes/runtime/stress/execute.py", line 117 in invoke

Extension modules: counter._counter (total: 1)
"""

SCENARIO_TABLE = [
    ["init", "Counter()", ""],
    ["parallel", "incr(): None", "incr(): None"],
    ["parallel", "value(): 1  <-", ""],
    ["post", "value(): 1  <-", ""],
]


#: yamlish's public API as the auto-probe screened it: 41 callables found, 24 kept, the rest dropped by reason.
YAMLISH_SCREENING = {"modules": [{"module": "yamlish", "coverage": {
    "found": 41, "screened": 33, "kept": 24,
    "dropped": {"policy": 8, "raises on every": 6, "not constructible": 2, "slow": 1}}}]}
#: The auto-probes raced on yamlish: a container class through its protocol ops, and its functions.
YAMLISH_PROBES = [
    {"probe": "ftlab_probes.auto:cls:yamlish:Node:add(str);get(str);__setitem__(str,int);__delitem__(str);"
              "__contains__(str);__len__();__iter__()!;__iadd__(list)|len,iter",
     "kind": "auto", "status": "ok", "invocations": 4000,
     "ops": ["add", "get", "setitem", "delitem", "contains", "len", "iter", "iadd"]},
    {"probe": "ftlab_probes.auto:fn:yamlish:safe_load(str);dump(int)", "kind": "auto", "status": "ok",
     "invocations": 3000, "ops": ["safe_load", "dump"]},
]
#: A screening that left nothing to race (every callable dropped).
NOTHING_SCREENED = {"modules": [{"module": "yamlish", "coverage": {
    "found": 9, "screened": 9, "kept": 0, "dropped": {"raises on every": 6, "not constructible": 2, "slow": 1}}}]}


def _stress_data(data: dict) -> dict:
    """A stress result's data with its coverage, counted as the stress check counts it (ftlab.coverage)."""
    return {**data, "coverage": of_stress(data).to_json()}


def _result(run_id: str, subject: str, lane: Lane, check: str, status: str, *, signals=(), data=None, reason="",
            duration=0.5, exit_status=0) -> Result:
    return Result(job_id=f"{run_id}/{subject}/{lane.name}/{check}", run_id=run_id, subject=subject, lane=lane.name,
                  check=check, status=status, signals=tuple(signals), data=data or {}, reason=reason,
                  duration_s=duration, exit_status=exit_status, artifacts_dir=f"/tmp/ftlab-art/{check}")


def _install_ok(run_id: str, subject: str, lane: Lane, version: str = "1.0") -> Result:
    tag = "cp313-cp313t-manylinux_2_17_x86_64" if lane.gil_disabled else "cp313-cp313-manylinux_2_17_x86_64"
    dist = {"name": subject, "version": version, "outcome": "wheel", "filename": f"{subject}-{version}-{tag}.whl",
            "wheel_tag": tag, "seconds": 0.42}
    return _result(run_id, subject, lane, "install", "ok", data={"dists": [dist], "subject_dist": dist,
                                                                 "wheels_only": False}, duration=0.42)


def _skipped(run_id: str, subject: str, lane: Lane, check: str) -> Result:
    return _result(run_id, subject, lane, check, "skipped", reason=f"lane unavailable: {lane.reason}", duration=0.0,
                   exit_status=None)


def rich_results(run_id: str, artifacts: Path, *, buggy: bool = True) -> list[Result]:
    """Results for subjects counter (a fixture), yamlish and an XSS-named subject on GIL, FT, MISSING."""
    repro = artifacts / "stress" / "stress-Counter-corruption-1.py"
    out = [_result(run_id, LANE_SUBJECT.name, lane, "fingerprint", "ok",
                   data={"version": lane.version, "gil_disabled": lane.gil_disabled, "abiflags": lane.abiflags},
                   duration=0.08) for lane in (GIL, FT)]
    out.append(_skipped(run_id, LANE_SUBJECT.name, MISSING, "fingerprint"))
    for subject in ("counter", "yamlish", XSS_SUBJECT):
        for lane in (GIL, FT):
            out.append(_install_ok(run_id, subject, lane))
        out.append(_skipped(run_id, subject, MISSING, "install"))
        out.append(_skipped(run_id, subject, MISSING, "import"))
        out.append(_skipped(run_id, subject, MISSING, "stress"))
    # counter: clean on the GIL lane; on the free-threaded lane a lost update and a crash (when buggy).
    scaling = [{"threads": 1, "ops_per_s": 1_000_000.0}, {"threads": 2, "ops_per_s": 1_700_000.0},
               {"threads": 4, "ops_per_s": 2_900_000.0}, {"threads": 8, "ops_per_s": 4_100_000.0}]
    out.append(_result(run_id, "counter", GIL, "import", "ok", data={"modules": [
        {"module": "counter", "kind": "package", "outcome": "ok", "seconds": 0.004, "offenders": [], "chains": {}}]}))
    out.append(_result(run_id, "counter", GIL, "stress", "ok", duration=3.1,
                       data=_stress_data({"probe": "counter.probe:Counter", "seed": 1234, "scenarios_run": 200,
                                          "invocations": 9000, "unknown": 0, "stopped": "budget",
                                          "ops_per_s": 2_000_000.0, "probes": [
                                              {"probe": "counter.probe:Counter", "kind": "hand-written",
                                               "status": "ok", "invocations": 9000, "ops": ["incr", "value"]}]})))
    out.append(_result(run_id, "counter", FT, "import", "ok", data={"modules": [
        {"module": "counter", "kind": "package", "outcome": "ok", "seconds": 0.005, "offenders": [], "chains": {}}]}))
    stress_signals = []
    if buggy:
        stress_signals = [
            Signal(kind="corruption", summary="corruption in 7 of 50 runs of the minimal scenario "
                                              "init: Counter(); T0: incr(); T1: incr(), value()",
                   evidence={"probe": "counter.probe:Counter", "rate": [7, 50], "repro": str(repro),
                             "table": SCENARIO_TABLE, "detail": "value() returned 1; no sequential order gives 1",
                             "trace": "", "signal": None, "scenario": [[["Counter", []]], [], []]}),
            Signal(kind="crash", summary="the worker died of SIGSEGV in 2 of 50 runs",
                   evidence={"probe": "counter.probe:Counter", "rate": [2, 50], "signal": 11,
                             "trace": FAULTHANDLER, "table": "part     | thread 0\ninit     | Counter()"}),
        ]
    out.append(_result(run_id, "counter", FT, "stress", "findings" if buggy else "ok", signals=stress_signals,
                       duration=12.5 if buggy else 9.0,
                       data=_stress_data({"probe": "counter.probe:Counter", "seed": 99, "scenarios_run": 180,
                                          "invocations": 8000, "unknown": 1, "stopped": "budget",
                                          "ops_per_s": 1_100_000.0 if buggy else 2_400_000.0, "scaling": scaling,
                                          "probes": [{"probe": "counter.probe:Counter", "kind": "hand-written",
                                                      "status": "findings" if buggy else "ok", "invocations": 8000,
                                                      "ops": ["incr", "value"]}]})))
    # yamlish: importing its C accelerator re-enables the GIL on the free-threaded lane.
    modules = [
        {"module": "yamlish", "kind": "package", "outcome": "gil-reenabled", "seconds": 0.012, "gil_before": False,
         "gil_after": True, "offenders": ["yamlish._speedups"],
         "chains": {"yamlish._speedups": ["yamlish", "yamlish.loader", "yamlish._speedups"]}, "gil_reenabled": True},
        {"module": "yamlish._speedups", "kind": "extension", "outcome": "gil-reenabled", "seconds": 0.003,
         "offenders": ["yamlish._speedups"], "chains": {"yamlish._speedups": ["yamlish._speedups"]}, "gil_reenabled": True},
        {"module": "yamlish.broken", "kind": "module", "outcome": "import-error", "seconds": 0.001, "offenders": [],
         "chains": {}, "error": {"type": "ImportError", "message": f"cannot import name {XSS}"}},
    ]
    gil_sig = Signal(kind="gil-reenabled",
                     summary="importing 'yamlish' enables the GIL: 'yamlish._speedups' has not declared that it can run "
                             "without it (pulled in by yamlish -> yamlish.loader -> yamlish._speedups)",
                     evidence={"module": "yamlish._speedups", "distribution": "yamlish", "imported_by": ["yamlish"],
                               "chain": ["yamlish", "yamlish.loader", "yamlish._speedups"], "warning": True})
    out.append(_result(run_id, "yamlish", GIL, "import", "ok", data={"modules": [dict(m, outcome="ok", offenders=[], chains={}, gil_reenabled=False)
                                                                                  for m in modules[:2]]}))
    out.append(_result(run_id, "yamlish", FT, "import", "findings", signals=[gil_sig],
                       data={"modules": modules, "summary": {"ok": 0, "gil-reenabled": 2, "import-error": 1}}))
    # yamlish's stress: on the free-threaded lane the auto-probe raced a container's protocol ops and the
    # functions; on the GIL lane (an older build of its API, say) screening dropped every callable, so
    # stress raced nothing there and its verdict rests on install and import.
    out.append(_result(run_id, "yamlish", FT, "stress", "ok", duration=7.0,
                       data=_stress_data({"budget_s": 30.0, "auto": YAMLISH_SCREENING, "probes": YAMLISH_PROBES})))
    out.append(_result(run_id, "yamlish", GIL, "stress", "ok", duration=1.2,
                       reason="auto-probe: nothing in the public API passed screening",
                       data=_stress_data({"budget_s": 30.0, "auto": NOTHING_SCREENED, "probes": [],
                                          "nothing_tested": True})))
    # the hostile subject: its install failed on the free-threaded lane, with a log tail full of markup.
    bad = {"name": XSS_SUBJECT, "version": "0.1", "outcome": "failed", "failure": "missing-compiler-or-headers",
           "key_line": f"fatal error: Python.h: No such file {XSS}", "log_tail": f"gcc -c x.c\n{XSS}\x1b[31merror\x1b[0m",
           "seconds": 3.2}
    out = [r for r in out if not (r.subject == XSS_SUBJECT and r.lane == FT.name and r.check == "install")]
    out.append(_result(run_id, XSS_SUBJECT, FT, "install", "findings", duration=3.2,
                       signals=[Signal(kind="install-failed", summary=f"{XSS_SUBJECT}==0.1: {bad['key_line']}",
                                       evidence=bad)],
                       data={"dists": [bad], "subject_dist": bad, "wheels_only": False}))
    out.append(_result(run_id, XSS_SUBJECT, GIL, "import", "error", reason=f"the check failed inside the lane: {XSS}",
                       data={"stderr_tail": XSS}, exit_status=1))
    return out


def store_rich_run(store_path: Path, run_id: str = "20260101-120000-aaaa", *, buggy: bool = True,
                   created_offset: float = 0.0) -> str:
    """Record the rich run in a store (verdicts and decision by ftlab.judgement.verdict); returns its run id."""
    artifacts = store_path.parent / "runs" / run_id
    subjects = [Subject(name="counter", kind="fixture", spec="counter"), Subject(name="yamlish", spec="yamlish==1.0"),
                Subject(name=XSS_SUBJECT, spec=XSS_SUBJECT)]
    lanes = [GIL, FT, MISSING]
    results = rich_results(run_id, artifacts, buggy=buggy)
    with Store(store_path) as store:
        store.start_run(run_id=run_id, argv=["ftlab", "run"], config={"checks": ["fingerprint", "install"]},
                        artifacts_dir=str(artifacts), ftlab_version="0.1.0")
        if created_offset:
            store.conn.execute("UPDATE runs SET created_at = created_at + ? WHERE run_id = ?", (created_offset, run_id))
        store.record_lanes(run_id, lanes)
        store.record_subjects(run_id, subjects)
        for r in results:
            store.record_result(r)
        vs = verdicts(subjects, lanes, results)
        store.finish_run(run_id, verdicts=vs, decision=decide(lanes, results, vs))
    return run_id
