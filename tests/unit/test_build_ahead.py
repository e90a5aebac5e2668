"""Builds from source, planned before they cost time: which pins build on which lane, what waits for
them, and a scheduler that runs everything else beside them. Pure, plus real threads for the scheduler."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from ftlab.deps.index import DistFile
from ftlab.deps.lock import Lock, Pin
from ftlab.engine.checks.base import RunContext
from ftlab.engine.plan import build_key, plan, waits_for
from ftlab.engine.runner import LocalExecutor
from ftlab.lanes.envs import BUILD_MAX_S, BUILD_MIN_S, builds_ahead, estimate_build_s, lane_target
from ftlab.records import Job, Lane, Result, Subject

GIL = Lane(name="3.14", path="/a", version="3.14.10", platform_tags=("cp314-cp314-manylinux_2_36_x86_64",))
FT = Lane(name="3.14t", path="/b", version="3.14.7", gil_disabled=True,
          platform_tags=("cp314-cp314t-manylinux_2_36_x86_64",))
LOCK = Lock(pins=(Pin(name="grpcio", version="1.76.0", via=("app",)), Pin(name="app", version="1.0"),
                  Pin(name="numpy", version="2.3.4")), text="", index_url="", python_version="3.14")


def _files(name: str, version: str, *tags: str, sdist_size: int | None = 12_700_000) -> tuple[DistFile, ...]:
    wheels = tuple(DistFile(filename=f"{name}-{version}-{t}.whl", url="u") for t in tags)
    return (*wheels, DistFile(filename=f"{name}-{version}.tar.gz", url="u", size=sdist_size))


RELEASES = {
    ("grpcio", "1.76.0"): _files("grpcio", "1.76.0", "cp314-cp314-manylinux_2_17_x86_64.manylinux2014_x86_64"),
    ("app", "1.0"): _files("app", "1.0", "py3-none-any"),
    ("numpy", "2.3.4"): _files("numpy", "2.3.4", "cp314-cp314-manylinux_2_28_x86_64", "cp314-cp314t-manylinux_2_28_x86_64"),
}


def test_a_lane_reads_as_a_readiness_target():
    assert lane_target(FT).name == "cp314t-manylinux_2_36_x86_64"
    assert lane_target(Lane(name="x", path="/x")) is None  # no fingerprint: nothing to forecast


def test_pins_without_a_wheel_for_a_lane_build_there_only():
    (build,) = builds_ahead(LOCK, (GIL, FT), RELEASES)
    assert (build.name, build.lane, build.sdist, build.size) == ("grpcio", "3.14t", "grpcio-1.76.0.tar.gz", 12_700_000)
    assert build.describe() \
        == "grpcio==1.76.0 on 3.14t: no wheel for this lane, builds from grpcio-1.76.0.tar.gz (12.7 MB, roughly 19 min)"


def test_the_estimate_is_bounded():
    assert estimate_build_s(None) == BUILD_MIN_S and estimate_build_s(1000) == BUILD_MIN_S
    assert estimate_build_s(10**9) == BUILD_MAX_S


def _jobs(checks=("install", "import")) -> list[Job]:
    subjects = (Subject(name="grpcio"), Subject(name="app"), Subject(name="numpy"))
    ctx = RunContext(run_id="r", artifacts_dir=Path("."), lanes=(GIL, FT), subjects=subjects)
    return [j for stage in plan("r", subjects, (GIL, FT), ("fingerprint", *checks), ctx) for j in stage]


def test_only_the_jobs_of_packages_that_need_a_build_wait_for_it():
    waits = waits_for(_jobs(), LOCK, {"3.14t": frozenset({"grpcio"})})
    waiting = sorted(waits)
    # grpcio itself and app (which pulled grpcio in), on 3.14t only; numpy and the GIL lane go on.
    assert waiting == ["r/app/3.14t/import", "r/app/3.14t/install", "r/grpcio/3.14t/import", "r/grpcio/3.14t/install"]
    assert set(waits.values()) == {frozenset({build_key("3.14t")})}


def test_perf_waits_for_every_build():
    waits = waits_for(_jobs(("install", "perf")), LOCK, {"3.14t": frozenset({"grpcio"})})
    assert waits["r/numpy/3.14/perf"] == frozenset({build_key("3.14t")})


def _job(name: str) -> Job:
    return Job(job_id=name, run_id="r", subject=Subject(name=name), lane=GIL, check="install")


def test_the_scheduler_runs_free_jobs_beside_a_build_and_releases_the_waiting_ones_after_it():
    events: list[str] = []
    lock = threading.Lock()

    def note(text: str) -> None:
        with lock:
            events.append(text)

    def build() -> None:
        note("build started")
        time.sleep(0.5)
        note("build ended")

    def fn(job: Job) -> Result:
        note(f"ran {job.job_id}")
        return Result(job_id=job.job_id, run_id="r", subject=job.job_id, lane="3.14", check="install", status="ok")

    jobs = [_job("waits"), _job("free-1"), _job("free-2")]
    results = list(LocalExecutor(2).run_gated(fn, jobs, background={"build:3.14": build},
                                              waits={"waits": frozenset({"build:3.14"})}))
    assert sorted(r.job_id for r in results) == ["free-1", "free-2", "waits"]
    assert events.index("ran free-1") < events.index("build ended")
    assert events.index("ran free-2") < events.index("build ended")
    assert events.index("ran waits") > events.index("build ended")


def test_a_build_uv_already_cached_for_the_lanes_abi_is_no_build(tmp_path):
    from ftlab.lanes.envs import cached_build

    built = tmp_path / "sdists-v11" / "pypi" / "grpcio" / "1.76.0" / "AbC"
    built.mkdir(parents=True)
    (built / "grpcio-1.76.0-cp314-cp314t-linux_x86_64.whl").write_bytes(b"")
    assert cached_build(tmp_path, "grpcio", "1.76.0", FT)
    assert not cached_build(tmp_path, "grpcio", "1.76.0", GIL)  # a cp314t build serves no GIL lane
    assert not cached_build(tmp_path, "grpcio", "1.77.0", FT) and not cached_build(None, "grpcio", "1.76.0", FT)
    assert builds_ahead(LOCK, (GIL, FT), RELEASES,
                        cached=lambda name, version, lane: cached_build(tmp_path, name, version, lane)) == []
