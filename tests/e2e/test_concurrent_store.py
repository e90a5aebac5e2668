"""Two real ftlab processes writing one store at once: both runs complete, the store stays sound, and a
run is never executed by two processes."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys


def _start(cli, *args: str) -> subprocess.Popen:
    env = {**os.environ, "FTLAB_STORE": str(cli.store), "FTLAB_REPORT_DIR": str(cli.reports), "NO_COLOR": "1",
           "UV_HTTP_RETRIES": "0"}
    return subprocess.Popen([sys.executable, "-m", "ftlab", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=cli.tmp, env=env)


def test_two_runs_write_one_new_store_at_once(cli, local_index, py312, py313):
    # Both start on a store that does not exist yet: creating its schema is part of the race.
    procs = [_start(cli, "run", subject, "--index-url", local_index.url, "--lane", lane, "--checks",
                    "install,import", "--no-provision", "--json")
             for subject, lane in (("pure-pkg", "3.12"), ("chain-a", "3.13"))]
    outs = [p.communicate(timeout=600) for p in procs]
    for p, (_, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
    docs = [json.loads(out) for out, _ in outs]
    runs, _ = cli.json("runs", check=0)
    assert {r["run_id"]: r["status"] for r in runs["runs"]} == {d["run_id"]: "finished" for d in docs}
    for doc in docs:
        assert sorted(r["check"] for r in doc["results"]) == ["import", "install"]
        assert {r["status"] for r in doc["results"]} == {"ok"}
    check, _ = cli.json("runs", "--check", check=0)
    assert check["sound"] and check["counts"]["results"] == 4


def test_a_run_is_resumed_by_one_process_only(cli, py313):
    doc, _ = cli.json("run", "--lane", "3.13", "--checks", "fingerprint", "--no-provision", check=0)
    # Make it look killed before its job was recorded: `running`, no results, no verdicts.
    conn = sqlite3.connect(cli.store)
    conn.execute("DELETE FROM results")
    conn.execute("DELETE FROM verdicts")
    conn.execute("UPDATE runs SET status = 'running', finished_at = NULL, decision = NULL")
    conn.commit()
    conn.close()
    procs = [_start(cli, "run", "--resume") for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes == [0, 2], outs
    loser = next(err for p, (_, err) in zip(procs, outs, strict=True) if p.returncode == 2)
    # It found the run owned by the other process, or already finished by it.
    assert "ftlab process" in loser or "no unfinished run to resume" in loser, loser
    assert loser.startswith("ftlab: error: ") and loser.count("\n") == 1
    conn = sqlite3.connect(cli.store)
    rows = conn.execute("SELECT job_id FROM results").fetchall()
    (status,) = conn.execute("SELECT status FROM runs").fetchone()
    conn.close()
    assert rows == [(f"{doc['run_id']}/(lane)/3.13/fingerprint",)] and status == "finished"
