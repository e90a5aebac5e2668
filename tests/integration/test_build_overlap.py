"""Builds from source announced before they cost time, and run beside the other packages' checks.

A real run (the CLI, real uv venvs, a real index on loopback) of three packages, one of which has only an
sdist whose build takes SLOW_BUILD_S: the run names that build at the start with a rough cost, and the
other packages' results are recorded before the build ends (the timeline is read from the store).
"""

from __future__ import annotations

import sqlite3
import time

import pytest

from tests.support import dists
from tests.support.index_server import IndexServer

pytestmark = pytest.mark.slow


#: A version of its own per session: uv's cache must not hold a wheel built from it by an earlier session.
SLOW_VERSION = f"1.{int(time.time())}"


@pytest.fixture(scope="module")
def slow_index(tmp_path_factory):
    root = tmp_path_factory.mktemp("slow-index")
    dists.build_sdist(root, "slow-sdist", SLOW_VERSION, kind="slow-but-builds")
    for name in ("quick-a", "quick-b"):
        dists.build_wheel(root, name, "1.0", "py3-none-any")
    with IndexServer(root) as server:
        yield server


def test_other_packages_results_arrive_before_the_slow_build_ends(cli, slow_index, py312):
    doc, proc = cli.json("run", "slow-sdist", "quick-a", "quick-b", "--lane", f"3.12={py312}", "--no-provision",
                         "--checks", "install,import", "--index-url", slow_index.url)
    assert proc.returncode == 0, proc.stderr
    assert (f"build ahead: slow-sdist=={SLOW_VERSION} on 3.12: no wheel for this lane, builds from "
            f"slow_sdist-{SLOW_VERSION}.tar.gz") in proc.stderr
    rows = sqlite3.connect(cli.store).execute(
        "SELECT subject, check_name, status, recorded_at FROM results WHERE run_id = ? AND lane = '3.12' "
        "ORDER BY recorded_at", (doc["run_id"],)).fetchall()
    start = min(r[3] for r in rows)
    print("timeline (s after the first result):")  # shown with -s; the figures for the note
    for subject, check, status, at in rows:
        print(f"  {at - start:6.1f}  {check:<8} {subject:<11} {status}")
    at = {(subject, check): recorded for subject, check, _, recorded in rows}
    slow_done = at[("slow-sdist", "install")]
    for name in ("quick-a", "quick-b"):
        assert at[(name, "install")] < slow_done and at[(name, "import")] < slow_done
    assert slow_done - at[("quick-a", "import")] > dists.SLOW_BUILD_S / 2  # they did not wait for the build
    results = {(r["subject"], r["check"]): r for r in doc["results"]}
    slow = results[("slow-sdist", "install")]
    assert slow["data"]["subject_dist"]["outcome"] == "sdist" and slow["data"]["subject_dist"]["seconds"] >= dists.SLOW_BUILD_S
    assert [s["kind"] for s in slow["signals"]] == ["built-from-sdist"]
    assert results[("slow-sdist", "import")]["status"] == "ok"  # its own checks ran once it was built
