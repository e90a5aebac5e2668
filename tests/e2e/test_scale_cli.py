"""The scale commands through the real CLI: executor and shard options checked before anything runs,
`ftlab merge` refusing shards of different plans with one line, and `ftlab survey` on a loopback index
(one broken package does not stop it; it resumes where it stopped). The Dask executor itself:
tests/integration/test_distributed.py."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

import ftlab
from ftlab.records import Decision, Lane, Result, Subject
from ftlab.store.db import Store


@pytest.mark.parametrize(("args", "message"), [
    (["run", "pkg", "--workers", "2"], "--workers is for the Dask executor; add --executor dask"),
    (["run", "pkg", "--scheduler", "tcp://127.0.0.1:8786"], "--scheduler is for the Dask executor"),
    (["run", "pkg", "--executor", "dask", "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "not both"),
    (["run", "pkg", "--executor", "dask", "--scheduler", "127.0.0.1"], "--scheduler takes tcp://HOST:PORT"),
    (["run", "pkg", "--executor", "dask", "--workers", "0"], "--workers must be at least 1"),
    (["run", "pkg", "--executor", "dask", "--scheduler", "tcp://127.0.0.1:9"], "cannot reach the Dask scheduler at"),
    (["run", "pkg", "--shard", "3/2"], "--shard takes I/N"),
    (["survey"], "name the packages: a list file, or --top N"),
    (["survey", "--top", "5"], "cannot read the top-PyPI-packages data set at http://127.0.0.1:9/top.json"),
    (["merge", "nowhere.sqlite", "--store", "out.sqlite"], "there is no store at 'nowhere.sqlite'"),
])
def test_bad_scale_input_is_one_line_and_records_nothing(cli, args, message):
    proc = cli(*args, env={"FTLAB_TOP_PYPI_URL": "http://127.0.0.1:9/top.json"})
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ftlab: error: ") and message in lines[0], proc.stderr
    assert not cli.store.exists()


def _shard(cli, name: str, shard: str, version: str) -> Path:
    """A finished shard run as `ftlab run --shard` stores it: one install job of its own subject."""
    store = cli.tmp / name / "ftlab.sqlite"
    lane = Lane(name="3.x", path=f"/machine-{name}/python", version=version, implementation="cpython")
    subjects = (Subject(name="a"), Subject(name="b"))
    mine = subjects[int(shard[0]) - 1]
    run_id = f"run-{name}"
    with Store(store) as s:
        s.start_run(run_id=run_id, argv=[], artifacts_dir=str(cli.tmp / name), ftlab_version=ftlab.__version__,
                    lanes=(lane,), subjects=subjects, lock_text="# the lock",
                    config={"checks": ["install"], "options": {"shard": shard}})
        s.record_result(Result(job_id=f"{run_id}/{mine.name}/3.x/install", run_id=run_id, subject=mine.name,
                               lane="3.x", check="install", status="ok"))
        s.finish_run(run_id, verdicts=(), decision=Decision(decision="undecided"))
    return store


def test_merge_refuses_shards_of_different_plans(cli):
    one, two = _shard(cli, "a", "1/2", "3.13.1"), _shard(cli, "b", "2/2", "3.13.1")
    other_lane = _shard(cli, "c", "2/2", "3.12.9")

    def refused(*stores, contains):
        proc = cli("merge", *map(str, stores), "--store", str(cli.tmp / "m" / "x.sqlite"))
        assert proc.returncode == 2 and contains in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, \
            proc.stderr

    refused(one, other_lane, contains="ran on different lanes")
    refused(one, one, contains="are both shard 1/2")
    refused(one, contains="shard(s) 2/2 missing")
    with sqlite3.connect(two) as db:
        db.execute("UPDATE runs SET ftlab_version = '0.0.1'")
    refused(one, two, contains="were made by ftlab 0.0.1 and")
    with sqlite3.connect(two) as db:
        db.execute("UPDATE runs SET ftlab_version = ?", (ftlab.__version__,))
    # Same lanes on other paths (another CI machine) merge: one result per job, each subject judged.
    doc, _ = cli.json("merge", str(one), str(two), "--store", str(cli.tmp / "m" / "ok.sqlite"), check=0)
    assert sorted((r["subject"], r["status"]) for r in doc["results"]) == [("a", "ok"), ("b", "ok")]
    assert all(r["job_id"].startswith(doc["run_id"] + "/") for r in doc["results"])
    assert {v["subject"]: v["verdict"] for v in doc["verdicts"]} == {"a": "ready", "b": "ready"}


@pytest.mark.slow
def test_survey_checks_each_package_on_its_own_and_resumes(cli, local_index, py313):
    (cli.tmp / "list.txt").write_text("pure-pkg\nno-such-package-anywhere\nchain-a\n")
    args = ["--index-url", local_index.url, "--lane", f"3.13={py313}", "--checks", "install,import"]
    doc, proc = cli.json("survey", "list.txt", *args, "--jobs", "2", check=0)
    rows = {(r["package"], r["lane"]): r for r in doc["rows"]}
    assert rows[("pure-pkg", "3.13")] == {"package": "pure-pkg", "lane": "3.13", "install": "wheel", "import": "ok",
                                          "gil": "n/a", "stress": "-", "verdict": "ready"}
    assert rows[("no-such-package-anywhere", "3.13")]["install"] == "failed"
    assert rows[("no-such-package-anywhere", "3.13")]["verdict"] == "not-installable"
    assert rows[("chain-a", "3.13")]["verdict"] == "ready"  # after the broken one: the survey went on
    assert doc["counts"]["3.13"]["verdict"] == {"not-installable": 1, "ready": 2}
    assert doc["source"] == {"list": "list.txt"} and "[3/3] survey: " in proc.stderr
    report = json.loads(Path(doc["reports"]["survey-json"]).read_text())
    assert report["rows"] == doc["rows"]

    # A survey killed after two packages: resuming checks only the third, recording each job once.
    with sqlite3.connect(cli.store) as db:
        db.execute("DELETE FROM signals WHERE subject = 'chain-a'")
        db.execute("DELETE FROM results WHERE subject = 'chain-a'")
        db.execute("UPDATE runs SET status = 'interrupted', finished_at = NULL")
        before = dict(db.execute("SELECT job_id, recorded_at FROM results").fetchall())
    doc2, proc2 = cli.json("survey", "--resume", check=0)
    assert "resuming survey" in proc2.stderr and "2 of 3 packages done" in proc2.stderr
    assert doc2["rows"] == doc["rows"] and doc2["run_id"] == doc["run_id"]
    with sqlite3.connect(cli.store) as db:
        after = dict(db.execute("SELECT job_id, recorded_at FROM results").fetchall())
    assert {k: v for k, v in after.items() if k in before} == before  # the first two were not run again
    assert sorted(set(after) - set(before)) == [f"{doc['run_id']}/chain-a/3.13/{c}" for c in ("import", "install")]
