"""The Dask executor on a real LocalCluster (two process workers on loopback), and shards merged:
both give the verdicts and decision of a plain local run of the import fixtures, and a worker killed
in the middle of a job loses no job and records none twice."""

from __future__ import annotations

import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ftlab.engine.checks.base import RunContext
from ftlab.engine.merge import merge
from ftlab.engine.pipeline import RunRequest, execute
from ftlab.engine.plan import plan
from ftlab.lanes.subjects import read_subjects
from ftlab.store.db import Store

pytest.importorskip("distributed")

FIXTURES = Path(__file__).resolve().parents[2] / "extensions" / "imports"
#: A hang (its import job takes two module timeouts: the window to kill its worker in), a crash and a
#: clean import; two shards of 2 split them 2 + 1.
SUBJECTS = ("hangs", "segfault", "multiphase-gil")
OPTIONS = {"module_timeout_s": 2.0}
CHECKS = ("install", "import")

pytestmark = pytest.mark.slow


def _request(store: Path, lane: str, **options) -> RunRequest:
    subjects = read_subjects([str(FIXTURES / s) for s in SUBJECTS], []).subjects
    return RunRequest(subjects=tuple(subjects), lane_specs=(f"3.13={lane}",), checks=CHECKS, store_path=store,
                      provision=False, options={**OPTIONS, **options})


def _summary(outcome) -> tuple:
    """What must not depend on where jobs ran: every job's status and signal kinds, verdicts, decision."""
    jobs = sorted((r.subject, r.lane, r.check, r.status, tuple(sorted(s.kind for s in r.signals)))
                  for r in outcome.results)
    verdicts = sorted((v.subject, v.lane, v.verdict) for v in outcome.verdicts)
    return jobs, verdicts, outcome.decision.decision


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(x) for x in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _busy_workers() -> list[int]:
    """The LocalCluster's worker processes (children of this process) that are running a job now: a
    worker's sandboxed child is its child."""
    return [pid for pid in _children(os.getpid()) if "spawn_main" in _cmdline(pid) and _children(pid)]


@pytest.fixture(scope="module")
def background(py313, tmp_path_factory):
    """The plain run and the two shards, started at once in threads (their jobs mostly wait on children):
    name -> future of its outcome; the Dask run of the first test overlaps them too."""
    root = tmp_path_factory.mktemp("runs")
    with ThreadPoolExecutor(max_workers=3) as pool:
        yield {name: pool.submit(execute, _request(root / name / "ftlab.sqlite", py313, **options))
               for name, options in (("plain", {}), ("shard1", {"shard": "1/2"}), ("shard2", {"shard": "2/2"}))}


@pytest.fixture(scope="module")
def plain(background):
    return _summary(background["plain"].result())


def test_killing_a_worker_mid_job_loses_no_job_and_verdicts_match_a_plain_run(background, py313, tmp_path):
    store = tmp_path / "ftlab.sqlite"
    outcome: dict = {}

    def run() -> None:
        try:
            # `--executor dask --workers 2`: the run starts its own LocalCluster of two process workers.
            outcome["run"] = execute(_request(store, py313, executor="dask", workers=2))
        except BaseException as exc:  # re-raised in the test's thread below
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    killed = None
    deadline = time.monotonic() + 240
    while thread.is_alive() and killed is None and time.monotonic() < deadline:
        # Once the import stage runs (its job folders appear), kill a worker that is running one of its jobs.
        started = list((tmp_path / "runs").glob("*/import/*/*"))
        busy = _busy_workers() if started else []
        if busy:
            os.kill(busy[0], signal.SIGKILL)
            killed = busy[0]
        time.sleep(0.2)
    thread.join(timeout=300)
    assert "error" not in outcome, outcome.get("error")
    assert killed is not None, "the run finished before a worker could be killed mid-job"
    result = outcome["run"]
    planned = [j.job_id for stage in plan(result.run_id, read_subjects([str(FIXTURES / s) for s in SUBJECTS], []).subjects,
                                          result.lanes, CHECKS, RunContext(run_id=result.run_id, artifacts_dir=tmp_path,
                                                                           lanes=result.lanes, subjects=()))
               for j in stage]
    assert sorted(r.job_id for r in result.results) == sorted(planned)  # each job once, none lost
    assert not [r for r in result.results if "Dask" in r.reason], [r.reason for r in result.results]
    assert _summary(result) == _summary(background["plain"].result())


def test_two_shards_merged_give_the_plain_runs_verdicts(background, plain, tmp_path):
    shards = [background[name].result() for name in ("shard1", "shard2")]
    sizes = [len({r.subject for r in shard.results}) for shard in shards]
    assert sum(sizes) == len(SUBJECTS) and all(sizes), sizes  # a real split: every subject in one shard
    merged = merge([shard.store_path for shard in shards], tmp_path / "merged" / "ftlab.sqlite")
    assert _summary(merged) == plain
    with Store(tmp_path / "merged" / "ftlab.sqlite", create=False) as s:
        record = s.load_run("latest")
    assert record.status == "finished" and "shard" not in record.config["options"]
    assert [m["shard"] for m in record.config["options"]["merged_from"]] == ["1/2", "2/2"]


def _die(_item: int) -> None:
    os._exit(3)  # what a bug that kills its worker does, every time


def test_a_job_that_kills_every_worker_is_retried_a_bounded_number_of_times_then_recorded():
    from distributed import KilledWorker

    from ftlab.engine.distributed import DaskExecutor, _error
    from ftlab.records import Job, Lane, Subject

    with DaskExecutor(workers=1, allowed_failures=1) as executor:
        ((item, value),) = list(executor.map(_die, [7]))
    assert item == 7 and isinstance(value, KilledWorker)
    job = Job(job_id="r/a/3.13/import", run_id="r", subject=Subject(name="a"), lane=Lane(name="3.13", path=""),
              check="import")
    result = _error(job, value)
    assert result.status == "error" and "allowed-failures" in result.reason and "--resume" in result.reason
