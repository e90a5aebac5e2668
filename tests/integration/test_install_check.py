"""The install check end to end: the real CLI, real uv venvs, a real index on loopback."""

from __future__ import annotations

import sqlite3

import pytest


def run(cli, url, *subjects, lanes=("3.12", "3.13"), extra=()):
    lane_args = [a for lane in lanes for a in ("--lane", lane)]
    return cli.json("run", *subjects, *lane_args, "--no-provision", "--checks", "install", "--index-url", url, *extra)


def by_subject_lane(doc, check="install"):
    return {(r["subject"], r["lane"]): r for r in doc["results"] if r["check"] == check}


def test_wheels_tags_sdists_and_one_lock(cli, local_index, py312, py313):
    doc, proc = run(cli, local_index.url, "ft-native", "chain-a", "sdist-only")
    assert proc.returncode == 0, proc.stderr
    cells = by_subject_lane(doc)
    for minor in ("12", "13"):
        lane = f"3.{minor}"
        native = cells[("ft-native", lane)]["data"]["subject_dist"]
        assert native["outcome"] == "wheel"
        assert native["wheel_tag"] == f"cp3{minor}-cp3{minor}-manylinux_2_17_x86_64.manylinux2014_x86_64"
        chain = {d["name"]: d for d in cells[("chain-a", lane)]["data"]["dists"]}
        assert set(chain) == {"chain-a", "chain-b", "chain-c"}
        assert chain["chain-b"]["version"] == "2.0"
        assert chain["chain-a"]["wheel_tag"] == "py3-none-any"
        sd = cells[("sdist-only", lane)]
        assert [s["kind"] for s in sd["signals"]] == ["built-from-sdist"]
        assert sd["data"]["subject_dist"]["filename"] == "sdist_only-1.0.tar.gz"
    # One lock, saved with the run, used by both lanes: same versions everywhere.
    lock = sqlite3.connect(cli.store).execute("SELECT lock FROM runs WHERE run_id = ?", (doc["run_id"],)).fetchone()[0]
    assert "chain-b==2.0" in lock and "ft-native==1.0" in lock
    versions = {lane: {d["name"]: d["version"] for (s, ln), r in cells.items() if ln == lane for d in r["data"]["dists"]}
                for lane in ("3.12", "3.13")}
    assert versions["3.12"] == versions["3.13"]


def test_wheels_only_makes_missing_wheel_a_finding(cli, local_index, py312, py313):
    doc, proc = run(cli, local_index.url, "ft-native", "sdist-only", extra=("--wheels-only",))
    assert proc.returncode == 1, proc.stderr
    cells = by_subject_lane(doc)
    for lane in ("3.12", "3.13"):
        assert cells[("ft-native", lane)]["status"] == "ok"
        sigs = cells[("sdist-only", lane)]["signals"]
        assert [s["kind"] for s in sigs] == ["no-wheel"]
        assert sigs[0]["evidence"]["failure"] == "no-wheel"
    verdicts = {(v["subject"], v["lane"]): v["verdict"] for v in doc["verdicts"]}
    assert verdicts[("sdist-only", "3.12")] == "not-installable"
    assert verdicts[("ft-native", "3.12")] == "ready"
    assert doc["decision"] == "no-go"


def test_build_failures_are_classified(cli, local_index, py313):
    doc, proc = run(cli, local_index.url, "build-fails", "needs-header", "pure-pkg", lanes=("3.13",))
    assert proc.returncode == 1, proc.stderr
    cells = by_subject_lane(doc)
    (fails,) = cells[("build-fails", "3.13")]["signals"]
    assert fails["kind"] == "install-failed" and fails["evidence"]["failure"] == "build-backend-error"
    assert fails["evidence"]["log_tail"]
    (header,) = cells[("needs-header", "3.13")]["signals"]
    assert header["evidence"]["failure"] == "missing-compiler-or-headers"
    assert "nonexistent_ftlab.h" in header["evidence"]["log_tail"]
    # The rest of the run is not lost.
    assert cells[("pure-pkg", "3.13")]["status"] == "ok"
    assert cells[("pure-pkg", "3.13")]["data"]["subject_dist"]["version"] == "1.0"


def test_a_build_still_running_at_the_install_timeout_leaves_its_package_untested_not_failed(cli, local_index, py313):
    doc, proc = run(cli, local_index.url, "slow-build", "pure-pkg", lanes=("3.13",), extra=("--install-timeout", "6"))
    assert proc.returncode == 0, proc.stderr  # undecided, not no-go: nothing was found against it
    cells = by_subject_lane(doc)
    slow = cells[("slow-build", "3.13")]
    assert slow["status"] == "error" and not slow["signals"]
    assert "building slow_build-1.0.tar.gz from source did not finish in 6 s" in slow["reason"]
    assert "--install-timeout" in slow["reason"]
    assert slow["data"]["subject_dist"]["failure"] == "build-timeout"
    verdicts = {(v["subject"], v["lane"]): v["verdict"] for v in doc["verdicts"]}
    assert verdicts == {("slow-build", "3.13"): "untested", ("pure-pkg", "3.13"): "ready"}
    assert doc["decision"] == "undecided"


@pytest.mark.parametrize(
    ("subjects", "message"),
    [(("no-such-pkg",), "no package named 'no-such-pkg'"),
     (("pure-pkg==5.0",), "no release matches"),
     (("pure pkg !",), "invalid requirement")],
)
def test_bad_subjects_exit_2(cli, local_index, py313, subjects, message):
    proc = cli("run", *subjects, "--lane", "3.13", "--no-provision", "--checks", "install", "--index-url", local_index.url)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("ftlab: error: ")]
    assert len(errors) == 1 and errors[0] == proc.stderr.splitlines()[-1]
    assert proc.stdout == ""


def test_unreadable_requirements_file_and_unreachable_index(cli, tmp_path, py313):
    proc = cli("run", "-r", str(tmp_path / "missing.txt"), "--lane", "3.13", "--no-provision", "--checks", "install")
    assert proc.returncode == 2 and "missing.txt" in proc.stderr
    proc = cli("run", "pure-pkg", "--lane", "3.13", "--no-provision", "--checks", "install",
               "--index-url", "http://127.0.0.1:9/simple")
    assert proc.returncode == 2 and "cannot reach the package index" in proc.stderr, proc.stderr
