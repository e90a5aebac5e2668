from __future__ import annotations

import sqlite3

import pytest

from ftlab.errors import StoreError, UsageError
from ftlab.records import Decision, Lane, Result, Signal, Subject, Verdict
from ftlab.store.db import SCHEMA_VERSION, Store

LANE = Lane(name="3.13", path="/py", version="3.13.0", implementation="cpython", platform_tags=("cp313-cp313-linux_x86_64",))


def start(store: Store, run_id: str) -> None:
    store.start_run(run_id=run_id, argv=["ftlab", "run"], config={"checks": ["install"]}, artifacts_dir="/a",
                    ftlab_version="0")
    store.record_lanes(run_id, [LANE])
    store.record_subjects(run_id, [Subject(name="pkg", spec="pkg==1")])


def result(run_id: str, *, status: str = "findings", kinds=("crash",)) -> Result:
    return Result(job_id=f"{run_id}/pkg/3.13/stress", run_id=run_id, subject="pkg", lane="3.13", check="stress",
                  status=status, signals=tuple(Signal(kind=k, summary="boom", evidence={"signal": "SIGSEGV"}) for k in kinds),
                  data={"n": 1}, duration_s=1.5, exit_status=-11)


def test_round_trip_and_wal(tmp_path):
    path = tmp_path / "s.sqlite"
    with Store(path) as store:
        start(store, "r1")
        store.record_result(result("r1"))
        store.finish_run("r1", verdicts=[Verdict(subject="pkg", lane="3.13", verdict="crashes", reasons=("x",))],
                         decision=Decision(decision="no-go", triggers=("t",)))
    with Store(path) as store:
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        run = store.load_run("r1")
    assert run.lanes == (LANE,)
    assert run.subjects[0].spec == "pkg==1"
    (r,) = run.results
    assert (r.status, r.exit_status, r.data, r.duration_s) == ("findings", -11, {"n": 1}, 1.5)
    assert r.signals[0].evidence == {"signal": "SIGSEGV"}
    assert run.decision == Decision(decision="no-go", triggers=("t",))
    assert run.verdicts[0].verdict == "crashes"


def test_recording_a_job_again_replaces_it(tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        start(store, "r1")
        store.record_result(result("r1", kinds=("crash", "hang")))
        store.record_result(result("r1", status="ok", kinds=()))
        (r,) = store.load_run("r1").results
        assert r.status == "ok" and r.signals == ()
        assert store.done_job_ids("r1") == {"r1/pkg/3.13/stress"}


def test_two_runs_share_a_store_and_latest_resolves(tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        start(store, "20260101-000000-aaaa")
        start(store, "20260102-000000-bbbb")
        assert store.resolve_run_id(None) == "20260102-000000-bbbb"
        assert store.resolve_run_id("latest~1") == "20260101-000000-aaaa"
        assert store.resolve_run_id("20260101") == "20260101-000000-aaaa"
        with pytest.raises(UsageError, match="ambiguous"):
            store.resolve_run_id("2026")
        with pytest.raises(UsageError, match="not in the store"):
            store.resolve_run_id("nope")


def test_newer_schema_refused_without_touching_data(tmp_path):
    path = tmp_path / "s.sqlite"
    with Store(path) as store:
        start(store, "r1")
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer than this ftlab"):
        Store(path)
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 1


def test_unwritable_store_path_is_one_line_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StoreError) as err:
        Store(blocker / "sub" / "s.sqlite")
    assert "\n" not in str(err.value) and "--store" in str(err.value)


def test_start_run_records_lanes_subjects_and_lock_at_once(tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        store.start_run(run_id="r1", argv=[], config={"checks": []}, artifacts_dir="/a", ftlab_version="0",
                        lanes=[LANE], subjects=[Subject(name="pkg", spec="pkg==1")], lock_text="# ftlab-lock/1\n")
        run = store.load_run("r1")
    assert run.lanes == (LANE,) and run.subjects[0].name == "pkg" and run.lock == "# ftlab-lock/1\n"


def test_a_file_that_is_not_a_store_is_refused_and_left_as_it_is(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("my notes\n")
    with pytest.raises(StoreError, match="not an ftlab store"):
        Store(text)
    assert text.read_text() == "my notes\n"
    foreign = tmp_path / "app.db"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE users (name)")
    conn.commit()
    conn.close()
    before = foreign.read_bytes()
    with pytest.raises(StoreError, match="SQLite database but not an ftlab store"):
        Store(foreign)
    assert foreign.read_bytes() == before


def test_a_damaged_store_is_a_one_line_error_naming_the_recovery(tmp_path):
    path = tmp_path / "s.sqlite"
    with Store(path) as store:
        start(store, "r1")
        store.record_result(result("r1"))
    data = bytearray(path.read_bytes())
    data[4096:] = b"\x5a" * (len(data) - 4096)
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError) as err, Store(path) as store:
        store.load_run("r1")
    assert "\n" not in str(err.value) and "is damaged" in str(err.value) and ".recover" in str(err.value)
    assert path.read_bytes() == bytes(data)


def test_check_passes_a_sound_store_and_names_broken_rows(tmp_path):
    from ftlab.store.check import check_store

    with Store(tmp_path / "s.sqlite") as store:
        start(store, "r1")
        store.record_result(result("r1"))
        store.finish_run("r1", verdicts=[Verdict(subject="pkg", lane="3.13", verdict="crashes")],
                         decision=Decision(decision="no-go"))
        start(store, "r2")  # unfinished: resumable, not a problem
        sound = check_store(store)
        assert sound.sound and sound.unfinished == ("r2 (interrupted)",) and sound.counts["results"] == 1
        store.conn.execute("PRAGMA foreign_keys=OFF")
        store.conn.execute("UPDATE signals SET lane = '3.12'")
        store.conn.execute("INSERT INTO results VALUES ('x/pkg/3.13/install', 'ghost', 'pkg', '3.13', 'install',"
                           " 'ok', '', 0, NULL, '{', '', 0)")
        store.conn.execute("DELETE FROM verdicts")
        broken = check_store(store)
    problems = " | ".join(broken.problems)
    assert not broken.sound and not broken.damaged
    for expected in ("results row", "job id does not start with its run id", "signal that disagrees",
                     "data is not JSON", "finished run without one verdict"):
        assert expected in problems, problems


def test_two_processes_creating_one_store_at_once(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "new.sqlite"
    code = ("import sys; from ftlab.store.db import Store; s = Store(sys.argv[1]);"
            "s.start_run(run_id=sys.argv[2], argv=[], config={}, artifacts_dir='/a', ftlab_version='0')")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(path), f"r{i}"], stderr=subprocess.PIPE, text=True)
             for i in range(4)]
    errors = [p.communicate(timeout=60)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, errors
    with Store(path) as store:
        assert sorted(store.run_ids()) == ["r0", "r1", "r2", "r3"]
