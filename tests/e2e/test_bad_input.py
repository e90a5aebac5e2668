"""Bad input through the real CLI: one line on stderr starting `ftlab: error:`, no traceback, exit 2, and
a store that already held a run still holds it, readable and intact."""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
import sqlite3

import pytest


@pytest.fixture(scope="module")
def seeded_store(tmp_path_factory, py313):
    """A store holding one finished run (fingerprint on 3.13), made once and copied into each test."""
    from tests.conftest import Cli

    cli = Cli(tmp_path_factory.mktemp("seed"))
    doc, _ = cli.json("run", "--lane", "3.13", "--checks", "fingerprint", "--no-provision", check=0)
    return cli.store, doc["run_id"]


@pytest.fixture
def seeded(cli, seeded_store):
    source, run_id = seeded_store
    cli.store.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, cli.store)
    return run_id


def assert_one_line_error(proc, *needles: str, data_on_stdout: bool = False) -> str:
    assert proc.returncode == 2, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    assert "Traceback" not in proc.stderr, proc.stderr
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("ftlab: error: ")]
    assert len(errors) == 1 and proc.stderr.splitlines()[-1] == errors[0], proc.stderr
    for needle in needles:
        assert needle in errors[0], errors[0]
    assert data_on_stdout or proc.stdout == ""
    return errors[0]


def assert_run_intact(cli, run_id: str) -> None:
    """The earlier run is still there, finished, its results readable through ftlab, the store sound."""
    report = json.loads(cli("report", run_id, "--format", "json", check=0).stdout)
    assert report["run_id"] == run_id and [r["status"] for r in report["results"]] == ["ok"]
    conn = sqlite3.connect(cli.store)
    try:
        status, = conn.execute("SELECT status FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        results = conn.execute("SELECT count(*) FROM results WHERE run_id = ?", (run_id,)).fetchone()[0]
    finally:
        conn.close()
    assert status == "finished" and results == 1
    cli("runs", "--check", check=0)


@pytest.mark.parametrize(("subject", "needle"), [
    ("foo[bar", "invalid requirement 'foo[bar'"),
    ("foo===", "'===' is followed by no version"),
    ("numpy>=1,<", "invalid requirement"),
])
def test_malformed_requirement(cli, seeded, subject, needle):
    proc = cli("run", subject, "--lane", "3.13", "--no-provision")
    assert_one_line_error(proc, needle, "write it as pip does")
    assert_run_intact(cli, seeded)


def test_malformed_requirement_in_a_file_names_the_line(cli, seeded, tmp_path):
    reqs = tmp_path / "reqs.txt"
    reqs.write_text("# deps\npure-pkg\nfoo[bar\n")
    proc = cli("run", "-r", str(reqs), "--lane", "3.13", "--no-provision")
    assert_one_line_error(proc, "reqs.txt line 3")
    assert_run_intact(cli, seeded)


@pytest.mark.parametrize(("subject", "needle"), [
    ("no-such-pkg", "no package named 'no-such-pkg'"),
    ("pure-pkg==7", "no release matches pure-pkg==7"),
])
def test_nonexistent_package_or_release(cli, seeded, local_index, subject, needle):
    proc = cli("run", subject, "--index-url", local_index.url, "--lane", "3.13", "--checks", "install",
               "--no-provision")
    assert_one_line_error(proc, needle, local_index.url)
    assert_run_intact(cli, seeded)


def test_unreachable_index(cli, seeded):
    with socket.socket() as s:  # a loopback port nobody listens on once this closes
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/simple"
    proc = cli("run", "pure-pkg", "--index-url", url, "--lane", "3.13", "--checks", "install", "--no-provision")
    assert_one_line_error(proc, f"cannot reach the package index {url}", "--index-url")
    assert_run_intact(cli, seeded)


@pytest.mark.parametrize(("lane", "needle"), [
    ("3.14T", "did you mean '3.14t'?"),
    ("314t", "did you mean '3.14t'?"),
    ("nonsense", "unknown lane spec 'nonsense'"),
])
def test_unknown_lane_spec(cli, seeded, lane, needle):
    proc = cli("run", "pure-pkg", "--lane", lane, "--no-provision")
    assert_one_line_error(proc, needle, "expected a version like 3.14 or 3.14t")
    assert_run_intact(cli, seeded)


@pytest.mark.parametrize("kind", ["missing", "directory"])
def test_unreadable_requirements_file(cli, seeded, tmp_path, kind):
    # Tests run as root, where chmod 000 does not stop a read: a directory and a missing path do.
    path = tmp_path / "reqs-dir" if kind == "directory" else tmp_path / "no" / "reqs.txt"
    if kind == "directory":
        path.mkdir()
    proc = cli("run", "-r", str(path), "--lane", "3.13", "--no-provision")
    assert_one_line_error(proc, str(path), "check the path given to -r")
    assert_run_intact(cli, seeded)


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _damage_pages(path) -> None:
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big") or 65536
    data[page:] = b"\xa5" * (len(data) - page)  # every page after the first
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", ["not-sqlite", "damaged-pages", "foreign-sqlite"])
@pytest.mark.parametrize("command", [("runs",), ("runs", "--check"), ("report", "--format", "json"),
                                     ("run", "--lane", "3.13", "--checks", "fingerprint", "--no-provision")])
def test_corrupt_store_is_refused_and_left_untouched(cli, seeded, damage, command):
    if damage == "not-sqlite":
        cli.store.write_text("this is a report, not a store\n" * 200)
        needle = "is not an ftlab store (not an SQLite database)"
    elif damage == "damaged-pages":
        _damage_pages(cli.store)
        needle = "is damaged"
    else:
        cli.store.unlink()
        conn = sqlite3.connect(cli.store)
        conn.execute("CREATE TABLE mine (x)")
        conn.commit()
        conn.close()
        needle = "is an SQLite database but not an ftlab store"
    before = _sha(cli.store)
    proc = cli(*command)
    assert_one_line_error(proc, needle, "--store PATH", data_on_stdout="--check" in command)
    assert _sha(cli.store) == before, "ftlab changed a store file it refused"


def test_store_check_finds_inconsistent_rows(cli, seeded):
    conn = sqlite3.connect(cli.store)
    conn.execute("UPDATE results SET lane = 'nowhere'")
    conn.execute("DELETE FROM verdicts")
    conn.commit()
    conn.close()
    doc, proc = cli.json("runs", "--check")
    assert proc.returncode == 2
    assert not doc["sound"] and doc["integrity"] == ["ok"]
    assert any("result on a lane its run does not have" in p for p in doc["problems"])
    proc = cli("runs", "--check")
    assert proc.returncode == 2 and "problem: 1 result on a lane its run does not have" in proc.stdout
    assert proc.stderr.startswith("ftlab: error: the store at ") and proc.stderr.count("\n") == 1
    assert "failed its check" in proc.stderr and "not written by ftlab" in proc.stderr


def test_resume_with_nothing_to_resume(cli, seeded):
    assert_one_line_error(cli("run", "--resume"), "no unfinished run to resume")
    assert_one_line_error(cli("run", "--resume", "nope"), "run 'nope' is not in the store")
    assert_run_intact(cli, seeded)


@pytest.mark.parametrize("command", [("runs",), ("runs", "--check"), ("report",), ("diff", "latest~1", "latest")])
def test_reading_commands_never_create_a_store(cli, tmp_path, command):
    typo = tmp_path / "stroe" / "ftlab.sqlite"
    proc = cli(*command, "--store", str(typo))
    assert_one_line_error(proc, f"there is no store at '{typo}'", "--store PATH")
    assert not typo.exists() and not typo.parent.exists()
