"""The real CLI in a subprocess: lanes, run, bad input, store safety."""

from __future__ import annotations

import os
import sqlite3

import pytest


def test_lanes_json(cli, py311, py312, py313):
    doc, _ = cli.json("lanes", check=0)
    by_path = {os.path.realpath(lane["path"]): lane for lane in doc["lanes"]}
    for python in (py311, py312, py313):
        lane = by_path[os.path.realpath(python)]
        assert set(lane) >= {"name", "path", "version", "gil_disabled", "abiflags", "ext_suffix", "source", "available", "reason"}
        assert lane["available"] is True and lane["gil_disabled"] is False
        assert lane["sanitizer"] == ""  # pyenv's builds; a ThreadSanitizer build says "thread"


def test_run_default_lanes_accounts_for_both(cli, py313):
    doc, proc = cli.json("run", "--no-provision")
    assert proc.returncode in (0, 1), proc.stderr
    assert [lane["spec"] for lane in doc["lanes"]] == ["3.14", "3.14t"]
    baseline, ft = doc["lanes"]
    assert baseline["available"] and baseline["gil_disabled"] is False
    if not ft["available"]:
        assert ft["reason"] and doc["go"] is None and doc["decision"] == "undecided"
        assert any("no free-threaded lane" in t for t in doc["triggers"])
    fps = [r for r in doc["results"] if r["check"] == "fingerprint"]
    assert {r["lane"] for r in fps} == {baseline["name"], ft["name"]}
    assert {r["status"] for r in fps if r["lane"] == baseline["name"]} == {"ok"}, \
        [(r["lane"], r["status"], r["reason"], r["data"].get("stderr_tail")) for r in fps]
    assert set(doc) >= {"run_id", "lanes", "results", "verdicts", "go"}
    runs, _ = cli.json("runs", check=0)
    assert [r["run_id"] for r in runs["runs"]] == [doc["run_id"]]


def test_run_explicit_lanes_human_output(cli, py312, py313):
    proc = cli("run", "--lane", "3.12", "--lane", f"mine={py313}", check=0)
    assert "UNDECIDED" in proc.stdout
    rows = [ln for ln in proc.stdout.splitlines() if ln.strip("│ ").startswith(("3.12", "mine"))]
    assert len(rows) == 2
    for row in rows:
        assert "GIL" in row and "free-threaded" not in row


def test_provisioning_failure_is_recorded_and_run_goes_on(cli, py313):
    if os.environ.get("FTLAB_FT_PYTHON"):
        pytest.skip("a free-threaded interpreter is configured here; provisioning is not needed")
    doc, proc = cli.json("run", "--lane", "3.13", "--lane", "3.13t")
    assert proc.returncode == 0, proc.stderr
    lane = next(lane for lane in doc["lanes"] if lane["spec"] == "3.13t")
    if not lane["available"]:
        assert "uv python install 3.13t" in lane["reason"]


@pytest.mark.parametrize(
    ("lane", "message"),
    [("nonsense", "unknown lane spec 'nonsense'"), ("/no/such/python", "does not exist"),
     ("/bin/true", "is not a Python interpreter")],
)
def test_bad_lane_is_one_line_exit_2(cli, lane, message):
    proc = cli("run", "--lane", lane, "--no-provision", check=2)
    assert proc.stderr.startswith("ftlab: error: ") and message in proc.stderr
    assert proc.stderr.count("\n") == 1 and proc.stdout == ""


def test_duplicate_lane_exit_2(cli, py313):
    proc = cli("run", "--lane", "3.13", "--lane", py313, "--no-provision", check=2)
    assert "same interpreter" in proc.stderr or "duplicate lane" in proc.stderr


def test_gil0_refused_without_a_free_threaded_lane(cli, py312, py313):
    proc = cli("run", "--lane", "3.13", "--lane", py312, "--gil", "0", "--no-provision", check=2)
    assert "Disabling the GIL is not supported by this build" in proc.stderr
    assert "3.13, 3.12" in proc.stderr and proc.stderr.count("\n") == 1


def test_gil0_with_a_free_threaded_lane_asked_for_applies_to_it_only(cli, py313):
    doc, proc = cli.json("run", "--lane", "3.13", "--lane", "3.13t", "--gil", "0", "--no-provision")
    assert proc.returncode == 0, proc.stderr
    gil = next(r for r in doc["results"] if r["lane"] == "3.13")
    # The GIL lane ran unforced (PYTHON_GIL=0 would have failed its startup).
    assert gil["status"] == "ok" and gil["data"]["flags_gil"] == 1


def test_unwritable_store_keeps_what_was_recorded(cli, tmp_path, py313):
    cli("run", "--lane", "3.13", "--no-provision", check=0)
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    proc = cli("run", "--lane", "3.13", "--store", str(blocker / "s.sqlite"), check=2)
    assert "cannot open the store" in proc.stderr and proc.stderr.count("\n") == 1
    # A bad invocation after a good one loses nothing.
    cli("run", "--lane", "nonsense", check=2)
    conn = sqlite3.connect(cli.store)
    assert conn.execute("SELECT count(*) FROM runs WHERE status = 'finished'").fetchone()[0] == 1


def test_unknown_check_suggests(cli):
    proc = cli("run", "--checks", "fingerprnt", check=2)
    assert "did you mean 'fingerprint'" in proc.stderr
