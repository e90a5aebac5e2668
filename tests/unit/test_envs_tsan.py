"""Installing on a ThreadSanitizer lane: what is built from source is built for that lane (no wheel
from the shared cache, built for an ordinary 3.14t), and what comes prebuilt is said to be invisible
to ThreadSanitizer, per distribution and as an information signal."""

from __future__ import annotations

from pathlib import Path

import pytest

from ftlab.deps.lock import Lock, Pin
from ftlab.engine.checks.base import RunContext
from ftlab.engine.checks.install import InstallCheck
from ftlab.judgement.judge import judge
from ftlab.lanes.envs import DistOutcome, LaneEnv, install_args, tsan_instrumentation
from ftlab.records import Job, Lane, Subject

FT = Lane(name="3.14t", path="/x/python3.14t", version="3.14.7", implementation="cpython", gil_disabled=True,
          abiflags="t")
TSAN = Lane(name="tsan", path="/y/python3.14t", version="3.14.7", implementation="cpython", gil_disabled=True,
            abiflags="t", sanitizer="thread")
GIL = Lane(name="3.14", path="/z/python3.14", version="3.14.7", implementation="cpython")


def test_ordinary_lanes_install_as_before():
    assert install_args(FT) == ()
    assert install_args(GIL) == ()


def test_a_tsan_lane_builds_without_the_shared_cache():
    # A cp314t wheel built for an ordinary 3.14t would be served from the shared cache, uninstrumented.
    assert install_args(TSAN) == ("--no-cache",)


def _installed(venv: Path, dist_info: str, files: dict[str, bytes]) -> None:
    site = venv / "lib" / "python3.14t" / "site-packages"
    record = site / dist_info / "RECORD"
    record.parent.mkdir(parents=True)
    for rel, content in files.items():
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_bytes(content)
    record.write_text("".join(f"{rel},sha256=x,{len(c)}\n" for rel, c in files.items()) + f"{dist_info}/RECORD,,\n")


def test_shared_objects_are_read_for_thread_sanitizer_instrumentation(tmp_path):
    _installed(tmp_path, "ftcalib_bank-1.0.0.dist-info", {
        "ftcalib_bank/__init__.py": b"",
        "ftcalib_bank/_bank.cpython-314t-x86_64-linux-gnu.so": b"\x7fELF...__tsan_func_entry\x00__tsan_init\x00"})
    _installed(tmp_path, "numpy-2.3.5.dist-info", {
        "numpy/_core/_multiarray_umath.cpython-314t-x86_64-linux-gnu.so": b"\x7fELF...PyInit\x00",
        "numpy.libs/libscipy_openblas64_-fdde5778.so.0.3.30": b"\x7fELF...",
        "numpy/linalg/_umath_linalg.cpython-314t-x86_64-linux-gnu.so": b"\x7fELF...__tsan_init\x00"})
    _installed(tmp_path, "six-1.17.0.dist-info", {"six.py": b"# pure Python"})
    assert tsan_instrumentation(tmp_path, "ftcalib-bank") == ("instrumented", ())
    state, without = tsan_instrumentation(tmp_path, "NumPy")
    assert state == "partly-instrumented"
    assert without == ("numpy/_core/_multiarray_umath.cpython-314t-x86_64-linux-gnu.so",
                       "numpy.libs/libscipy_openblas64_-fdde5778.so.0.3.30")
    assert tsan_instrumentation(tmp_path, "six") == ("", ())  # nothing compiled: nothing to say
    assert tsan_instrumentation(tmp_path, "absent") == ("", ())


def _install_result(lane: Lane, dists: tuple[DistOutcome, ...]):
    lock = Lock(pins=tuple(Pin(name=d.name, version=d.version, via=() if d.name == "app" else ("app",))
                           for d in dists), text="", index_url="", python_version="3.14")
    env = LaneEnv(lane=lane.name, venv="/v", python="/v/bin/python", ok=True, dists=dists, runtime_ok=True)
    ctx = RunContext(run_id="r", artifacts_dir=Path("/a"), lanes=(lane,), subjects=(Subject(name="app"),),
                     prepared={"envs": {lane.name: env}, "lock": lock})
    job = Job(job_id=f"r/app/{lane.name}/install", run_id="r", subject=Subject(name="app"), lane=lane,
              check="install")
    return InstallCheck().run(job, ctx)


def test_a_prebuilt_wheel_on_a_tsan_lane_is_an_information_signal_per_distribution():
    tag = "cp314-cp314t-manylinux_2_27_x86_64.manylinux_2_28_x86_64"
    dists = (DistOutcome(name="app", version="1.0", outcome="sdist", filename="app-1.0.tar.gz", tsan="instrumented",
                         not_instrumented=()),
             DistOutcome(name="numpy", version="2.3.5", outcome="wheel", filename=f"numpy-2.3.5-{tag}.whl",
                         wheel_tag=tag, tsan="not-instrumented",
                         not_instrumented=("numpy/_core/_multiarray_umath.cpython-314t-x86_64-linux-gnu.so",)),
             DistOutcome(name="six", version="1.17.0", outcome="wheel", filename="six-1.17.0-py2.py3-none-any.whl",
                         wheel_tag="py2.py3-none-any"))
    result = _install_result(TSAN, dists)
    by_name = {d["name"]: d for d in result.data["dists"]}
    assert by_name["app"]["tsan"] == "instrumented" and by_name["app"]["not_instrumented"] == ()
    assert by_name["numpy"]["tsan"] == "not-instrumented"
    assert "tsan" not in by_name["six"] and "not_instrumented" not in by_name["six"]
    (signal,) = [s for s in result.signals if s.kind == "not-instrumented"]
    assert signal.summary.startswith(f"numpy==2.3.5: a prebuilt wheel ({tag}), not built with ThreadSanitizer")
    assert "_multiarray_umath.cpython-314t-x86_64-linux-gnu.so" in signal.summary
    # Information: worth knowing on the lane, never a verdict or a gate.
    (finding,) = [f for f in judge((GIL, TSAN), [result]) if f.kind == "not-instrumented"]
    assert not finding.gating and finding.severity == ""


def test_ordinary_lanes_get_no_instrumentation_fields_or_signal():
    dists = (DistOutcome(name="app", version="1.0", outcome="wheel", filename="app-1.0-cp314-cp314t-linux_x86_64.whl",
                         wheel_tag="cp314-cp314t-linux_x86_64"),)
    result = _install_result(FT, dists)
    assert result.signals == () and result.status == "ok"
    assert set(result.data["dists"][0]) == {"name", "version", "outcome", "filename", "wheel_tag", "seconds",
                                            "left_running"}


def _child_limits_and_timeout(monkeypatch, tmp_path, lane: Lane, options=None):
    from ftlab.engine.checks import stress
    from ftlab.engine.checks.stress import PlannedProbe, StressCheck
    from ftlab.sandbox import process as sandbox

    seen = {}

    def fake_run_child(argv, *, workdir, timeout_s, result_path, env_extra, limits):
        seen.update(timeout_s=timeout_s, limits=limits)
        return sandbox.ChildOutcome(returncode=0, timed_out=False, duration_s=0.0, stdout_path="", stderr_path="",
                                    result=None)

    monkeypatch.setattr(sandbox, "run_child", fake_run_child)
    monkeypatch.setattr(stress, "result_from_outcome", lambda *a, **kw: None)
    ctx = RunContext(run_id="r", artifacts_dir=tmp_path, lanes=(lane,), subjects=(Subject(name="app"),),
                     options=options or {})
    job = Job(job_id=f"r/app/{lane.name}/stress", run_id="r", subject=Subject(name="app"), lane=lane, check="stress")
    StressCheck()._run_probe(job, ctx, tmp_path / "p", PlannedProbe(probe="m:P", kind="auto", budget_s=3.0),
                             scaling_s=0.5)
    return seen["limits"], seen["timeout_s"]


def test_stress_children_on_a_tsan_lane_have_no_address_space_cap_and_more_time(monkeypatch, tmp_path):
    limits, timeout = _child_limits_and_timeout(monkeypatch, tmp_path, FT, {"memory_mb": 4096})
    assert limits.address_space_mb == 4096
    tsan_limits, tsan_timeout = _child_limits_and_timeout(monkeypatch, tmp_path, TSAN, {"memory_mb": 4096})
    # ThreadSanitizer maps terabytes of shadow memory at start: under a cap the interpreter dies at once.
    assert tsan_limits.address_space_mb is None
    assert tsan_timeout == pytest.approx(timeout * 5)
