"""A real full disk for ftlab: a small tmpfs mounted in a private user + mount namespace.

``python -m tests.support.diskfull MOUNTPOINT OUT.json`` is run by ``tests/e2e/test_disk_full.py`` under
``unshare --user --map-root-user --mount`` (the mount exists only in there, and goes when it ends). It
mounts the tmpfs, keeps the store and reports on it, and records what ftlab did into OUT.json (outside):

1. a run that finishes (the run that must survive everything after it);
2. a run started on a disk already full, and ``ftlab runs`` there;
3. a run whose disk fills up after its first result is recorded;
4. with space again, ``ftlab run --resume`` of that run.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

#: Room for a few fingerprint runs (store, job files, logs) and nothing like a venv.
TMPFS_SIZE = "8m"
#: Fingerprint jobs on these lanes, one at a time: the disk fills between the first and the last.
LANES = ("3.11", "3.12", "3.13")


def _ftlab(disk: Path, *args: str, **kw):
    env = {**os.environ, "FTLAB_STORE": str(disk / "ftlab.sqlite"), "FTLAB_REPORT_DIR": str(disk / "reports"),
           "NO_COLOR": "1"}
    return subprocess.Popen([sys.executable, "-m", "ftlab", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, cwd=disk, **kw)


def _done(proc) -> dict:
    out, err = proc.communicate(timeout=300)
    return {"exit": proc.returncode, "stdout": out[-3000:], "stderr": err[-3000:]}


def _fill(disk: Path) -> Path:
    """Write zeros until the disk refuses one more byte."""
    filler = disk / "filler"
    with open(filler, "ab", buffering=0) as f:
        for chunk in (1 << 20, 4096, 1):
            try:
                while f.write(b"\0" * chunk):
                    pass
            except OSError:
                pass
    return filler


def _results(store: Path) -> dict[str, list]:
    conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=30)
    try:
        return {run_id: [list(r) for r in conn.execute(
                    "SELECT job_id, status, recorded_at FROM results WHERE run_id = ? ORDER BY job_id", (run_id,))]
                for (run_id,) in conn.execute("SELECT run_id FROM runs")}
    finally:
        conn.close()


def _statuses(store: Path) -> dict[str, str]:
    conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=30)
    try:
        return dict(conn.execute("SELECT run_id, status FROM runs"))
    finally:
        conn.close()


def main(mountpoint: str, out_path: str) -> int:
    disk = Path(mountpoint)
    out: dict = {}
    mount = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE}", "tmpfs", str(disk)],
                           capture_output=True, text=True)
    if mount.returncode != 0:
        out["refused"] = f"mount -t tmpfs refused: {mount.stderr.strip()}"
        Path(out_path).write_text(json.dumps(out))
        return 0
    store = disk / "ftlab.sqlite"
    lane_args = [a for lane in LANES for a in ("--lane", lane)]

    out["first"] = _done(_ftlab(disk, "run", "--lane", "3.13", "--checks", "fingerprint", "--no-provision", "--json"))
    first_results = _results(store)

    filler = _fill(disk)
    out["full_from_start"] = _done(_ftlab(disk, "run", "--lane", "3.13", "--checks", "fingerprint", "--no-provision"))
    out["runs_while_full"] = _done(_ftlab(disk, "runs", "--json"))
    filler.unlink()

    proc = _ftlab(disk, "run", *lane_args, "--checks", "fingerprint", "--no-provision", "--jobs", "1")
    deadline = time.monotonic() + 120
    new = []
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            new = [rid for rid, rows in _results(store).items() if rid not in first_results and rows]
        except sqlite3.Error:
            new = []
        if new:
            break
        time.sleep(0.01)
    filler = _fill(disk)
    out["filled_while_running"] = proc.poll() is None
    out["mid_run"] = _done(proc)
    filler.unlink()  # space again: what was recorded is read back, then the run is resumed
    out["after_mid_run_results"] = _results(store)
    out["after_mid_run_statuses"] = _statuses(store)
    out["resume"] = _done(_ftlab(disk, "run", "--resume", "--json"))
    out["final_results"] = _results(store)
    out["final_statuses"] = _statuses(store)
    out["first_results"] = first_results
    out["check"] = _done(_ftlab(disk, "runs", "--check", "--json"))
    Path(out_path).write_text(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
