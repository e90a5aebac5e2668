"""`ftlab diff` through the real CLI: a fixture that turned buggy regresses (exit 1); the reverse improves."""

from __future__ import annotations

import json

from tests.support.runs import store_rich_run


def _two_runs(cli, first_buggy: bool) -> None:
    store_rich_run(cli.store, "20260101-000000-aaaa", buggy=first_buggy)
    store_rich_run(cli.store, "20260102-000000-bbbb", buggy=not first_buggy, created_offset=10)


def test_regression_exits_1(cli):
    _two_runs(cli, first_buggy=False)
    proc = cli("diff", "latest~1", "latest", check=1)
    assert "REGRESSED" in proc.stdout and "counter on 3.13t: verdict ready -> crashes" in proc.stdout
    assert "new corruption (stress)" in proc.stdout and proc.stderr == ""
    doc = json.loads(cli("diff", "20260101", "20260102", "--json", check=1).stdout)
    assert doc["regressed"] is True and {s["kind"] for s in doc["signals"]["new"]} == {"corruption", "crash"}


def test_improvement_exits_0(cli):
    _two_runs(cli, first_buggy=True)
    proc = cli("diff", "latest~1", "latest", check=0)
    assert "no regressions" in proc.stdout and "+ counter on 3.13t: crashes -> ready" in proc.stdout
    doc = json.loads(cli("diff", "latest~1", "latest", "--json", check=0).stdout)
    assert doc["regressed"] is False and len(doc["improvements"]) == 3 and not doc["signals"]["new"]


def test_diff_bad_refs(cli):
    _two_runs(cli, first_buggy=True)
    proc = cli("diff", "latest", "latest", check=2)
    assert "are the same run" in proc.stderr
    proc = cli("diff", "latest~5", "latest", check=2)
    assert "goes back further" in proc.stderr
    proc = cli("diff", "2026", "latest", check=2)
    assert "is ambiguous" in proc.stderr
